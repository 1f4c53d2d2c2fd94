import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LimitError } from '../../core/errors.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { RawFinding } from '../../core/finding.js';
import { codeScanner } from './index.js';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code');
const fixture = (path: string): Promise<string> => readFile(join(FIXTURES, path), 'utf8');

describe('error tolerance', () => {
  it('scans a Python 2 file', async () => {
    expect(await activeFindings(await fixture('parse/python2_training_script.py'))).toEqual(['PY-DES-001@6']);
  });

  it('scans around a syntax error in the middle of a file and reports it as info', async () => {
    const findings = await analyseSource(await fixture('parse/syntax_error_mid_file.py'));
    expect(findings.map((finding) => `${finding.ruleId}@${finding.line}`)).toEqual([
      'PY-DES-006@8',
      'PY-PARSE-001@10',
      'PY-MDL-001@18',
    ]);
    expect(findings[1]?.evidence).toBe('<<<<<<<');
  });

  it('scans Python 3.12 type aliases and PEP 695 generics', async () => {
    expect(await activeFindings(await fixture('parse/python312_generics.py'))).toEqual(['PY-DES-001@18']);
  });
  it('shows the source line as evidence for a missing token', async () => {
    const [finding] = await analyseSource('x = 1\nfoo(a, b\ny = 2\n');
    expect(finding?.ruleId).toBe('PY-PARSE-001');
    expect(finding?.evidence).not.toBe('');
  });
});

describe('rules on realistic code', () => {
  it('grades torch.load by its weights_only argument', async () => {
    const findings = await analyseSource(await fixture('mdl/torch_load_checkpoint.py'));
    expect(findings.map(({ line, severity, confidence }) => ({ line, severity, confidence }))).toEqual([
      { line: 13, severity: undefined, confidence: undefined },
      { line: 20, severity: 'medium', confidence: 'low' },
    ]);
  });

  it('lowers trust_remote_code to medium when the revision is a commit', async () => {
    const [finding] = await analyseSource(
      'from transformers import AutoModel\n' +
        'AutoModel.from_pretrained("m", trust_remote_code=True, revision="4e20de362430cd3b72f300e6b0f18e50e7166e08")\n',
    );
    expect(finding?.severity).toBe('medium');
  });

  it('uses the first line of the call, trimmed, as evidence', async () => {
    const [finding] = await analyseSource(
      'import pickle\nif x:\n    data = pickle.loads(\n        blob,\n    )\n',
    );
    expect(finding).toMatchObject({ ruleId: 'PY-DES-001', line: 3, evidence: 'pickle.loads(' });
  });
});

describe('suppression comments', () => {
  const suppressedBy = async (comment: string): Promise<RawFinding['suppressed']> => {
    const [finding] = await analyseSource(`import pickle\npickle.loads(blob)  ${comment}\n`);
    expect(finding?.ruleId).toBe('PY-DES-001');
    return finding?.suppressed;
  };

  it('honours bandit, ruff and mlsec comments for the mapped rule, keeping the finding as suppressed', async () => {
    expect(await suppressedBy('# nosec')).toEqual({ kind: 'inline', reason: '# nosec' });
    expect(await suppressedBy('# nosec B301,B614')).toEqual({ kind: 'inline', reason: '# nosec B301,B614' });
    expect(await suppressedBy('# noqa: S301')).toEqual({ kind: 'inline', reason: '# noqa: S301' });
    expect(await suppressedBy('# noqa')).toEqual({ kind: 'inline', reason: '# noqa' });
    expect(await suppressedBy('# mlsec: ignore[PY-DES-001] our own cache file')).toEqual({
      kind: 'inline',
      reason: 'our own cache file',
    });
  });

  it('does not suppress on ids mapped to other rules', async () => {
    expect(await suppressedBy('# nosec B506')).toBeUndefined();
    expect(await suppressedBy('# noqa: E501')).toBeUndefined();
    expect(await suppressedBy('# mlsec: ignore[PY-MDL-001] wrong rule')).toBeUndefined();
    expect(await suppressedBy('# a comment about pickle')).toBeUndefined();
  });

  it('does not treat a # inside a string as a comment', async () => {
    expect(await activeFindings('import pickle\npickle.loads("# nosec")\n')).toEqual(['PY-DES-001@2']);
  });
});

describe('codeScanner', () => {
  it('claims .py and .pyw files only', () => {
    const probe = (path: string) => ({ path, head: new Uint8Array(), size: 0 });
    expect(codeScanner.detect(probe('pkg/train.py'))).toBe('python');
    expect(codeScanner.detect(probe('gui.pyw'))).toBe('python');
    expect(codeScanner.detect(probe('model.pt'))).toBeUndefined();
  });

  it('reports a file over the size limit as a limit error, without reading it', async () => {
    const context = {
      settings: {
        limits: { ...DEFAULT_LIMITS, maxFileBytes: 10 },
        pickle: { allowGlobals: [], denyGlobals: [] },
      },
      report: () => undefined,
      checkDeadline: () => undefined,
    };
    const scan = codeScanner.scan(
      '/nonexistent/big.py',
      { path: 'big.py', head: new Uint8Array(), size: 11 },
      context,
    );
    await expect(scan).rejects.toBeInstanceOf(LimitError);
  });
});

describe('installed libraries', () => {
  it('leaves Python files an environment installed to the environment checks unless asked', () => {
    const project = { path: 'venv/lib/python3.11/site-packages/x.py', head: new Uint8Array(), size: 1 };
    const probe = { ...project, installed: true as const };
    const settings = { limits: DEFAULT_LIMITS, pickle: { allowGlobals: [], denyGlobals: [] } };
    expect(codeScanner.detect(probe, settings)).toBeUndefined();
    expect(codeScanner.detect(probe, { ...settings, scanInstalledCode: true })).toBe('python');
    expect(codeScanner.detect(project, settings)).toBe('python');
  });
});
