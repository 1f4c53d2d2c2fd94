import type { Node } from 'web-tree-sitter';
import { severityRank } from '../../../core/severity.js';
import type { CapabilityUse } from '../../code/capabilities.js';
import { qualifiedNames } from '../../code/resolve.js';
import type { PackageCheckContext, TextMember } from '../model.js';
import { rateProcess, type Rated } from './processes.js';
import { PKG_INST_002 } from './rules.js';
import {
  enclosingDefinition,
  firstLine,
  lineOf,
  scopeAt,
  usesReachedFrom,
  type SetupFile,
} from './setup-file.js';

/** `exec(open('pkg/version.py').read())`, `exec(compile(f.read(), …))`: the ordinary way to read a version file. */
export function isVersionFileExec(use: CapabilityUse, file: SetupFile): boolean {
  if (use.capability !== 'dynamic-code' || use.node.type !== 'call') return false;
  const scope = scopeAt(file, use.node);
  let argument = use.node.childForFieldName('arguments')?.namedChildren[0] ?? null;
  for (let depth = 0; argument !== null && depth < 6; depth++) {
    if (argument.type === 'identifier') {
      const found = scope.lookup(argument.text, argument.startIndex);
      const [binding] = found?.bindings ?? [];
      argument = found?.bindings.length === 1 && binding?.kind === 'value' ? binding.value : null;
      continue;
    }
    if (argument.type !== 'call') return false;
    const callee = argument.childForFieldName('function');
    if (callee === null) return false;
    const names = qualifiedNames(callee, scope);
    if (names.includes('builtins.compile')) {
      argument = argument.childForFieldName('arguments')?.namedChildren[0] ?? null;
      continue;
    }
    return names.some((name) =>
      /^(builtins|io|codecs)\.open\(\)\.read$|^pathlib\.Path\(\)(\.\w+\(\))*\.read_text$/.test(name),
    );
  }
  return false;
}

/**
 * `os.environ` used as a whole (`dict(os.environ)`, `os.environ.copy()`, iteration), not one variable read by
 * name (`os.environ.get('CC')`, `os.environ['HOME']`, `'CI' in os.environ`).
 */
export function isEnvironmentHarvest(use: CapabilityUse): boolean {
  if (use.capability !== 'environment' || use.node.type !== 'attribute') return false;
  const parent = use.node.parent;
  if (parent === null) return true;
  if (parent.type === 'attribute' && parent.childForFieldName('object')?.equals(use.node) === true) {
    const method = parent.childForFieldName('attribute')?.text ?? '';
    return !['get', 'setdefault', 'pop', 'update', '__contains__', '__getitem__', '__setitem__'].includes(
      method,
    );
  }
  if (parent.type === 'subscript') return false;
  if (parent.type === 'comparison_operator') return false;
  return true;
}

const OUTSIDE_PROJECT =
  /~|expanduser|\.home\(|getsitepackages|getusersitepackages|site-packages|\.pth\b|['"]\/|\.\.[\\/]|gettempdir|APPDATA|\.bashrc|\.profile|crontab|autostart/i;

/** The text of a write call and of the value its target names (`path = os.path.expanduser('~/.bashrc')`). */
function writeTargetText(use: CapabilityUse, file: SetupFile): string {
  const target = use.node.childForFieldName('arguments')?.namedChildren[0];
  if (target?.type !== 'identifier') return use.node.text;
  const found = scopeAt(file, use.node).lookup(target.text, target.startIndex);
  const values = (found?.bindings ?? []).flatMap((binding) =>
    binding.kind === 'value' ? [binding.value.text] : [],
  );
  return [use.node.text, ...values].join('\n');
}

/** What a module-level use does and how bad it is, or undefined for ordinary setup.py code. */
function rateModuleUse(use: CapabilityUse, file: SetupFile): Rated | undefined {
  switch (use.capability) {
    case 'process':
      return rateProcess(use, file);
    case 'network':
    case 'deserialisation':
    case 'native-code':
    case 'clipboard':
      return { what: use.description, severity: 'high' };
    case 'dynamic-code':
      return isVersionFileExec(use, file) ? undefined : { what: use.description, severity: 'high' };
    case 'environment':
      return isEnvironmentHarvest(use)
        ? { what: 'reads the whole environment', severity: 'high' }
        : undefined;
    case 'file-write':
      return OUTSIDE_PROJECT.test(writeTargetText(use, file))
        ? { what: 'writes files outside the project', severity: 'high' }
        : { what: 'writes files in the project tree (a generated version file, say)', severity: 'low' };
    case 'decoding':
      // Decoding on its own is the obfuscation heuristics' business.
      return undefined;
  }
}

/** Module-level code is what is not inside a function, lambda or class body (an `if __name__` block is). */
function atModuleLevel(node: Node): boolean {
  return enclosingDefinition(node) === undefined;
}

/**
 * One finding per module-level statement that acts: a direct call, or a call of a setup.py function, which is
 * reported once with everything the function does (`_beacon()` reads the whole environment, makes an HTTP request).
 */
export function checkModuleLevel(file: SetupFile, kept: TextMember, context: PackageCheckContext): void {
  const groups = new Map<number, { at: Node; via: boolean; rated: { rated: Rated; use: CapabilityUse }[] }>();
  for (const { use, via } of usesReachedFrom(file, [file.root], atModuleLevel)) {
    const rated = rateModuleUse(use, file);
    if (rated === undefined) continue;
    const at = via ?? use.node;
    const group = groups.get(at.startIndex) ?? { at, via: via !== undefined, rated: [] };
    group.rated.push({ rated, use });
    groups.set(at.startIndex, group);
  }
  for (const { at, via, rated } of [...groups.values()].sort((a, b) => a.at.startIndex - b.at.startIndex)) {
    rated.sort((a, b) => a.use.node.startIndex - b.use.node.startIndex);
    const what = [...new Set(rated.map((item) => item.rated.what))].join(', ');
    const severity = rated
      .map((item) => item.rated.severity)
      .reduce((worst, next) => (severityRank(next) > severityRank(worst) ? next : worst));
    const evidence = firstLine(at.text);
    const inner = rated.map((item) => `\`${firstLine(item.use.node.text)}\` (line ${lineOf(item.use.node)})`);
    const through = via
      ? `, a function of setup.py called at module level, whose code ${what}: ${[...new Set(inner)].join(', ')}`
      : '';
    context.report({
      ruleId: PKG_INST_002.id,
      message: via
        ? `setup.py runs \`${evidence}\` when it is executed by a build or install${through}.`
        : `setup.py ${what} when it is executed by a build or install: \`${evidence}\`.`,
      member: kept.member.name,
      line: lineOf(at),
      evidence,
      severity,
    });
  }
}
