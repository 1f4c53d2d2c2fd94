import { MlsecError } from '../../../core/errors.js';
import { ARBITRARY_VERSION, isSpecifierVersion } from './syntax.js';

/**
 * PEP 508 dependency specifiers, parsed by hand: the grammar is small, and the one npm parser fails on real
 * requirement files (see shared notes). The result keeps what auditing needs: the name (as written and
 * normalised), extras, version specifiers or a URL, and the environment marker as a tree to evaluate.
 */

export type RequirementErrorCode = 'REQUIREMENT_SYNTAX';

/** A specifier that is not PEP 508. `column` is the 0-based position in the text where reading stopped. */
export class RequirementError extends MlsecError<RequirementErrorCode> {
  readonly column: number;

  constructor(message: string, column: number) {
    super('REQUIREMENT_SYNTAX', `${message} at column ${column + 1}`);
    this.column = column;
  }
}

export type SpecifierOperator = '===' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '~=';

export interface Specifier {
  readonly operator: SpecifierOperator;
  /** The version as written, possibly with a trailing `.*` for `==`/`!=`. */
  readonly version: string;
}

/** The marker variables of PEP 508, plus `dependency_groups` and `extras` from PEP 735/751. */
export const MARKER_VARIABLES = [
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  'extras',
  'dependency_groups',
] as const;
export type MarkerVariable = (typeof MARKER_VARIABLES)[number];

export type MarkerOperator = SpecifierOperator | 'in' | 'not in';

export type MarkerValue =
  | { readonly kind: 'variable'; readonly name: MarkerVariable }
  | { readonly kind: 'string'; readonly value: string };

export type Marker =
  | { readonly kind: 'and' | 'or'; readonly left: Marker; readonly right: Marker }
  | {
      readonly kind: 'compare';
      readonly left: MarkerValue;
      readonly operator: MarkerOperator;
      readonly right: MarkerValue;
    };

export interface Requirement {
  /** The distribution name as written. */
  readonly name: string;
  /** The name normalised as PEP 503 does, for comparing and looking up: `Foo.Bar_baz` → `foo-bar-baz`. */
  readonly normalizedName: string;
  /** Extras, normalised. */
  readonly extras: readonly string[];
  /** Version specifiers; empty for a URL requirement or a bare name. */
  readonly specifiers: readonly Specifier[];
  /** The URL of a `name @ url` requirement. */
  readonly url?: string;
  readonly marker?: Marker;
  /** The marker's text as written after `;`, for reports. */
  readonly markerText?: string;
}

/** PEP 503 name normalisation. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Names start and end with a letter or digit, with `-`, `_` and `.` allowed inside. */
const NAME = /[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/y;
const VERSION = /[A-Za-z0-9_.*+!-]+/y;
const OPERATORS: readonly SpecifierOperator[] = ['===', '==', '!=', '<=', '>=', '~=', '<', '>'];
const VARIABLE_NAMES: ReadonlySet<string> = new Set(MARKER_VARIABLES);
/**
 * Parentheses nest at most this deep in a marker: real markers nest two or three levels, and the parser
 * recurses per level, so a hostile marker must not exhaust the stack.
 */
export const MAX_MARKER_DEPTH = 64;
/**
 * Comparisons in one marker, at most. And/or chains become left-deep trees, so this also bounds the depth
 * that code walking a marker recursively meets; real markers, even uv's universal ones, stay far below.
 */
export const MAX_MARKER_CLAUSES = 2000;
/** The legacy dotted spellings that `packaging` still accepts. */
const LEGACY_VARIABLES: Readonly<Record<string, MarkerVariable>> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation',
};

/** A cursor over one specifier. Whitespace is spaces and tabs, as in the grammar. */
class Reader {
  position = 0;
  /** Open marker parentheses. */
  depth = 0;
  /** Marker comparisons read so far. */
  clauses = 0;

  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.text[this.position] === ' ' || this.text[this.position] === '\t') this.position++;
  }

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  peek(literal: string): boolean {
    return this.text.startsWith(literal, this.position);
  }

  take(literal: string): boolean {
    if (!this.peek(literal)) return false;
    this.position += literal.length;
    return true;
  }

  match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (found === null) return undefined;
    this.position += found[0].length;
    return found[0];
  }

  fail(message: string): never {
    throw new RequirementError(message, this.position);
  }
}

