import type { Node } from 'web-tree-sitter';
import { capabilityUses, type Capability } from '../code/capabilities.js';
import { parsePython } from '../code/parser.js';

/**
 * Rates one executable `.pth` line by what its code calls, resolved to qualified names by the code scanner's
 * parser and scopes (so `from os import system as s; s(…)` and `__import__('os').system(…)` are both `os.system`).
 */
export interface LineRating {
  /** What makes the line critical, e.g. `builtins.exec (runs dynamically built code)`; empty for a plain import. */
  readonly dangers: readonly string[];
  /** The modules the line imports, statically or through `__import__('x')`. */
  readonly modules: readonly string[];
  /** The kinds of what makes the line critical (`process`, `environment`, …), one each. */
  readonly capabilities: readonly Capability[];
}

function importedModules(root: Node): string[] {
  const modules: string[] = [];
  for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (statement === null) continue;
    if (statement.type === 'import_from_statement') {
      const module = statement.childForFieldName('module_name');
      if (module !== null) modules.push(module.text);
      continue;
    }
    for (const name of statement.childrenForFieldName('name')) {
      if (name === null) continue;
      const dotted = name.type === 'aliased_import' ? name.childForFieldName('name') : name;
      if (dotted !== null) modules.push(dotted.text);
    }
  }
  return modules;
}

export async function rateExecLine(code: string, checkDeadline: () => void): Promise<LineRating> {
  const tree = await parsePython(code);
  try {
    const root = tree.rootNode;
    const { uses, dynamicImports } = capabilityUses(root, checkDeadline);
    const dangers = new Set(uses.map((use) => `${use.name} (${use.description})`));
    const modules = new Set([...importedModules(root), ...dynamicImports]);
    const capabilities = [...new Set(uses.map((use) => use.capability))];
    return { dangers: [...dangers], modules: [...modules], capabilities };
  } finally {
    tree.delete();
  }
}
