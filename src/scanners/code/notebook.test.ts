import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../core/errors.js';
import type { RawFinding } from '../../core/finding.js';
import { codeScanner } from './index.js';
import { analyseCells } from './notebook/analyse.js';
import { translateCell } from './notebook/ipython.js';
import { readNotebook } from './notebook/read.js';

const NOTEBOOKS = resolve(import.meta.dirname, '../../../test/fixtures/code/notebook');

/** The rules this slice relies on; other rules may also fire on the fixtures as the catalogue grows. */
const RULES_OF_INTEREST = new Set(['PY-PARSE-001', 'PY-DES-001', 'PY-MDL-001']);

async function notebookFindings(name: string): Promise<RawFinding[]> {
  const notebook = readNotebook(await readFile(join(NOTEBOOKS, name), 'utf8'));
  const code = notebook.cells.filter((cell) => cell.type === 'code');
  return analyseCells(code, 'example.ipynb', () => undefined);
}

/** `rule@member:line` for each unsuppressed finding of the rules of interest. */
function located(findings: readonly RawFinding[]): string[] {
  return findings
    .filter((finding) => finding.suppressed === undefined && RULES_OF_INTEREST.has(finding.ruleId))
    .map((finding) => `${finding.ruleId}@${finding.member}:${finding.line}`);
}

const notebookJson = (cells: unknown, metadata: unknown = {}): string =>
  JSON.stringify({ cells, metadata, nbformat: 4, nbformat_minor: 5 });

describe('reading notebooks', () => {
  it('numbers every cell from 1 and joins list sources', () => {
    const notebook = readNotebook(
      notebookJson([
        { cell_type: 'markdown', source: ['# Title\n', 'text'] },
        { cell_type: 'code', source: ['import os\n', 'os.getcwd()'] },
        { cell_type: 'code', source: 'x = 1' },
      ]),
    );
    expect(notebook.cells).toEqual([
      { number: 1, type: 'markdown', source: '# Title\ntext' },
      { number: 2, type: 'code', source: 'import os\nos.getcwd()' },
      { number: 3, type: 'code', source: 'x = 1' },
    ]);
  });

  it.each([
    ['invalid JSON', '{"cells": [', 'BAD_STRUCTURE'],
    ['no cells list', '{"metadata": {}}', 'BAD_STRUCTURE'],
    ['nbformat 3 worksheets', '{"worksheets": [{"cells": []}]}', 'UNSUPPORTED'],
    ['a cell without a type', notebookJson([{ source: 'x' }]), 'BAD_STRUCTURE'],
    ['a source of numbers', notebookJson([{ cell_type: 'code', source: [1, 2] }]), 'BAD_STRUCTURE'],
  ])('rejects %s as unscannable', (_, text, code) => {
    expect(() => readNotebook(text)).toThrow(ParseError);
    expect(() => readNotebook(text)).toThrow(expect.objectContaining({ code }));
  });

  it('reads the text of code cell outputs, never their images', () => {
    const notebook = readNotebook(
      notebookJson([
        {
          cell_type: 'code',
          source: 'train()',
          outputs: [
            { output_type: 'stream', name: 'stdout', text: ['epoch 1\n', 'epoch 2\n'] },
            { output_type: 'execute_result', data: { 'text/plain': '0.93' }, execution_count: 1 },
            { output_type: 'display_data', data: { 'image/png': 'iVBORw0KGgo=' } },
            { output_type: 'error', ename: 'E', evalue: 'x', traceback: ['Traceback', 'E: x'] },
          ],
        },
      ]),
    );
    expect(notebook.cells[0]?.outputs).toEqual([
      { number: 1, type: 'stream', text: 'epoch 1\nepoch 2\n' },
      { number: 2, type: 'execute_result', text: '0.93' },
      { number: 3, type: 'display_data', text: '' },
      { number: 4, type: 'error', text: 'Traceback\nE: x' },
    ]);
  });

  it.each([
    ['outputs that are not a list', { outputs: {} }],
    ['an output without a type', { outputs: [{ text: 'x' }] }],
    ['an unknown output type', { outputs: [{ output_type: 'widget', text: 'x' }] }],
    ['a stream of numbers', { outputs: [{ output_type: 'stream', text: [1] }] }],
    ['a result without data', { outputs: [{ output_type: 'execute_result' }] }],
    ['a traceback that is a string', { outputs: [{ output_type: 'error', traceback: 'E: x' }] }],
  ])('rejects %s as unscannable', (_, outputs) => {
    const text = notebookJson([{ cell_type: 'code', source: 'x', ...outputs }]);
    expect(() => readNotebook(text)).toThrow(expect.objectContaining({ code: 'BAD_STRUCTURE' }));
  });

  it('reads the kernel language', () => {
    const metadata = { kernelspec: { language: 'R', name: 'ir' } };
    expect(readNotebook(notebookJson([], metadata)).language).toBe('r');
  });
});