/** Parses one PEP 508 requirement (`name[extras] (specifiers) ; marker` or `name[extras] @ url ; marker`). */
export function parseRequirement(text: string): Requirement {
  const reader = new Reader(text);
  reader.skipSpace();
  const name = reader.match(NAME) ?? reader.fail('expected a distribution name');
  reader.skipSpace();
  const extras = reader.peek('[') ? parseExtras(reader) : [];
  reader.skipSpace();
  let specifiers: Specifier[] = [];
  let url: string | undefined;
  if (reader.take('@')) {
    reader.skipSpace();
    // The URL runs to the next space or tab: a marker after it needs a space before `;`, as PEP 508 says.
    const start = reader.position;
    url = reader.match(/[^ \t]+/y) ?? reader.fail('expected a URL after @');
    if (!isRequirementUrl(url)) {
      reader.position = start;
      reader.fail(`invalid URL ${JSON.stringify(url)}`);
    }
  } else {
    specifiers = parseSpecifiers(reader);
  }
  reader.skipSpace();
  let marker: Marker | undefined;
  let markerText: string | undefined;
  if (reader.take(';')) {
    reader.skipSpace();
    const start = reader.position;
    marker = parseMarkerOr(reader);
    markerText = text.slice(start, reader.position).trim();
    reader.skipSpace();
  }
  if (!reader.atEnd()) reader.fail(`unexpected ${JSON.stringify(text[reader.position])}`);
  return {
    name,
    normalizedName: normalizeName(name),
    extras,
    specifiers,
    ...(url !== undefined && { url }),
    ...(marker !== undefined && { marker }),
    ...(markerText !== undefined && { markerText }),
  };
}

function parseExtras(reader: Reader): string[] {
  reader.take('[');
  const extras: string[] = [];
  reader.skipSpace();
  if (reader.take(']')) return extras;
  for (;;) {
    reader.skipSpace();
    extras.push(normalizeName(reader.match(NAME) ?? reader.fail('expected an extra name')));
    reader.skipSpace();
    if (reader.take(']')) return extras;
    if (!reader.take(',')) reader.fail('expected "," or "]" in extras');
  }
}

/**
 * A `name @ url` URL as `packaging` checks it: a scheme and a host, or a `file://` URL. Anything else (a bare
 * path, `name @ foo`) is not a PEP 508 URL.
 */
