import type { Node } from 'web-tree-sitter';
import { namesOf, type CapabilityUse } from '../../code/capabilities.js';
import type { CollectedCall } from '../../code/collect.js';
import { constantOf, qualifiedNames } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';
import type { PackageCheckContext, TextMember } from '../model.js';
import { isVersionFileExec, isEnvironmentHarvest } from './module-level.js';
import { isBuildTool, isGitReadUse, NO_PROCESS } from './processes.js';
import { PKG_INST_001 } from './rules.js';
import { firstLine, lineOf, scopeAt, usesReachedFrom, type SetupFile } from './setup-file.js';

/** Commands C-extension builds override routinely; they count only when they do more than compile. */
export const EXTENSION_COMMANDS = new Set(['build_ext', 'build_clib']);

/** Commands pip and `build` never run: only someone typing `setup.py <command>` does. */
export const USER_COMMANDS = new Set([
  'test',
  'pytest',
  'clean',
  'upload',
  'upload_docs',
  'register',
  'check',
  'flake8',
  'lint',
  'docs',
  'build_sphinx',
  'release',
  'publish',
  'coverage',
]);

/** Setup functions whose `cmdclass` argument names the command classes. */
const SETUP_FUNCTION =
  /^(setuptools|distutils\.core|numpy\.distutils\.core|skbuild|setuptools_rust)(\.[a-z_]+)*\.setup$/;

/** What a use inside an overriding command class does, or undefined when the command may do it routinely. */
function rateCommandUse(use: CapabilityUse, file: SetupFile, command: string): string | undefined {
  if (EXTENSION_COMMANDS.has(command)) {
    if (use.capability === 'process')
      return isBuildTool(use, file) || NO_PROCESS.test(use.name)
        ? undefined
        : 'starts a program other than a build tool';
    if (use.capability === 'network' || use.capability === 'dynamic-code') return use.description;
    return undefined;
  }
  if (use.capability === 'process' && (isGitReadUse(use, file) || NO_PROCESS.test(use.name)))
    return undefined;
  if (use.capability === 'dynamic-code' && isVersionFileExec(use, file)) return undefined;
  if (use.capability === 'environment' && use.node.type === 'attribute' && !isEnvironmentHarvest(use))
    // The call `os.environ.get(…)` is counted once, as a call.
    return undefined;
  return use.description;
}

/** One `key: value` of a dict built in setup.py; `key` undefined when it is not a constant. */
interface DictEntry {
  readonly key: string | undefined;
  readonly value: Node;
  readonly scope: Scope;
}

/** The `(key, value)` pairs a dict expression is statically known to hold; unresolvable parts are left out. */
function dictEntries(
  file: SetupFile,
  node: Node,
  scope: Scope,
  seen: Set<string> = new Set(),
  depth = 0,
): DictEntry[] {
  // Each expression is expanded once per walk: a name bound many times to names bound many times stays linear.
  const key = `${node.startIndex}:${node.endIndex}`;
  if (depth > 8 || seen.has(key)) return [];
  seen.add(key);
  switch (node.type) {
    case 'dictionary': {
      const entries: DictEntry[] = [];
      for (const child of node.namedChildren) {
        if (child === null) continue;
        if (child.type === 'pair') {
          const key = child.childForFieldName('key');
          const value = child.childForFieldName('value');
          if (key === null || value === null) continue;
          const constant = constantOf(key, scope);
          entries.push({ key: constant?.kind === 'string' ? constant.value : undefined, value, scope });
        } else if (child.type === 'dictionary_splat') {
          const inner = child.namedChildren[0];
          if (inner !== null && inner !== undefined)
            entries.push(...dictEntries(file, inner, scope, seen, depth + 1));
        }
      }
      return entries;
    }
    case 'call': {
      const callee = node.childForFieldName('function');
      if (callee === null) return [];
      if (qualifiedNames(callee, scope).includes('builtins.dict'))
        return argumentEntries(file, node, scope, seen, depth);
      return returnedEntries(file, callee, scope, seen, depth);
    }
    case 'parenthesized_expression': {
      const inner = node.firstNamedChild;
      return inner === null ? [] : dictEntries(file, inner, scope, seen, depth + 1);
    }
    case 'identifier':
      return variableEntries(file, node, scope, seen, depth);
    default:
      return [];
  }
}

/** What a setup.py function returns (`def get_cmdclass(): … return {'install': PostInstall}`). */
function returnedEntries(
  file: SetupFile,
  callee: Node,
  scope: Scope,
  seen: Set<string>,
  depth: number,
): DictEntry[] {
  if (callee.type !== 'identifier') return [];
  const binding = scope
    .lookup(callee.text, callee.startIndex)
    ?.bindings.find((candidate) => candidate.kind === 'function');
  if (binding?.kind !== 'function') return [];
  const entries: DictEntry[] = [];
  for (const statement of binding.node.descendantsOfType('return_statement')) {
    const value = statement?.firstNamedChild;
    // Returns of functions nested inside belong to them.
    if (
      value === null ||
      value === undefined ||
      enclosingFunction(statement)?.startIndex !== binding.node.startIndex
    )
      continue;
    entries.push(...dictEntries(file, value, binding.body, seen, depth + 1));
  }
  return entries;
}

