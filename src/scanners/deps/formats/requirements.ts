import { LimitError, messageOf, MlsecError, ParseError } from '../../../core/errors.js';
import type { Component, Hash, IndexSetting, Manifest } from '../model.js';
import { parseHash } from './declared.js';
import type { ManifestInput } from './input.js';
import { logicalLines, type ParsedOption, parseOptions, splitArguments } from './requirements-lines.js';
import { readEditable, readRequirementText, type Reference } from './requirements-refs.js';

/**
 * pip requirements files (`requirements*.txt`, `*.in`, `constraints.txt`), read statically with pip's own rules:
 * nothing is installed, downloaded or resolved, and a line pip would reject makes the file unscannable.
 *
 * - `-r` includes add their components with the included file and line as origin; `-c` constraint files add
 *   theirs with scope `constraint` and `direct: false`, since they only restrict versions of other requirements.
 *   Includes are read relative to the including file; a cycle is an error, a file reached twice (a diamond) is read
 *   once. Remote includes (`-r https://…`) are not fetched: the file is unscannable.
 * - `${NAME}` variables are expanded from `env` (empty in scans, so that results do not depend on the scanning
 *   machine); an unexpanded variable stays as written. In a version (`torch==${TORCH_VERSION}`) it makes the pin a
 *   range, as its value is unknown; in a package name it is an error.
 * - A local folder without `#egg=` (`-e .`) is the project's own or vendored source, not a component.
 * - pip options on a requirement line other than `--hash`, `--config-settings` and `--global-option` are ignored,
 *   as pip ignores them; so are options after `-r`/`-c` on the same line.
 */
export interface RequirementsManifest extends Manifest {
  readonly format: 'requirements';
  /** `--require-hashes` in this file or an included one: pip then needs a hash on every requirement. */
  readonly requireHashes: boolean;
  /** `--no-index`: pip ignores every index option and uses only `--find-links`. */
  readonly noIndex: boolean;
  /** The requirement text of each component's line as written (options and comments removed), for evidence. */
  readonly lineTexts: ReadonlyMap<Component, string>;
}

export interface RequirementsOptions {
  /** Values for `${NAME}` references. */
  readonly env?: Readonly<Record<string, string>>;
}

/** pip has no include limit; real projects nest two or three levels. */
export const MAX_INCLUDE_DEPTH = 16;
/** Bounds the text read through includes, so that a chain of large files cannot exhaust memory. */
export const MAX_INCLUDED_BYTES = 64 * 1024 * 1024;

export function isRequirementsManifest(manifest: Manifest): manifest is RequirementsManifest {
  return manifest.format === 'requirements' && 'lineTexts' in manifest;
}

interface State {
  readonly env: Readonly<Record<string, string>>;
  readonly components: Component[];
  readonly indexes: IndexSetting[];
  readonly lineTexts: Map<Component, string>;
  /** Files already read, with their mode, so that diamonds are read once. */
  readonly done: Set<string>;
  bytes: number;
  requireHashes: boolean;
  noIndex: boolean;
}

interface Frame {
  readonly absolutePath: string;
  readonly path: string;
}

export async function parseRequirementsFile(
  input: ManifestInput,
  options: RequirementsOptions = {},
): Promise<RequirementsManifest> {
  const state: State = {
    env: options.env ?? {},
    components: [],
    indexes: [],
    lineTexts: new Map(),
    done: new Set(),
    bytes: input.text.length,
    requireHashes: false,
    noIndex: false,
  };
  await readFile(input, false, [], state);
  return {
    path: input.path,
    format: 'requirements',
    components: state.components,
    indexes: state.indexes,
    lock: false,
    requireHashes: state.requireHashes,
    noIndex: state.noIndex,
    lineTexts: state.lineTexts,
  };
}

/** The `PARSERS` entry: scans never expand variables from the scanning machine's environment. */
export function parseRequirements(input: ManifestInput): Promise<Manifest> {
  return parseRequirementsFile(input);
}