describe('IPython syntax', () => {
  it('rewrites shell escapes and line magics as get_ipython() calls, line for line', () => {
    const source = [
      '!pip install -q transformers',
      '%matplotlib inline',
      'files = !ls -la',
      'if True:',
      '    !echo "quoted" \\n',
      'model??',
      'x = 1 % 2',
    ].join('\n');
    expect(translateCell(source).split('\n')).toEqual([
      'get_ipython().system("pip install -q transformers")',
      'get_ipython().run_line_magic("matplotlib", "inline")',
      'files = get_ipython().getoutput("ls -la")',
      'if True:',
      '    get_ipython().system("echo \\"quoted\\" \\\\n")',
      'get_ipython().run_line_magic("pinfo", "model")',
      'x = 1 % 2',
    ]);
  });

  it('turns a shell cell magic into one run_cell_magic call and keeps the line count', () => {
    const translated = translateCell('%%bash -e\nnvidia-smi\nls\n');
    expect(translated.split('\n')).toEqual([
      'get_ipython().run_cell_magic("bash", "-e", "nvidia-smi\\nls\\n")',
      '',
      '',
      '',
    ]);
  });

  it('keeps the body of a cell magic that runs Python', () => {
    expect(translateCell('%%time\nimport pickle\n!ls')).toBe(
      '# %%time\nimport pickle\nget_ipython().system("ls")',
    );
  });
});

describe('notebook analysis', () => {
  it('reports findings by cell with cell-relative lines, resolving imports from earlier cells', async () => {
    expect(located(await notebookFindings('finetune_unsafe.ipynb'))).toEqual([
      'PY-MDL-001@cell 2:9',
      'PY-DES-001@cell 4:2',
    ]);
  });

  it('honours suppression comments inside a cell', async () => {
    const findings = await notebookFindings('finetune_unsafe.ipynb');
    const suppressed = findings.filter((finding) => finding.suppressed !== undefined);
    expect(suppressed).toMatchObject([
      {
        ruleId: 'PY-DES-001',
        member: 'cell 7',
        line: 2,
        suppressed: { kind: 'inline', reason: '# nosec B301' },
      },
    ]);
  });

  it('finds nothing in the safe twin, magics and shell cells included', async () => {
    expect(await notebookFindings('finetune_safe.ipynb')).toEqual([]);
  });

  it('scans around a cell that does not parse, and that cell with the earlier cells’ imports', async () => {
    expect(located(await notebookFindings('broken_cell.ipynb'))).toEqual([
      'PY-DES-001@cell 3:2',
      'PY-PARSE-001@cell 3:3',
      'PY-MDL-001@cell 4:1',
    ]);
  });

  it('keeps a broken cell from swallowing the cells after it', async () => {
    const findings = await analyseCells(
      [
        { number: 1, type: 'code', source: 'import torch\nmodel = build(' },
        { number: 2, type: 'code', source: 'state = torch.load(path)' },
      ],
      'example.ipynb',
      () => undefined,
    );
    expect(located(findings)).toEqual(['PY-PARSE-001@cell 1:2', 'PY-MDL-001@cell 2:1']);
  });

  it('shows a translated IPython line as the user wrote it in the evidence', async () => {
    const findings = await analyseCells(
      [{ number: 2, type: 'code', source: 'import os\n!pip install acme-tools\nos.system(cmd)' }],
      'example.ipynb',
      () => undefined,
    );
    expect(findings.map((finding) => `${finding.ruleId}: ${finding.evidence ?? ''}`)).toEqual([
      'PY-SUP-001: !pip install acme-tools',
      'PY-PROC-004: os.system(cmd)',
    ]);
  });

  it('keeps the cell line numbers when a cell of magics and shell lines reaches the parser', async () => {
    const findings = await analyseCells(
      [{ number: 5, type: 'code', source: '%pip install torch\n!nvidia-smi\nimport torch\ntorch.load(p)' }],
      'example.ipynb',
      () => undefined,
    );
    expect(located(findings)).toEqual(['PY-MDL-001@cell 5:4']);
  });
});

describe('notebook scanner', () => {
  it('claims .ipynb files', () => {
    const probe = { path: 'nb/Train.IPYNB', head: new Uint8Array(), size: 10 };
    expect(codeScanner.detect(probe)).toBe('notebook');
  });
});