function enclosingFunction(node: Node | null): Node | undefined {
  for (let parent = node?.parent ?? null; parent !== null; parent = parent.parent)
    if (parent.type === 'function_definition' || parent.type === 'lambda') return parent;
  return undefined;
}

/** Keyword arguments and `**mapping` (and a positional mapping) of a `dict(…)` or `.update(…)` call. */
function argumentEntries(
  file: SetupFile,
  call: Node,
  scope: Scope,
  seen: Set<string>,
  depth: number,
): DictEntry[] {
  const entries: DictEntry[] = [];
  for (const argument of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (argument === null) continue;
    if (argument.type === 'keyword_argument') {
      const name = argument.childForFieldName('name');
      const value = argument.childForFieldName('value');
      if (name !== null && value !== null) entries.push({ key: name.text, value, scope });
    } else {
      const inner = argument.type === 'dictionary_splat' ? argument.namedChildren[0] : argument;
      if (inner !== null && inner !== undefined)
        entries.push(...dictEntries(file, inner, scope, seen, depth + 1));
    }
  }
  return entries;
}

/** A dict held in a variable: its assigned values, `name[key] = value` and `name.update(…)` anywhere in setup.py. */
function variableEntries(
  file: SetupFile,
  node: Node,
  scope: Scope,
  seen: Set<string>,
  depth: number,
): DictEntry[] {
  if (seen.has(`name:${node.text}`)) return [];
  seen.add(`name:${node.text}`);
  const entries: DictEntry[] = [];
  const found = scope.lookup(node.text, node.startIndex);
  for (const binding of found?.bindings ?? [])
    if (binding.kind === 'value')
      entries.push(...dictEntries(file, binding.value, binding.scope, seen, depth + 1));
  for (const assignment of file.itemAssignments) {
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (left?.type !== 'subscript' || right === null) continue;
    if (left.childForFieldName('value')?.text !== node.text) continue;
    const subscript = left.childForFieldName('subscript');
    const key = subscript === null ? undefined : constantOf(subscript, scopeAt(file, left));
    entries.push({
      key: key?.kind === 'string' ? key.value : undefined,
      value: right,
      scope: scopeAt(file, right),
    });
  }
  for (const { node: call, scope: callScope } of file.calls) {
    const callee = call.childForFieldName('function');
    if (callee?.type !== 'attribute' || callee.childForFieldName('attribute')?.text !== 'update') continue;
    if (callee.childForFieldName('object')?.text !== node.text) continue;
    entries.push(...argumentEntries(file, call, callScope, seen, depth + 1));
  }
  return entries;
}

/** The calls of `setup()` from setuptools or distutils (any alias). */
function setupCalls(file: SetupFile): CollectedCall[] {
  return file.calls.filter(({ node, scope }) => {
    const callee = node.childForFieldName('function');
    return callee !== null && namesOf(callee, scope).some((name) => SETUP_FUNCTION.test(name));
  });
}

/** The entries of every `cmdclass` given to setup(): as a keyword, or inside `**kwargs`. */
function cmdclassEntries(file: SetupFile): DictEntry[] {
  const entries: DictEntry[] = [];
  for (const { node, scope } of setupCalls(file)) {
    for (const argument of node.childForFieldName('arguments')?.namedChildren ?? []) {
      if (argument === null) continue;
      if (argument.type === 'keyword_argument') {
        const value = argument.childForFieldName('value');
        if (argument.childForFieldName('name')?.text === 'cmdclass' && value !== null)
          entries.push(...dictEntries(file, value, scope));
      } else if (argument.type === 'dictionary_splat') {
        const inner = argument.namedChildren[0];
        if (inner === null || inner === undefined) continue;
        for (const entry of dictEntries(file, inner, scope))
          if (entry.key === 'cmdclass') entries.push(...dictEntries(file, entry.value, entry.scope));
      }
    }
  }
  return entries;
}

/** `A if cond else B` stands for both classes. */
function alternatives(entry: DictEntry): DictEntry[] {
  const found: DictEntry[] = [];
  const stack = [entry.value];
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    if (value.type !== 'conditional_expression') {
      found.push({ ...entry, value });
      continue;
    }
    const [consequence, , alternative] = value.namedChildren;
    for (const branch of [alternative, consequence])
      if (branch !== null && branch !== undefined) stack.push(branch);
  }
  return found;
}

/** What a cmdclass value denotes: a class (or class factory) of setup.py, an imported class, or nothing known. */
type CommandClass =
  | { readonly kind: 'local'; readonly name: string; readonly nodes: readonly Node[] }
  | { readonly kind: 'imported'; readonly name: string }
  | { readonly kind: 'stock'; readonly name: string }
  | { readonly kind: 'unknown'; readonly name: string };