function isRequirementUrl(url: string): boolean {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1];
  if (scheme === undefined) return false;
  const rest = url.slice(scheme.length + 1);
  // `packaging` insists that a file URL survives urlparse/urlunparse unchanged: lower-case scheme, `//`,
  // and no empty query, fragment or parameters at the end.
  if (scheme.toLowerCase() === 'file')
    return scheme === 'file' && rest.startsWith('//') && !/[?#;]$|\?#/.test(rest);
  return /^\/\/[^/?#]/.test(rest);
}

/**
 * `>=1.0, <2` or `(>=1.0,<2)`; empty when there are none. Like `packaging`, a trailing comma and empty
 * parentheses are accepted.
 */
function parseSpecifiers(reader: Reader): Specifier[] {
  const parenthesised = reader.take('(');
  const specifiers: Specifier[] = [];
  reader.skipSpace();
  for (;;) {
    const operator = OPERATORS.find((candidate) => reader.take(candidate));
    if (operator === undefined) break;
    reader.skipSpace();
    const start = reader.position;
    const version =
      reader.match(operator === '===' ? ARBITRARY_VERSION : VERSION) ??
      reader.fail(`expected a version after ${operator}`);
    if (!isSpecifierVersion(operator, version)) {
      reader.position = start;
      reader.fail(`invalid version ${JSON.stringify(version)} after ${operator}`);
    }
    specifiers.push({ operator, version });
    reader.skipSpace();
    if (!reader.take(',')) break;
    reader.skipSpace();
  }
  if (parenthesised && !reader.take(')')) reader.fail('expected ")"');
  return specifiers;
}

/** A comma-separated specifier set on its own (`>=1.0,<2`), as lock files and Poetry tables write them. */
export function parseSpecifierSet(text: string): Specifier[] {
  const reader = new Reader(text);
  reader.skipSpace();
  if (reader.atEnd()) return [];
  const specifiers = parseSpecifiers(reader);
  reader.skipSpace();
  if (!reader.atEnd()) reader.fail(`unexpected ${JSON.stringify(text[reader.position])}`);
  return specifiers;
}

/** An environment marker on its own (`python_version < "3.10"`), as lock files write them. */
export function parseMarker(text: string): Marker {
  const reader = new Reader(text);
  reader.skipSpace();
  const marker = parseMarkerOr(reader);
  reader.skipSpace();
  if (!reader.atEnd()) reader.fail(`unexpected ${JSON.stringify(text[reader.position])}`);
  return marker;
}

function keyword(reader: Reader, word: string): boolean {
  reader.skipSpace();
  const after = reader.text[reader.position + word.length];
  if (!reader.peek(word) || (after !== undefined && /[A-Za-z0-9_]/.test(after))) return false;
  reader.position += word.length;
  return true;
}

function parseMarkerOr(reader: Reader): Marker {
  let marker = parseMarkerAnd(reader);
  while (keyword(reader, 'or')) marker = { kind: 'or', left: marker, right: parseMarkerAnd(reader) };
  return marker;
}

function parseMarkerAnd(reader: Reader): Marker {
  let marker = parseMarkerExpression(reader);
  while (keyword(reader, 'and')) marker = { kind: 'and', left: marker, right: parseMarkerExpression(reader) };
  return marker;
}

function parseMarkerExpression(reader: Reader): Marker {
  reader.skipSpace();
  if (reader.peek('(')) {
    if (reader.depth >= MAX_MARKER_DEPTH)
      reader.fail(`marker nests deeper than ${MAX_MARKER_DEPTH} parentheses`);
    reader.take('(');
    reader.depth++;
    const inner = parseMarkerOr(reader);
    reader.skipSpace();
    if (!reader.take(')')) reader.fail('expected ")" in marker');
    reader.depth--;
    return inner;
  }
  if (++reader.clauses > MAX_MARKER_CLAUSES)
    reader.fail(`marker has more than ${MAX_MARKER_CLAUSES} comparisons`);
  const left = parseMarkerValue(reader);
  reader.skipSpace();
  const operator = parseMarkerOperator(reader);
  const right = parseMarkerValue(reader);
  return { kind: 'compare', left, operator, right };
}

function parseMarkerOperator(reader: Reader): MarkerOperator {
  const comparison = OPERATORS.find((candidate) => reader.take(candidate));
  if (comparison !== undefined) return comparison;
  if (keyword(reader, 'in')) return 'in';
  if (keyword(reader, 'not')) {
    if (keyword(reader, 'in')) return 'not in';
    reader.fail('expected "in" after "not"');
  }
  return reader.fail('expected a marker operator');
}

function parseMarkerValue(reader: Reader): MarkerValue {
  reader.skipSpace();
  const quote = reader.text[reader.position];
  if (quote === '"' || quote === "'") {
    const end = reader.text.indexOf(quote, reader.position + 1);
    if (end < 0) reader.fail('unterminated string in marker');
    const value = reader.text.slice(reader.position + 1, end);
    // `packaging` reads marker strings as Python literals; escapes would change the value, so refuse them.
    if (value.includes('\\')) reader.fail('backslash in a marker string');
    reader.position = end + 1;
    return { kind: 'string', value };
  }
  const word =
    reader.match(/[A-Za-z_][A-Za-z0-9_.]*/y) ?? reader.fail('expected a marker variable or string');
  const name = VARIABLE_NAMES.has(word) ? (word as MarkerVariable) : LEGACY_VARIABLES[word];
  if (name === undefined) {
    reader.position -= word.length;
    reader.fail(`unknown marker variable ${JSON.stringify(word)}`);
  }
  return { kind: 'variable', name };
}
