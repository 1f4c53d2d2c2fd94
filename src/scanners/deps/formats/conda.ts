import type { Node } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { ParseError } from '../../../core/errors.js';
import type { Component, Hash, IndexSetting, Manifest } from '../model.js';
import type { Specifier } from '../pep508/parse.js';
import { normalizeName } from '../pep508/parse.js';
import type { ManifestInput } from './input.js';
import { requirementAt } from './metadata.js';
import { componentOf } from './declared.js';

/**
 * Conda `environment.yml` / `conda.yaml`: `dependencies` as conda match specs plus a nested `pip:`
 * list of requirement lines. Conda packages stay in the conda ecosystem (conda's `pytorch` is not PyPI's `torch`);
 * the pip list is PyPI. YAML is read with the 1.2 core schema and no custom tags; duplicate keys are errors.
 */

interface Located {
  readonly text: string;
  readonly line: number;
}

export function parseConda(input: ManifestInput): Promise<Manifest> {
  // The executor turns a thrown ParseError into a rejection, as an async parser's would be.
  return new Promise((resolve) => {
    resolve(readConda(input));
  });
}

function readConda(input: ManifestInput): Manifest {
  const lineCounter = new LineCounter();
  const document = parseDocument(input.text, { schema: 'core', lineCounter, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range === undefined || node.range === null ? 1 : lineCounter.linePos(node.range[0]).line;
  // A warning is an unresolved tag (`!!python/object`) or the like: nothing a plain environment file needs.
  const [error] = [...document.errors, ...document.warnings];
  if (error !== undefined)
    throw new ParseError(
      'BAD_STRUCTURE',
      `${input.path}:${error.linePos?.[0].line ?? 1}: ${error.message.split('\n')[0] ?? ''}`,
    );
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new ParseError('BAD_STRUCTURE', `${input.path}:${lineOf(node)}: ${message}`);
  };
  const scalar = (item: unknown, what: string): Located => {
    if (!isScalar(item) || (typeof item.value !== 'string' && typeof item.value !== 'number'))
      return fail(
        isAlias(item) || isMap(item) || isSeq(item) ? item : undefined,
        `${what} entry is not a string`,
      );
    return { text: String(item.value), line: lineOf(item) };
  };
  // `key:` with nothing after it is a null scalar, read as an empty list.
  const absent = (node: unknown): boolean => node === undefined || (isScalar(node) && node.value === null);
  const strings = (node: unknown, what: string): Located[] => {
    if (absent(node)) return [];
    if (!isSeq(node)) return fail(isMap(node) || isScalar(node) ? node : undefined, `${what} is not a list`);
    return node.items.map((item) => scalar(item, what));
  };
  const root = document.contents;
  if (root === null) return { path: input.path, format: 'conda', components: [], indexes: [], lock: false };
  if (!isMap(root)) return fail(root, 'an environment file is a mapping');
  // Channels are checked for shape but not reported as indexes: an `IndexSetting` has no ecosystem, and the
  // index checks would read a second conda channel as pip's `--extra-index-url` beside PyPI, which it is not.
  // A `channel::name` pin is kept on its component.
  strings(root.get('channels', true), 'channels');
  const indexes: IndexSetting[] = [];
  const components: Component[] = [];
  const dependencies = root.get('dependencies', true);
  if (!absent(dependencies) && !isSeq(dependencies))
    return fail(
      isMap(dependencies) || isScalar(dependencies) ? dependencies : undefined,
      'dependencies is not a list',
    );
  for (const item of isSeq(dependencies) ? dependencies.items : []) {
    if (isMap(item)) {
      const [pair, ...others] = item.items;
      if (pair === undefined || others.length > 0 || !isScalar(pair.key) || pair.key.value !== 'pip')
        return fail(item, 'the only mapping allowed in dependencies is "pip:"');
      const pip = readPipLines(strings(pair.value, 'pip'), input.path);
      components.push(...pip.components);
      indexes.push(...pip.indexes);
      continue;
    }
    const component = condaComponent(scalar(item, 'dependencies'), input.path);
    if (component !== undefined) components.push(component);
  }
  return { path: input.path, format: 'conda', components, indexes, lock: false };
}

export interface MatchSpec {
  readonly channel?: string;
  readonly name: string;
  /** The version part as written (`1.26.*`, `>=1.2,<2`, `=1.2`, `==1.2.3`); absent for a bare name. */
  readonly version?: string;
  readonly build?: string;
}

/** Splits a conda match spec: `[channel::]name[ version[ build]]`, `name=version=build`, `name[version=…]`. */
export function parseMatchSpec(spec: string): MatchSpec | undefined {
  let text = spec.trim();
  const brackets: Record<string, string> = {};
  const bracket = /\[([^\]]*)\]$/.exec(text);
  if (bracket !== null) {
    for (const part of (bracket[1] ?? '').split(',')) {
      const pair = /^\s*([a-z_]+)\s*=\s*['"]?([^'"]*)['"]?\s*$/.exec(part);
      if (pair === null) return undefined;
      brackets[pair[1] ?? ''] = pair[2] ?? '';
    }
    text = text.slice(0, bracket.index).trim();
  }
  const separator = text.lastIndexOf('::');
  const channel = separator >= 0 ? text.slice(0, separator) : brackets['channel'];
  if (separator >= 0) text = text.slice(separator + 2);
  const name = /^[A-Za-z0-9_][A-Za-z0-9_.-]*/.exec(text)?.[0];
  if (name === undefined) return undefined;
  const rest = text.slice(name.length);
  let version: string | undefined = brackets['version'];
  let build: string | undefined = brackets['build'];
  if (/^\s/.test(rest)) {
    const words = rest.trim().split(/\s+/);
    if (words.length > 2) return undefined;
    [version, build] = words;
  } else if (rest.startsWith('=') && !rest.startsWith('==')) {
    const parts = rest.slice(1).split('=');
    if (parts.length > 2 || parts[0] === '') return undefined;
    version = `=${parts[0] ?? ''}`;
    build = parts[1];
  } else if (/^[=<>!~]/.test(rest)) {
    const words = rest.split(/\s+/);
    if (words.length > 2) return undefined;
    [version, build] = words;
  } else if (rest !== '') {
    return undefined;
  }
  return {
    ...(channel !== undefined && { channel }),
    name,
    ...(version !== undefined && version !== '' && { version }),
    ...(build !== undefined && build !== '' && { build }),
  };
}

