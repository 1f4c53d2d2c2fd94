import type { Node } from 'web-tree-sitter';

/**
 * The dotted names an import statement brings in: `a.b` for `import a.b` (and `import a.b as c`), `m.n` for
 * `from m import n`, and `m` alone for `from m import *`. Relative imports give nothing: a local module named
 * like a library is not that library.
 */
export function importedNames(node: Node): string[] {
  if (node.type === 'import_statement') {
    return node.childrenForFieldName('name').flatMap((imported) => {
      const target = imported?.type === 'aliased_import' ? imported.childForFieldName('name') : imported;
      return target === null ? [] : [dotted(target)];
    });
  }
  const moduleNode = node.childForFieldName('module_name');
  if (moduleNode === null || moduleNode.type === 'relative_import') return [];
  const module = dotted(moduleNode);
  const names = node.childrenForFieldName('name').flatMap((imported) => {
    const target = imported?.type === 'aliased_import' ? imported.childForFieldName('name') : imported;
    return target === null ? [] : [`${module}.${dotted(target)}`];
  });
  return names.length === 0 ? [module] : names;
}

function dotted(node: Node): string {
  return node.text.replace(/\s+/g, '');
}