const STOCK_COMMAND = /^(setuptools|distutils|wheel)\.(command\.)?/;

function commandClassOf(file: SetupFile, entry: DictEntry): CommandClass {
  const { value, scope } = entry;
  const text = firstLine(value.text);
  if (value.type === 'identifier') {
    const found = scope.lookup(value.text, value.startIndex);
    const local = file.classes.get(value.text);
    const functionBinding = found?.bindings.find((binding) => binding.kind === 'function');
    if (functionBinding?.kind === 'function')
      return { kind: 'local', name: text, nodes: [functionBinding.node] };
    if (local !== undefined && found?.bindings.some((binding) => binding.kind === 'opaque'))
      return { kind: 'local', name: text, nodes: classWithLocalBases(file, local) };
  }
  // Every binding of a name counts: `try: from wheel.bdist_wheel import bdist_wheel` / `except: bdist_wheel = None`.
  const bindings =
    value.type === 'identifier' ? (scope.lookup(value.text, value.startIndex, false)?.bindings ?? []) : [];
  const names =
    bindings.length === 0
      ? qualifiedNames(value, scope)
      : bindings.flatMap((binding) =>
          binding.kind === 'import'
            ? [binding.qualifiedName]
            : binding.kind === 'value' && binding.value.type !== 'none'
              ? qualifiedNames(binding.value, binding.scope)
              : [],
        );
  if (names.length > 0 && names.every((name) => STOCK_COMMAND.test(name)))
    return { kind: 'stock', name: text };
  if (names.length > 0) return { kind: 'imported', name: names[0] ?? text };
  return { kind: 'unknown', name: text };
}

/** A class and the classes of setup.py it derives from, whose methods it inherits. */
function classWithLocalBases(file: SetupFile, node: Node): Node[] {
  const nodes = [node];
  for (let index = 0; index < nodes.length && index < 16; index++) {
    const bases = nodes[index]?.childForFieldName('superclasses')?.namedChildren ?? [];
    for (const base of bases) {
      const local = base?.type === 'identifier' ? file.classes.get(base.text) : undefined;
      if (local !== undefined && !nodes.includes(local)) nodes.push(local);
    }
  }
  return nodes;
}

export function checkCmdclass(file: SetupFile, kept: TextMember, context: PackageCheckContext): void {
  const path = kept.member.path;
  const reported = new Set<string>();
  for (const entry of cmdclassEntries(file).flatMap(alternatives)) {
    context.checkDeadline();
    const command = entry.key;
    if (command === undefined) continue;
    const resolved = commandClassOf(file, entry);
    if (resolved.kind === 'stock') continue;
    const key = `${command}\0${resolved.name}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const userOnly = USER_COMMANDS.has(command);
    const line = resolved.kind === 'local' ? lineOf(resolved.nodes[0] as Node) : lineOf(entry.value);
    if (!userOnly)
      context.addCapability({
        capability: 'install-hook',
        path,
        line,
        evidence: `cmdclass ${command}: ${resolved.name}`,
      });
    const doings =
      resolved.kind === 'local'
        ? usesReachedFrom(file, resolved.nodes, () => true).flatMap(({ use }) => {
            const what = rateCommandUse(use, file, command);
            return what === undefined ? [] : [{ what, use }];
          })
        : [];
    // Extension builds and commands pip never runs are reported only for what their class does.
    if ((EXTENSION_COMMANDS.has(command) || userOnly) && doings.length === 0) continue;
    const evidence = `cmdclass ${command}: ${resolved.name}`;
    const where =
      resolved.kind === 'local'
        ? `\`${resolved.name}\` (line ${line})`
        : resolved.kind === 'imported'
          ? `\`${resolved.name}\`, imported from outside setup.py (its module is analysed on its own)`
          : `\`${resolved.name}\`, which cannot be resolved statically`;
    const when = userOnly
      ? `\`${command}\` runs only when someone calls \`setup.py ${command}\``
      : `it runs when the package is built or installed`;
    if (doings.length === 0) {
      context.report({
        ruleId: PKG_INST_001.id,
        message: `setup.py replaces the \`${command}\` command with ${where}; ${when}.`,
        member: kept.member.name,
        line,
        evidence,
        severity: 'medium',
      });
      continue;
    }
    const what = [...new Set(doings.map((doing) => doing.what))].join(', ');
    const first = doings[0]?.use;
    const shown =
      first === undefined ? '' : ` (\`${firstLine(first.node.text)}\`, line ${lineOf(first.node)})`;
    context.report({
      ruleId: PKG_INST_001.id,
      message: `setup.py replaces the \`${command}\` command with ${where}, which ${what}${shown}; ${when}.`,
      member: kept.member.name,
      line,
      evidence: first === undefined ? evidence : `${evidence}: ${firstLine(first.node.text)}`,
      severity: userOnly ? 'low' : 'high',
    });
  }
}