/**
 * Conda version constraints as PEP 440-shaped specifiers, and the exact version when there is one. `=1.2` is
 * conda's fuzzy `1.2.*`, so a `=` version counts as exact only with three or more parts or with a build string;
 * `==1.2` and a bare version in the space form are exact. An `|` alternative has no specifier-set equivalent.
 */
export function condaVersion(spec: MatchSpec): { specifiers: Specifier[]; exact?: string } {
  const version = spec.version;
  if (version === undefined) return { specifiers: [] };
  if (version.includes('|')) return { specifiers: [] };
  const specifiers: Specifier[] = [];
  for (const part of version.split(',')) {
    const [, operator = '', value = ''] = /^(==|!=|>=|<=|~=|>|<|=)?(.*)$/.exec(part.trim()) ?? [];
    const prefix = value.endsWith('*') ? value.replace(/\.?\*$/, '') : undefined;
    if (operator === '' || operator === '==' || operator === '=') {
      const fuzzy =
        prefix !== undefined || (operator === '=' && spec.build === undefined && value.split('.').length < 3);
      specifiers.push({ operator: '==', version: fuzzy ? `${prefix ?? value}.*` : value });
    } else {
      specifiers.push({ operator: operator as Specifier['operator'], version: value });
    }
  }
  const [only, ...others] = specifiers;
  const exact =
    only?.operator === '==' && others.length === 0 && !only.version.endsWith('*') ? only.version : undefined;
  return { specifiers, ...(exact !== undefined && { exact }) };
}

