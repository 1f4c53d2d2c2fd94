import { describe, expect, it } from 'vitest';
import { heuristicFindings } from './test-helpers.js';

const RULE = 'PKG-CLIP-001';

describe('PKG-CLIP-001', () => {
  it('resolves readers through aliases and __import__', async () => {
    const source = [
      'import pyperclip as pc',
      'from pyperclip import paste as grab',
      'a = pc.paste()',
      'b = grab()',
      'c = __import__("pyperclip").paste()',
    ].join('\n');
    expect((await heuristicFindings(source, undefined, RULE)).map((f) => f.line)).toEqual([3, 4, 5]);
  });

  it('reads commands given as strings built from pieces', async () => {
    const source = 'import subprocess\nTOOL = "pb" + "paste"\nsubprocess.check_output([TOOL])\n';
    expect(await heuristicFindings(source, undefined, RULE)).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringContaining('pbpaste') as string }),
    ]);
  });

  it('does not report writes', async () => {
    const source =
      'import pyperclip, subprocess\npyperclip.copy("x")\nsubprocess.run(["xclip", "-i"], input=b"x")\n';
    expect(await heuristicFindings(source, undefined, RULE)).toEqual([]);
  });
});
