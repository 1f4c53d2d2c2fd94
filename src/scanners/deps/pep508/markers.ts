import { MlsecError } from '../../../core/errors.js';
import {
  normalizeName,
  type Marker,
  type MarkerOperator,
  type MarkerValue,
  type MarkerVariable,
} from './parse.js';
import { contains } from './specifier.js';
import { isSpecifierVersion } from './syntax.js';
import { parseVersion } from './version.js';

/**
 * Evaluating PEP 508 environment markers, for one target environment (as pip would on that machine) or for
 * "any environment" (auditing: could this dependency be installed somewhere?).
 */

/** The string variables of PEP 508, one value each. */
export type EnvironmentVariable = Exclude<MarkerVariable, 'extra' | 'extras' | 'dependency_groups'>;

export type MarkerEnvironment = Readonly<Record<EnvironmentVariable, string>> & {
  /** The extra being installed (`extra == "test"`); empty for none, as `packaging` defaults it. */
  readonly extra?: string;
  /** PEP 751 lock-file sets, tested with `in`/`not in`. */
  readonly extras?: readonly string[];
  readonly dependency_groups?: readonly string[];
};

export type MarkerErrorCode = 'MARKER_UNDEFINED_COMPARISON';

/** A comparison that has no meaning (`os_name ~= "posix"`); `packaging` raises too. */
export class MarkerError extends MlsecError<MarkerErrorCode> {}

type Truth = boolean | 'unknown';

/**
 * A side of a comparison: a string, a set of names (`extras`), one of several possible strings (an audit's
 * supported Python versions), or not known in this evaluation.
 */
type Operand =
  | { readonly text: string }
  | { readonly names: ReadonlySet<string> }
  | { readonly choices: readonly string[] }
  | 'unknown';

/**
 * Compares as `packaging` does: when `operator right` is a valid specifier and `left` a PEP 440 version, by
 * PEP 440 (pre-releases included); otherwise as Python compares strings. `packaging` 23.0 raises when
 * `left` is not a version; this falls back to the string comparison, as later `packaging` releases do.
 */
function compareStrings(left: string, operator: MarkerOperator, right: string): boolean {
  if (operator !== 'in' && operator !== 'not in' && isSpecifierVersion(operator, right.trim())) {
    if (parseVersion(left) !== undefined) {
      return contains(left, [{ operator, version: right.trim() }], { prereleases: true });
    }
  }
  switch (operator) {
    case 'in':
      return right.includes(left);
    case 'not in':
      return !right.includes(left);
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    default:
      throw new MarkerError(
        'MARKER_UNDEFINED_COMPARISON',
        `undefined comparison ${JSON.stringify(left)} ${operator} ${JSON.stringify(right)}`,
      );
  }
}

/** Each side as the plain operands it may be. */
function alternatives(side: Exclude<Operand, 'unknown'>): readonly Exclude<Operand, 'unknown'>[] {
  return 'choices' in side ? side.choices.map((text) => ({ text })) : [side];
}

function compare(left: Operand, operator: MarkerOperator, right: Operand): Truth {
  if (left === 'unknown' || right === 'unknown') return 'unknown';
  if ('choices' in left || 'choices' in right) {
    // Known only when every possible value gives the same answer.
    let answer: Truth | undefined;
    for (const one of alternatives(left)) {
      for (const other of alternatives(right)) {
        const value = compare(one, operator, other);
        if (answer !== undefined && value !== answer) return 'unknown';
        answer = value;
      }
    }
    return answer ?? 'unknown';
  }
  if ('names' in left) {
    throw new MarkerError('MARKER_UNDEFINED_COMPARISON', `a set of names cannot stand left of ${operator}`);
  }
  if ('names' in right) {
    if (operator !== 'in' && operator !== 'not in') {
      throw new MarkerError(
        'MARKER_UNDEFINED_COMPARISON',
        `a set of names can only be tested with in / not in`,
      );
    }
    return right.names.has(normalizeName(left.text)) === (operator === 'in');
  }
  return compareStrings(left.text, operator, right.text);
}

/** How one evaluation resolves variables: a value, or unknown in "any environment" mode. */
type Resolve = (variable: MarkerVariable) => Operand;

function operand(value: MarkerValue, resolve: Resolve): Operand {
  return value.kind === 'string' ? { text: value.value } : resolve(value.name);
}

function involvesExtra(value: MarkerValue): boolean {
  return value.kind === 'variable' && value.name === 'extra';
}