async function readFile(
  input: ManifestInput,
  constraint: boolean,
  stack: Frame[],
  state: State,
): Promise<void> {
  state.done.add(`${input.absolutePath}\0${String(constraint)}`);
  const frames = [...stack, { absolutePath: input.absolutePath, path: input.path }];
  for (const { line, text } of logicalLines(input.text, state.env)) {
    const where = `${input.path}:${line}`;
    let requirement: string;
    let parsed: ParsedOption[];
    try {
      const parts = splitArguments(text);
      requirement = parts.requirement.trim();
      parsed = parseOptions(parts.options);
    } catch (error) {
      throw new ParseError('INVALID_VALUE', `${where}: ${messageOf(error)}`);
    }
    const editable = parsed.find((option) => option.name === 'editable');
    if (requirement !== '' || editable !== undefined) {
      const reference = referenceOf(requirement, editable?.value, where);
      if (reference !== undefined)
        addComponent(reference, requirement === '' ? `-e ${editable?.value ?? ''}` : requirement, parsed, {
          state,
          constraint,
          editable: requirement === '',
          origin: { path: input.path, line },
        });
      continue;
    }
    const include = parsed.find((option) => option.name === 'requirement' || option.name === 'constraint');
    if (include !== undefined) {
      await readInclude(input, include, frames, line, state);
      continue;
    }
    applyOptions(parsed, { path: input.path, line }, state);
  }
}

function referenceOf(
  requirement: string,
  editable: string | undefined,
  where: string,
): Reference | undefined {
  try {
    return requirement !== '' ? readRequirementText(requirement) : readEditable(editable ?? '');
  } catch (error) {
    throw new ParseError('INVALID_VALUE', `${where}: ${messageOf(error)}`);
  }
}

function addComponent(
  reference: Reference,
  text: string,
  options: readonly ParsedOption[],
  at: { state: State; constraint: boolean; editable: boolean; origin: { path: string; line: number } },
): void {
  // pip ignores per-requirement options on `-e` lines.
  const hashes: Hash[] = options
    .filter((option) => option.name === 'hash' && !at.editable)
    .map(({ value }) => parseHash(value));
  const component: Component = {
    ...reference,
    ecosystem: 'PyPI',
    direct: !at.constraint,
    scope: at.constraint ? 'constraint' : 'main',
    hashes,
    origin: at.origin,
  };
  at.state.components.push(component);
  at.state.lineTexts.set(component, text);
}

async function readInclude(
  input: ManifestInput,
  option: ParsedOption,
  frames: readonly Frame[],
  line: number,
  state: State,
): Promise<void> {
  const where = `${input.path}:${line}`;
  const flag = option.name === 'requirement' ? '-r' : '-c';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(option.value))
    throw new ParseError(
      'UNSUPPORTED',
      `${where}: ${flag} ${option.value} is remote; mlsec does not fetch includes`,
    );
  if (frames.length > MAX_INCLUDE_DEPTH)
    throw new LimitError('NESTING_DEPTH', `${where}: includes nest deeper than ${MAX_INCLUDE_DEPTH} files`);
  let included: ManifestInput;
  try {
    included = await input.readInclude(option.value);
  } catch (error) {
    if (error instanceof MlsecError) throw error;
    throw new ParseError(
      'BAD_STRUCTURE',
      `${where}: cannot read ${flag} ${option.value}: ${messageOf(error)}`,
    );
  }
  const cycle = frames.findIndex((frame) => frame.absolutePath === included.absolutePath);
  if (cycle >= 0) {
    const chain = [...frames.slice(cycle).map((frame) => frame.path), included.path].join(' -> ');
    throw new ParseError(
      'BAD_STRUCTURE',
      `${where}: ${flag} ${option.value} forms an include cycle: ${chain}`,
    );
  }
  // pip reads `-r` inside a constraint file as requirements, and anything inside a `-c` file as constraints.
  const constraint = option.name === 'constraint';
  if (state.done.has(`${included.absolutePath}\0${String(constraint)}`)) return;
  state.bytes += included.text.length;
  if (state.bytes > MAX_INCLUDED_BYTES)
    throw new LimitError('FILE_SIZE', `${where}: included files exceed ${MAX_INCLUDED_BYTES} bytes in all`);
  await readFile(included, constraint, [...frames], state);
}

const INDEX_KINDS: Partial<Record<ParsedOption['name'], IndexSetting['kind']>> = {
  'index-url': 'primary',
  'extra-index-url': 'extra',
  'find-links': 'find-links',
  'trusted-host': 'trusted-host',
};

/** Global options: index settings, and the flags the checks need. Build-format options do not matter here. */
function applyOptions(
  options: readonly ParsedOption[],
  origin: { path: string; line: number },
  state: State,
): void {
  for (const option of options) {
    const kind = INDEX_KINDS[option.name];
    if (kind !== undefined) state.indexes.push({ url: option.value, kind, origin });
    if (option.name === 'require-hashes') state.requireHashes = true;
    if (option.name === 'no-index') state.noIndex = true;
  }
}
