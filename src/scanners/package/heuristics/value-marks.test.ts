import type { Node } from 'web-tree-sitter';
import { describe, expect, it } from 'vitest';
import { collectFacts } from '../../code/collect.js';
import { parsePython } from '../../code/parser.js';
import { isDocstring, literalText, type MarkFinder, marksOf, topLevelUnit } from './value-marks.js';

/** Marks every string literal that says "secret". */
const secrets: MarkFinder = (node) =>
  node.type === 'string' && literalText(node).includes('secret')
    ? [{ kind: 'secret', label: literalText(node), line: node.startPosition.row + 1 }]
    : undefined;

/** The labels of the marks reaching the first argument of the last call to `sink` in `source`. */
async function reaching(source: string): Promise<string[]> {
  const tree = await parsePython(source);
  try {
    const facts = collectFacts(tree.rootNode, () => undefined);
    const sink = facts.calls.filter(({ node }) => node.childForFieldName('function')?.text === 'sink').at(-1);
    const argument = sink?.node.childForFieldName('arguments')?.namedChildren[0];
    if (sink === undefined || argument === null || argument === undefined) return [];
    return marksOf(argument, sink.scope, secrets).map((mark) => mark.label);
  } finally {
    tree.delete();
  }
}

describe('marksOf', () => {
  it('follows assignments, f-strings, containers and method calls', async () => {
    expect(await reaching('a = "secret-a"\nb = f"x{a.upper()}"\nsink([b, 1])')).toEqual(['secret-a']);
  });

  it('follows the returns of local functions and the arguments passed to parameters', async () => {
    const source = [
      'def make():',
      '    return "secret-r"',
      'def relay(value, other=None):',
      '    sink(value)',
      'relay(make())',
      'relay(other="secret-k", value="plain")',
    ].join('\n');
    expect(await reaching(source)).toEqual(['secret-r']);
  });

  it('follows values put into a list or dict in the same function, not in another one', async () => {
    const source = [
      'def other():',
      '    bag = []',
      '    bag.append("secret-elsewhere")',
      'def main():',
      '    bag = {}',
      '    bag["k"] = "secret-here"',
      '    sink(bag)',
    ].join('\n');
    expect(await reaching(source)).toEqual(['secret-here']);
  });

  it('follows values stored into self attributes across the methods of a class', async () => {
    const source = [
      'class Box:',
      '    def fill(self):',
      '        self.items.append("secret-m")',
      '        self.other = "secret-other"',
      '    def ship(self):',
      '        sink(self.items)',
    ].join('\n');
    expect(await reaching(source)).toEqual(['secret-m']);
  });

  it('follows what is written into an object that wraps a buffer', async () => {
    const source = [
      'import io, zipfile',
      'def pack():',
      '    buf = io.BytesIO()',
      '    with zipfile.ZipFile(buf, "w") as z:',
      '        z.writestr("a", "secret-z")',
      '    sink(buf.getvalue())',
    ].join('\n');
    expect(await reaching(source)).toEqual(['secret-z']);
  });

  it('stops at barriers', async () => {
    const barrier: MarkFinder = (node, scope) => (node.type === 'call' ? [] : secrets(node, scope));
    const tree = await parsePython('x = len("secret")\nsink(x)');
    try {
      const facts = collectFacts(tree.rootNode, () => undefined);
      const call = facts.calls.at(-1);
      const argument = call?.node.childForFieldName('arguments')?.namedChildren[0];
      expect(call !== undefined && argument ? marksOf(argument, call.scope, barrier) : ['missing']).toEqual(
        [],
      );
    } finally {
      tree.delete();
    }
  });
});

describe('helpers', () => {
  it('tells top-level units and docstrings', async () => {
    const tree = await parsePython('"""doc"""\nx = "a"\ndef f():\n    """inner"""\n    y = "b"\n');
    try {
      const strings: Node[] = [];
      const stack: Node[] = [tree.rootNode];
      while (stack.length > 0) {
        const node = stack.pop() as Node;
        if (node.type === 'string') strings.push(node);
        for (const child of node.namedChildren) if (child !== null) stack.push(child);
      }
      strings.sort((a, b) => a.startIndex - b.startIndex);
      expect(strings.map((node) => isDocstring(node))).toEqual([true, false, true, false]);
      const units = strings.map((node) => topLevelUnit(node));
      expect(units[0]).toBe(-1);
      expect(units[1]).toBe(-1);
      expect(units[2]).toBe(units[3]);
      expect(units[2]).not.toBe(-1);
    } finally {
      tree.delete();
    }
  });
});
