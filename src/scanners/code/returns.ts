import type { Node } from 'web-tree-sitter';

/** The values of the `return` statements of a function body, not counting those of nested functions and classes. */
export function returnValues(body: Node): Node[] {
  const values: Node[] = [];
  const stack: Node[] = [body];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.type === 'return_statement') {
      const value = node.firstNamedChild;
      if (value !== null) values.push(value);
      continue;
    }
    if (node.type === 'function_definition' || node.type === 'lambda' || node.type === 'class_definition')
      continue;
    for (const child of node.namedChildren) if (child !== null) stack.push(child);
  }
  return values;
}
