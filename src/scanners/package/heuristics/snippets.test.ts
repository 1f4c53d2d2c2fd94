import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModuleRole } from '../model.js';
import { analyseModule } from './analyse-module.js';

/**
 * The annotated snippet corpus: `test/fixtures/package/snippets/<RULE-ID>.py`, one file per heuristic.
 * - `# ruleid: <ID>` before a line: the rule must report that line; `# ok: <ID>`: it must not. An annotation
 *   applies to the next line that is neither blank nor a comment.
 * - The file's own rule must not report any line that is not annotated `ruleid`.
 * - `# role: install|import|library` as the first line of a section gives the module's role (default library);
 *   the module is analysed as `setup.py`, `pkg/__init__.py` or `pkg/module.py`.
 * - A line starting with `# ---` starts a new section, analysed as a module of its own (the other sections'
 *   lines blanked, so line numbers stay those of the file): for rules reported once per module, and for cases
 *   that need another role.
 */
const SNIPPETS = resolve(import.meta.dirname, '../../../../test/fixtures/package/snippets');
const PATHS: Readonly<Record<ModuleRole, string>> = {
  install: 'setup.py',
  import: 'pkg/__init__.py',
  library: 'pkg/module.py',
};

interface Expectations {
  readonly expected: Map<number, Set<string>>;
  readonly forbidden: Map<number, Set<string>>;
}

function add(map: Map<number, Set<string>>, line: number, rule: string): void {
  const set = map.get(line) ?? new Set<string>();
  set.add(rule);
  map.set(line, set);
}

/** Reads the annotations of a snippet file: 1-based line → rule ids expected / forbidden there. */
function annotations(lines: readonly string[]): Expectations {
  const expected = new Map<number, Set<string>>();
  const forbidden = new Map<number, Set<string>>();
  let pending: { kind: 'ruleid' | 'ok'; rule: string }[] = [];
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    const annotation = /^#\s*(ruleid|ok):\s*([A-Z]+-[A-Z]+-\d{3})\s*$/.exec(trimmed);
    if (annotation !== null) {
      pending.push({ kind: annotation[1] as 'ruleid' | 'ok', rule: annotation[2] as string });
      return;
    }
    if (trimmed === '' || trimmed.startsWith('#')) return;
    for (const { kind, rule } of pending) add(kind === 'ruleid' ? expected : forbidden, index + 1, rule);
    pending = [];
  });
  return { expected, forbidden };
}

/** The sections of a snippet file, each as the whole file's text with the other sections' lines blanked. */
function sections(lines: readonly string[]): { text: string; role: ModuleRole }[] {
  const starts = [0];
  lines.forEach((line, index) => {
    if (index > 0 && line.startsWith('# ---')) starts.push(index);
  });
  return starts.map((start, position) => {
    const end = starts[position + 1] ?? lines.length;
    const text = lines.map((line, index) => (index >= start && index < end ? line : '')).join('\n');
    const header = lines.slice(start, Math.min(end, start + 3)).find((line) => /^# role:/.test(line));
    const role = /^# role:\s*(install|import|library)\s*$/.exec(header ?? '')?.[1] as ModuleRole | undefined;
    return { text, role: role ?? 'library' };
  });
}

const FILES = readdirSync(SNIPPETS)
  .filter((name) => /^[A-Z]+-[A-Z]+-\d{3}\.py$/.test(name))
  .sort();

describe('package heuristic snippets', () => {
  it('has snippet files', () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  it.each(FILES)('%s', async (name) => {
    const rule = name.replace(/\.py$/, '');
    const lines = readFileSync(join(SNIPPETS, name), 'utf8').split('\n');
    const { expected, forbidden } = annotations(lines);
    const found = new Map<number, Set<string>>();
    for (const section of sections(lines)) {
      const { findings } = await analyseModule(section.text, {
        path: PATHS[section.role],
        role: section.role,
        checkDeadline: () => undefined,
      });
      for (const finding of findings)
        if (finding.line !== undefined) add(found, finding.line, finding.ruleId);
    }
    const problems: string[] = [];
    for (const [line, rules] of expected)
      for (const id of rules)
        if (!(found.get(line)?.has(id) ?? false)) problems.push(`${id} missed at line ${line}`);
    for (const [line, rules] of forbidden)
      for (const id of rules)
        if (found.get(line)?.has(id) ?? false) problems.push(`${id} raised at ok line ${line}`);
    for (const [line, rules] of found)
      if (
        rules.has(rule) &&
        !(expected.get(line)?.has(rule) ?? false) &&
        !(forbidden.get(line)?.has(rule) ?? false)
      )
        problems.push(`${rule} raised at unannotated line ${line}`);
    expect(problems).toEqual([]);
    expect([...expected.values()].filter((rules) => rules.has(rule)).length).toBeGreaterThanOrEqual(1);
  });
});
