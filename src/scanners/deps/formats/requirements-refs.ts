import { messageOf } from '../../../core/errors.js';
import type { PinKind } from '../model.js';
import {
  normalizeName,
  parseMarker,
  parseRequirement,
  type Requirement,
  type Specifier,
} from '../pep508/parse.js';
import { pinOf } from './declared.js';

/**
 * What one requirement line of a requirements file names: a PEP 508 requirement, a direct URL, a VCS checkout,
 * a local project or archive, or an editable install. Names of direct references come, as pip takes them, from
 * the `#egg=` fragment or the wheel/sdist file name; a VCS or archive URL without either is named after the
 * repository or last path segment (pip would build it to learn the name), so that the line can still be reported.
 * A local folder without `#egg=` (`-e .`, `./libs/core`) is the project's own or vendored source, scanned as
 * code: it is not a component, as in the conda parser.
 */
export interface Reference {
  readonly name: string;
  readonly normalizedName: string;
  readonly extras: readonly string[];
  readonly specifiers: readonly Specifier[];
  readonly pin: PinKind;
  /** An exact pin's version, or the version a wheel or sdist file name carries. */
  readonly version?: string;
  readonly url?: string;
  readonly markerText?: string;
}

const VCS_SCHEMES = new Set(
  [
    'git+http git+https git+ssh git+git git+file',
    'hg+file hg+http hg+https hg+ssh hg+static-http',
    'svn+ssh svn+http svn+https svn+svn svn+file',
    'bzr+http bzr+https bzr+ssh bzr+sftp bzr+ftp bzr+lp bzr+file',
  ].flatMap((group) => group.split(' ')),
);
const URL_SCHEMES = new Set(['http', 'https', 'file', 'ftp', ...VCS_SCHEMES]);
const ARCHIVE = /\.(?:whl|tar\.gz|tgz|tar|tar\.bz2|tbz|tar\.xz|txz|tlz|tar\.lz|tar\.lzma|zip)$/i;
const WHEEL = /^([^\s-]+?)-([^\s-]*?)(?:-\d[^-]*?)?-[^\s-]+?-[^\s-]+?-[^\s-]+?\.whl$/i;
const SDIST = /^(.+?)-(\d[^-]*)\.(?:tar\.gz|tgz|tar|tar\.bz2|tbz|tar\.xz|txz|tlz|tar\.lz|tar\.lzma|zip)$/i;
const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const EGG = /[#&]egg=([^&]*)/;
/** `name @ …` or `name[extra] @ …`: a PEP 508 URL requirement rather than a path with an `@` in it. */
const NAMED_URL = /^[A-Za-z0-9][A-Za-z0-9._-]*[ \t]*(?:\[[^\]]*\][ \t]*)?@/;

function schemeOf(text: string): string | undefined {
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : text.slice(0, colon).toLowerCase();
}

function isUrl(text: string): boolean {
  const scheme = schemeOf(text);
  return scheme !== undefined && URL_SCHEMES.has(scheme);
}

function urlPin(url: string): PinKind {
  const scheme = schemeOf(url) ?? '';
  if (VCS_SCHEMES.has(scheme)) return 'vcs';
  return scheme === 'file' ? 'path' : 'url';
}

/**
 * Reads a requirement line's requirement text as pip's `parse_req_from_line` does, without looking at the file
 * system: a URL, a `name @ url`, something that looks like a path or an archive, else a PEP 508 requirement.
 */
export function readRequirementText(text: string): Reference | undefined {
  if (isUrl(text)) {
    // pip splits a URL's marker at `; ` only, since `;` may appear inside a URL.
    const [url, marker] = splitOnce(text, '; ');
    const target = url.trim();
    return isUnnamedFolder(target) ? undefined : { ...fromLink(target, urlPin(target)), ...markerOf(marker) };
  }
  if (NAMED_URL.test(text)) return fromPep508(text);
  const [target, marker] = splitOnce(text, ';');
  const { path, extras } = stripExtras(target.trim());
  if (/[/\\]/.test(path) || path.startsWith('.') || ARCHIVE.test(path)) {
    if (isUnnamedFolder(path)) return undefined;
    const reference = fromLink(path, 'path');
    return { ...reference, extras: extras.length > 0 ? extras : reference.extras, ...markerOf(marker) };
  }
  return fromPep508(text);
}

/** `-e` takes a local project folder (optionally `[extras]`) or a VCS URL that names its project with `#egg=`. */
export function readEditable(text: string): Reference | undefined {
  const { path, extras } = stripExtras(text);
  if (isUnnamedFolder(path)) return undefined;
  if (path.toLowerCase().startsWith('file:')) return { ...fromLink(path, 'path'), extras };
  let url = text;
  const bare = ['git', 'hg', 'svn', 'bzr'].find((vcs) => text.toLowerCase().startsWith(`${vcs}:`));
  if (bare !== undefined) url = `${bare}+${text}`;
  if (isUrl(url)) {
    if (urlPin(url) !== 'vcs')
      throw new Error(
        `${text} is not a valid editable requirement: it must be a local project path or a VCS URL`,
      );
    if (eggOf(url) === undefined)
      throw new Error(`could not detect the project name of editable ${text}: pip needs #egg=name`);
    return fromLink(url, 'vcs');
  }
  return { ...fromLink(path, 'path'), extras };
}

