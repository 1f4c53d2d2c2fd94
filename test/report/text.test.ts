import { describe, expect, it } from 'vitest';
import type { FileReport } from '../../src/core/report-model.js';
import { textReporter } from '../../src/report/text.js';
import { FIXTURE_CWD, FIXTURE_REPORT, report } from './fixture.js';

const ESC = '\u001b';
// What our own styling emits: SGR sequences only. Anything else starting with ESC came from the input.
const OWN_SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

describe('text reporter', () => {
  it('renders the fixture without colour', async () => {
    const out = textReporter(FIXTURE_REPORT, { color: false, cwd: FIXTURE_CWD });
    expect(out).not.toContain(ESC);
    await expect(out).toMatchFileSnapshot('__snapshots__/report.txt');
  });

  it('renders the fixture with colour, and only our own escape sequences', async () => {
    const out = textReporter(FIXTURE_REPORT, { color: true, cwd: FIXTURE_CWD });
    expect(out).toMatch(OWN_SGR);
    expect(out.replace(OWN_SGR, '')).toBe(textReporter(FIXTURE_REPORT, { color: false, cwd: FIXTURE_CWD }));
    await expect(out).toMatchFileSnapshot('__snapshots__/report.ansi.txt');
  });

  it('shows attacker-controlled control characters as visible escapes', () => {
    const out = textReporter(FIXTURE_REPORT, { color: false, cwd: FIXTURE_CWD });
    expect(out).toContain('evidence: evil\\x1b[2J\\x07mod.Loader\\u202etxt.exe');
    expect(out).not.toContain('\u0007');
    expect(out).not.toContain('\u202e');
  });

  it('lists findings of non-clean files, hides suppressed ones and counts clean files', () => {
    const out = textReporter(FIXTURE_REPORT, { color: false, cwd: FIXTURE_CWD });
    expect(out).toContain("evidence: posix.system('echo pwned')");
    expect(out).not.toContain('resnet50');
    expect(out).not.toContain('LegacyModel');
    expect(out).toContain('3 clean (not listed)');
    expect(out).toContain('; 1 suppressed');
  });

  it('keeps the same short shape for ten thousand clean files', () => {
    const files: FileReport[] = Array.from({ length: 10_000 }, (_, i) => ({
      path: `corpus/${i}.safetensors`,
      format: 'safetensors',
      verdict: 'clean',
      size: 1_000,
      findings: [],
      models: [],
    }));
    const out = textReporter(report(files, []), { color: false, cwd: FIXTURE_CWD });
    expect(out.split('\n').length).toBeLessThan(10);
    expect(out).toContain(
      '10000 scanned: 0 malicious, 0 unscannable, 0 suspicious, 10000 clean (not listed)',
    );
  });

  it('lists a clean file that still has an active finding, with control characters in its name escaped', () => {
    const [first] = FIXTURE_REPORT.findings;
    if (first === undefined) throw new Error('fixture has findings');
    const out = textReporter(
      report(
        [
          {
            path: 'a\u001b]0;title\u0007.pkl',
            format: 'pickle',
            verdict: 'clean',
            size: 3,
            findings: ['F1'],
            models: [],
          },
        ],
        [{ ...first, severity: 'info' }],
      ),
      { color: false, cwd: FIXTURE_CWD },
    );
    expect(out).toContain('a\\x1b]0;title\\x07.pkl  clean  pickle, 3 B\n  info ');
    expect(out).toMatch(/ 1 clean\n/);
  });
});
