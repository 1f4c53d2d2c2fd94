import { ParseError } from '../../../core/errors.js';
import type { Component, Manifest } from '../model.js';
import { componentOf } from './declared.js';
import type { ManifestInput } from './input.js';
import { requirementAt } from './metadata.js';

/**
 * setup.cfg, read the way setuptools reads it: INI sections and `key = value` (or `key: value`) options, where
 * indented lines continue the value and whole-line `#`/`;` comments are skipped. Requirement lists are one per
 * line, or `;`-separated on a single line (setuptools' rule, which is why a marker must be on its own line), and
 * `file: a.txt, b.txt` reads requirement lines from those files. The INI dialect is small, so it is parsed by hand.
 */

interface IniValue {
  /** The value's lines with their 1-based line numbers; the first is the text after `=` (maybe empty). */
  readonly lines: { readonly text: string; readonly line: number }[];
}

type IniFile = Map<string, Map<string, IniValue>>;

export function parseIni(text: string, path: string): IniFile {
  const sections: IniFile = new Map();
  let section: Map<string, IniValue> | undefined;
  let value: IniValue | undefined;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (trimmed === '') continue;
    if (/^[ \t]/.test(raw) && value !== undefined) {
      value.lines.push({ text: trimmed, line });
      continue;
    }
    value = undefined;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header !== null) {
      const name = (header[1] ?? '').trim();
      if (sections.has(name))
        throw new ParseError('BAD_STRUCTURE', `${path}:${line}: section [${name}] repeated`);
      section = new Map();
      sections.set(name, section);
      continue;
    }
    const option = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (option === null || section === undefined)
      throw new ParseError('BAD_STRUCTURE', `${path}:${line}: expected "[section]" or "key = value"`);
    const key = (option[1] ?? '').toLowerCase();
    if (section.has(key)) throw new ParseError('BAD_STRUCTURE', `${path}:${line}: option ${key} repeated`);
    value = { lines: [{ text: (option[2] ?? '').trim(), line }] };
    section.set(key, value);
  }
  return sections;
}

/** The requirement lists setuptools reads from `[options]`, and the scope each gets. */
const OPTION_SCOPES: readonly (readonly [string, string])[] = [
  ['install_requires', 'main'],
  ['setup_requires', 'setup'],
  ['tests_require', 'test'],
];

export async function parseSetupCfg(input: ManifestInput): Promise<Manifest> {
  const ini = parseIni(input.text, input.path);
  const components: Component[] = [];
  const options = ini.get('options');
  for (const [key, scope] of OPTION_SCOPES) {
    const value = options?.get(key);
    if (value !== undefined) components.push(...(await requirementList(input, value, scope)));
  }
  for (const [extra, value] of ini.get('options.extras_require') ?? [])
    components.push(...(await requirementList(input, value, extra)));
  return { path: input.path, format: 'setup-cfg', components, indexes: [], lock: false };
}

async function requirementList(input: ManifestInput, value: IniValue, scope: string): Promise<Component[]> {
  const first = value.lines[0];
  if (first !== undefined && first.text.startsWith('file:'))
    return fileRequirements(input, first.text, scope);
  const entries =
    value.lines.length === 1 && first !== undefined
      ? first.text.split(';').map((text) => ({ text, line: first.line }))
      : value.lines;
  return entries.flatMap(({ text, line }) => {
    const requirement = stripComment(text);
    if (requirement === '') return [];
    return [componentOf(requirementAt(requirement, input.path, line), input.path, line, scope)];
  });
}

/** `file: requirements.txt, extra.txt`: plain requirement lines (no pip options), as setuptools reads them. */
async function fileRequirements(
  input: ManifestInput,
  directive: string,
  scope: string,
): Promise<Component[]> {
  const components: Component[] = [];
  for (const name of directive
    .slice('file:'.length)
    .split(',')
    .map((part) => part.trim())) {
    if (name === '') continue;
    const included = await input.readInclude(name);
    for (const [index, raw] of included.text.split(/\r?\n/).entries()) {
      const text = stripComment(raw);
      if (text === '') continue;
      if (text.startsWith('-'))
        throw new ParseError(
          'UNSUPPORTED',
          `${included.path}:${index + 1}: setuptools does not accept pip options`,
        );
      components.push(
        componentOf(requirementAt(text, included.path, index + 1), included.path, index + 1, scope),
      );
    }
  }
  return components;
}

/** A whole-line comment, or a `#` after whitespace (but not a URL fragment such as `#egg=`). */
function stripComment(text: string): string {
  return text.replace(/(?:^|\s)#.*$/, '').trim();
}