function condaComponent(entry: Located, path: string): Component | undefined {
  const spec = parseMatchSpec(entry.text);
  if (spec === undefined)
    throw new ParseError(
      'BAD_STRUCTURE',
      `${path}:${entry.line}: not a conda match spec: ${JSON.stringify(entry.text)}`,
    );
  // The interpreter is the environment itself, not a package to audit.
  if (spec.name.toLowerCase() === 'python') return undefined;
  const { specifiers, exact } = condaVersion(spec);
  return {
    name: spec.name,
    normalizedName: spec.name.toLowerCase(),
    ecosystem: 'conda',
    ...(exact !== undefined && { version: exact }),
    specifiers,
    pin: exact !== undefined ? 'exact' : spec.version !== undefined ? 'range' : 'unpinned',
    direct: true,
    scope: 'main',
    hashes: [],
    extras: [],
    ...(spec.channel !== undefined && { index: spec.channel }),
    origin: { path, line: entry.line },
  };
}

const INDEX_OPTIONS: Readonly<Record<string, IndexSetting['kind']>> = {
  '-i': 'primary',
  '--index-url': 'primary',
  '--extra-index-url': 'extra',
  '-f': 'find-links',
  '--find-links': 'find-links',
  '--trusted-host': 'trusted-host',
};

/**
 * The `pip:` list, which conda hands to pip as a requirements file: requirement lines with `--hash` options,
 * `-e` editables, and index options. `-r`/`-c` includes are refused (the included file is scanned on its own).
 */
export function readPipLines(
  lines: readonly Located[],
  path: string,
): { components: Component[]; indexes: IndexSetting[] } {
  const components: Component[] = [];
  const indexes: IndexSetting[] = [];
  for (const { text: raw, line } of lines) {
    const text = raw.replace(/(?:^|\s)#.*$/, '').trim();
    if (text === '') continue;
    const fail = (message: string): never => {
      throw new ParseError('UNSUPPORTED', `${path}:${line}: ${message}`);
    };
    const option = /^(-[a-z]|--[a-z-]+)(?:[ =]\s*(.*))?$/.exec(text);
    if (option !== null) {
      const [, name = '', argument = ''] = option;
      const kind = INDEX_OPTIONS[name];
      if (kind !== undefined && argument !== '') {
        indexes.push({ url: argument.trim(), kind, origin: { path, line } });
      } else if (name === '-e' || name === '--editable') {
        const editable = editableComponent(argument.trim(), path, line);
        if (editable !== undefined) components.push(editable);
      } else if (['-r', '--requirement', '-c', '--constraint'].includes(name)) {
        fail(`pip ${name} ${argument} inside an environment file is not followed; scan that file directly`);
      } else {
        fail(`pip option ${name} is not supported in an environment file`);
      }
      continue;
    }
    const hashes: Hash[] = [];
    const requirementText = text.replace(
      /\s+--hash[ =]([a-z0-9]+):([0-9a-fA-F]+)/g,
      (_, algorithm: string, digest: string) => {
        hashes.push({ algorithm, digest });
        return '';
      },
    );
    const component = componentOf(requirementAt(requirementText, path, line), path, line, 'main');
    components.push(hashes.length > 0 ? { ...component, hashes } : component);
  }
  return { components, indexes };
}

/**
 * `-e git+https://…#egg=name` or `-e ./local`. A local folder without an `#egg=` name is the project's own
 * source (`-e .`), which mlsec scans as code rather than as a dependency; a URL without a name cannot be told apart.
 */
function editableComponent(target: string, path: string, line: number): Component | undefined {
  const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(target)?.[1];
  const remote = /^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('file:');
  if (egg === undefined) {
    if (!remote) return undefined;
    throw new ParseError('UNSUPPORTED', `${path}:${line}: editable ${target} has no #egg= name`);
  }
  return {
    name: egg,
    normalizedName: normalizeName(egg),
    ecosystem: 'PyPI',
    specifiers: [],
    pin: /^(?:git|hg|svn|bzr)\+/i.test(target) ? 'vcs' : remote ? 'url' : 'path',
    direct: true,
    scope: 'main',
    hashes: [],
    extras: [],
    url: target,
    origin: { path, line },
  };
}