/**
 * pip's `_strip_extras` (`^(.+)(\[[^\]]+\])$`): a trailing `[extras]` on a path, found without a regex that would
 * backtrack quadratically on a line of `[`.
 */
function stripExtras(text: string): { path: string; extras: string[] } {
  const open = text.endsWith(']') ? text.lastIndexOf('[') : -1;
  if (open < 1 || open + 2 >= text.length || text.slice(open, -1).includes(']'))
    return { path: text, extras: [] };
  return {
    path: text.slice(0, open),
    extras: parseRequirement(`placeholder${text.slice(open)}`).extras.slice(),
  };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

function markerOf(text: string | undefined): { markerText?: string } {
  if (text === undefined) return {};
  const markerText = text.trim();
  parseMarker(markerText);
  return { markerText };
}

function eggOf(url: string): { name: string; extras: string[] } | undefined {
  const fragment = EGG.exec(url.slice(Math.max(0, url.indexOf('#'))))?.[1];
  if (fragment === undefined || !url.includes('#')) return undefined;
  const { path: name, extras } = stripExtras(fragment);
  if (!PROJECT_NAME.test(name)) throw new Error(`invalid #egg= fragment ${JSON.stringify(fragment)}`);
  return { name, extras };
}

/** A local folder, or a `file:` URL of one, that no `#egg=` names. */
function isUnnamedFolder(target: string): boolean {
  if (isUrl(target) && schemeOf(target) !== 'file') return false;
  return eggOf(target) === undefined && !ARCHIVE.test(lastSegment(target));
}

/** The last path segment of a URL or path, without query, fragment or a VCS `@ref`. */
function lastSegment(target: string): string {
  const withoutFragment = target.replace(/[?#].*$/, '');
  const segment =
    withoutFragment
      .split(/[/\\]/)
      .filter((part) => part !== '')
      .pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Name and version of a direct reference: `#egg=`, then the wheel or sdist file name, then the repo or folder. */
function fromLink(target: string, pin: PinKind): Reference {
  const egg = eggOf(target);
  const file = lastSegment(target);
  // File names are short; the patterns only run on ones that end like an archive.
  const wheel = /\.whl$/i.test(file) ? WHEEL.exec(file) : null;
  const sdist = wheel === null && ARCHIVE.test(file) ? SDIST.exec(file) : null;
  const archive = wheel ?? sdist;
  let name = egg?.name;
  let version: string | undefined;
  if (archive !== null) {
    name ??= (archive[1] ?? '').replace(/_/g, '-');
    version = (archive[2] ?? '').replace(/_/g, '-');
  } else if (egg === undefined) {
    if (ARCHIVE.test(file)) throw new Error(`cannot tell the project and version from the file name ${file}`);
    name = file.replace(/@.*$/, '').replace(/\.git$/i, '');
  }
  if (name === undefined || !PROJECT_NAME.test(name))
    throw new Error(`cannot tell the project name of ${target}; name it with #egg=name or name @ url`);
  return {
    name,
    normalizedName: normalizeName(name),
    extras: egg?.extras ?? [],
    specifiers: version === undefined ? [] : [{ operator: '==', version }],
    pin,
    ...(version !== undefined && { version }),
    url: target,
  };
}

/** A specifier operator and the version token after it, in a requirement's text before its marker. */
const SPECIFIER_TOKEN = /(===|==|!=|<=|>=|~=|<|>)(\s*)([^\s,;()]*)/g;

/**
 * A PEP 508 requirement. A `${NAME}` variable left unexpanded (not set in the given environment) may stand for a
 * version: the specifier keeps it as written and the pin counts as a range, since its value is unknown. In the
 * name or extras it makes the package unknown, which is an error.
 */
function fromPep508(text: string): Reference {
  const markerAt = text.indexOf(';');
  const head = markerAt < 0 ? text : text.slice(0, markerAt);
  // Versions written with variables are parsed as `0.0` (valid after every operator) and restored afterwards.
  const unset = new Map<number, string>();
  let position = 0;
  const parsedHead = head.replace(
    SPECIFIER_TOKEN,
    (whole, operator: string, space: string, version: string) => {
      const index = position++;
      if (!version.includes('${')) return whole;
      unset.set(index, version);
      return `${operator}${space}0.0`;
    },
  );
  let requirement: Requirement;
  try {
    requirement = parseRequirement(parsedHead + text.slice(head.length));
  } catch (error) {
    const variable = /\$\{[A-Z0-9_]+\}/.exec(text)?.[0];
    if (variable === undefined) throw error;
    throw new Error(`${messageOf(error)} (the environment variable ${variable} is not set)`, {
      cause: error,
    });
  }
  const specifiers = requirement.specifiers.map((specifier, index) => {
    const written = unset.get(index);
    return written === undefined ? specifier : { ...specifier, version: written };
  });
  if (requirement.url !== undefined)
    return { ...requirement, specifiers, pin: urlPin(requirement.url), url: requirement.url };
  const pinned = unset.size > 0 ? { pin: 'range' as const } : pinOf(specifiers);
  return {
    name: requirement.name,
    normalizedName: requirement.normalizedName,
    extras: requirement.extras,
    specifiers,
    ...pinned,
    ...(requirement.markerText !== undefined && { markerText: requirement.markerText }),
  };
}