/** Extra names compare normalised (PEP 685), on both sides. */
function normalisedForExtra(side: Operand): Operand {
  return side !== 'unknown' && 'text' in side ? { text: normalizeName(side.text) } : side;
}

/**
 * Three-valued evaluation. And/or chains are walked in a loop rather than by recursion, so a marker with
 * thousands of clauses costs no stack; recursion is bounded by the parser's parenthesis depth.
 */
function evaluate(marker: Marker, resolve: Resolve): Truth {
  if (marker.kind === 'compare') {
    let left = operand(marker.left, resolve);
    let right = operand(marker.right, resolve);
    if (involvesExtra(marker.left) || involvesExtra(marker.right)) {
      left = normalisedForExtra(left);
      right = normalisedForExtra(right);
    }
    return compare(left, marker.operator, right);
  }
  const kind = marker.kind;
  const operands: Marker[] = [];
  let node: Marker = marker;
  while (node.kind === kind) {
    operands.push(node.right);
    node = node.left;
  }
  operands.push(node);
  // Kleene logic: a decisive value (false for and, true for or) wins over unknown.
  const decisive = kind === 'or';
  let result: Truth = !decisive;
  for (const item of operands.reverse()) {
    const value = evaluate(item, resolve);
    if (value === decisive) return decisive;
    if (value === 'unknown') result = 'unknown';
  }
  return result;
}

function namesOf(values: readonly string[] | undefined): Operand {
  return { names: new Set((values ?? []).map(normalizeName)) };
}

/**
 * Evaluates `marker` for one environment, as `packaging` does. Throws `MarkerError` on an undefined
 * comparison.
 */
export function evaluateMarker(marker: Marker, environment: MarkerEnvironment): boolean {
  const result = evaluate(marker, (variable) => {
    if (variable === 'extra') return { text: environment.extra ?? '' };
    if (variable === 'extras') return namesOf(environment.extras);
    if (variable === 'dependency_groups') return namesOf(environment.dependency_groups);
    return { text: environment[variable] };
  });
  // Every variable has a value here, so the evaluation is never unknown.
  return result === true;
}

export interface AnyEnvironmentOptions {
  /**
   * The extras being installed. Without them, `extra == "x"` is unknown; with them, the marker is evaluated
   * once per extra (and once with no extra when the list is empty), and is true when any evaluation is.
   */
  readonly extras?: readonly string[];
  /** The PEP 751 `dependency_groups` set; unknown when left out. */
  readonly dependencyGroups?: readonly string[];
  /**
   * Variables the audit does know: one value (`{ sys_platform: 'linux' }`) or the values it may take
   * (`{ python_version: ['3.8', '3.9', …] }` for a project that supports those), in which case a comparison
   * is known when all of them agree. Every other environment variable is unknown.
   */
  readonly known?: Partial<Readonly<Record<EnvironmentVariable, string | readonly string[]>>>;
}

/**
 * Whether `marker` holds on any environment: `false` only when it is false whatever the unknown variables
 * are (`python_version < "3" and python_version >= "3"` is not recognised as false: each comparison is
 * judged on its own, so a marker that depends on the environment is `'unknown'`, never `false`).
 * An undefined comparison is `'unknown'` too: auditing must not drop a dependency over a marker it
 * cannot judge.
 */
export function evaluateMarkerAnyEnvironment(marker: Marker, options: AnyEnvironmentOptions = {}): Truth {
  const { extras } = options;
  const run = (extra: string | undefined): Truth => {
    try {
      return evaluate(marker, (variable) => {
        if (variable === 'extra') return extra === undefined ? 'unknown' : { text: extra };
        if (variable === 'extras') return extras === undefined ? 'unknown' : namesOf(extras);
        if (variable === 'dependency_groups') {
          return options.dependencyGroups === undefined ? 'unknown' : namesOf(options.dependencyGroups);
        }
        const value = options.known?.[variable];
        if (value === undefined) return 'unknown';
        return typeof value === 'string' ? { text: value } : { choices: value };
      });
    } catch (error) {
      if (error instanceof MarkerError) return 'unknown';
      throw error;
    }
  };
  if (extras === undefined) return run(undefined);
  let result: Truth = false;
  for (const extra of extras.length === 0 ? [''] : extras) {
    const value = run(extra);
    if (value === true) return true;
    if (value === 'unknown') result = 'unknown';
  }
  return result;
}
