import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { MAX_OUTPUT_TEXT, scanOutputs } from './outputs.js';
import { readNotebook, type CellOutput } from './read.js';

const SEC = resolve(import.meta.dirname, '../../../../test/fixtures/code/sec');
const HF = 'hf_FakeTokenForMlsecTestsOnlyQzWvBnXy';

function scan(...outputs: Omit<CellOutput, 'number'>[]): RawFinding[] {
  const cell = {
    number: 4,
    type: 'code',
    source: '',
    outputs: outputs.map((output, index) => ({ ...output, number: index + 1 })),
  };
  return scanOutputs([cell], () => undefined);
}

async function fixtureFindings(name: string): Promise<RawFinding[]> {
  const notebook = readNotebook(await readFile(resolve(SEC, name), 'utf8'));
  return scanOutputs(
    notebook.cells.filter((cell) => cell.type === 'code'),
    () => undefined,
  );
}

describe('notebook output scanning', () => {
  it('reports the leaky fixture by cell, output and line, with redacted evidence', async () => {
    const findings = await fixtureFindings('rented_gpu_checks.ipynb');
    expect(findings.map((f) => [f.ruleId, f.member, f.line, f.severity ?? 'rule default'])).toEqual([
      ['PY-SEC-006', 'cell 2', 1, 'high'],
      ['PY-SEC-004', 'cell 2', 3, 'rule default'],
      ['PY-SEC-004', 'cell 3', 1, 'rule default'],
      ['PY-SEC-006', 'cell 5', 5, 'high'],
    ]);
    expect(findings[0]?.message).toBe(
      'environment dump of 10 variables, with credentials in HF_TOKEN, WANDB_API_KEY (output 1, line 1)',
    );
    expect(findings[0]?.evidence).toBe('HF_TOKEN=… WANDB_API_KEY=…');
    expect(findings[2]).toMatchObject({
      message: 'Hugging Face token hf_Fa…BnXy in the output (output 1, line 1)',
      evidence: 'token: hf_Fa…BnXy',
    });
    expect(JSON.stringify(findings)).not.toMatch(/FakeTokenForMlsec|FakeOpenAIKey/);
  });

  it('finds nothing in the clean twin (names only, no keys in the traceback)', async () => {
    expect(await fixtureFindings('rented_gpu_checks_clean.ipynb')).toEqual([]);
  });

  it('recognises %env and a displayed os.environ, and not a small config dict', () => {
    const environ =
      "environ({'PATH': '/usr/bin', 'HOME': '/root', 'LANG': 'C.UTF-8', 'OPENAI_API_KEY': 'sk-local-1'})";
    const percentEnv =
      "{'SHELL': '/bin/bash', 'PWD': '/content', 'HOSTNAME': 'colab', 'CUDA_VERSION': '12.2'}";
    const config = "{'lr': '3e-4', 'optimizer': 'adamw', 'scheduler': 'cosine', 'warmup': '500'}";
    expect(
      scan(
        { type: 'execute_result', text: environ },
        { type: 'execute_result', text: percentEnv },
        { type: 'stream', text: config },
      ).map((f) => [f.ruleId, f.message]),
    ).toEqual([
      [
        'PY-SEC-006',
        'environment dump of 4 variables, with credentials in OPENAI_API_KEY (output 1, line 1)',
      ],
      ['PY-SEC-006', 'environment dump of 4 variables (output 2, line 1)'],
    ]);
  });

  it('reads keys through colour codes, and only the first MiB of an output', () => {
    const coloured = `\u001b[0;31mValueError\u001b[0m: bad token ${HF}`;
    const late = `${'.'.repeat(MAX_OUTPUT_TEXT)}\n${HF}\n`;
    const early = `${HF}\n${'.'.repeat(MAX_OUTPUT_TEXT)}`;
    const findings = scan(
      { type: 'error', text: coloured },
      { type: 'stream', text: late },
      { type: 'stream', text: early },
    );
    expect(findings.map((f) => [f.ruleId, f.message])).toEqual([
      ['PY-SEC-006', 'Hugging Face token hf_Fa…BnXy in a traceback (output 1, line 1)'],
      [
        'PY-SEC-004',
        `Hugging Face token hf_Fa…BnXy in the output (output 3, line 1) (only the first ${MAX_OUTPUT_TEXT} characters were read)`,
      ],
    ]);
  });
});
