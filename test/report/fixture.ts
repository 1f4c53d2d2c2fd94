import { createHash } from 'node:crypto';
import type { EnvironmentRecord } from '../../src/core/environment.js';
import { completeFinding, type Finding, type RawFinding } from '../../src/core/finding.js';
import type { ModelPart } from '../../src/core/model-part.js';
import { ruleById } from '../../src/core/registry.js';
import type { FileReport, ScanReport, ScanSummary } from '../../src/core/report-model.js';
import { SEVERITIES, type Severity } from '../../src/core/severity.js';
import { VERDICTS, type Verdict } from '../../src/core/verdict.js';

/** The working directory the fixture's SARIF URIs are made relative to. */
export const FIXTURE_CWD = '/home/ci/project';

function finding(raw: RawFinding, path: string, id: string): Finding {
  const rule = ruleById(raw.ruleId);
  if (rule === undefined) throw new Error(`fixture uses unknown rule ${raw.ruleId}`);
  return completeFinding(raw, rule, path, id, 0);
}

function file(
  path: string,
  format: string,
  verdict: Verdict,
  size: number,
  findings: Finding[] = [],
  models: ModelPart[] = [{ format }],
): FileReport {
  // A stable stand-in for the SHA-256 the ML-BOM asks for: the path's own digest.
  const sha256 = createHash('sha256').update(path).digest('hex');
  return { path, format, verdict, size, findings: findings.map((f) => f.id), models, sha256 };
}

/** Counts the way the engine does: suppressed findings are counted apart and give no severity. */
export function summarize(
  files: readonly FileReport[],
  findings: readonly Finding[],
  durationMs: number,
): ScanSummary {
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const f of files) verdicts[f.verdict]++;
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const active = findings.filter((f) => f.suppressed === undefined);
  for (const f of active) bySeverity[f.severity]++;
  return {
    files: files.length,
    verdicts,
    findings: active.length,
    suppressed: findings.length - active.length,
    bySeverity,
    durationMs,
  };
}

export function report(
  files: FileReport[],
  findings: Finding[],
  warnings: string[] = [],
  environments: EnvironmentRecord[] = [],
): ScanReport {
  return {
    tool: { name: 'mlsec', version: '0.1.0' },
    files,
    findings,
    summary: summarize(files, findings, 1234),
    environments,
    warnings,
  };
}

const TORCH = 'models/model.pt';
const BROKEN = 'checkpoints/broken.pkl';
// Spaces, non-ASCII letters and a `#`, which a URI must encode.
const ODD = 'data/weird names/модель ü #2.pkl';
// Absolute because the user passed an absolute argument; SARIF must still give a path relative to the cwd.
const VENDORED = `${FIXTURE_CWD}/vendor/legacy.joblib`;

const pwned = finding(
  {
    ruleId: 'MODEL-PICKLE-001',
    message: 'Pickle calls posix.system, which runs a shell command when the file is loaded',
    member: 'archive/data.pkl',
    offset: 58,
    evidence: "posix.system('echo pwned')",
  },
  TORCH,
  'F1',
);

const truncated = finding(
  { ruleId: 'SCAN-001', message: 'Pickle stream ends at offset 1024 before its STOP opcode', offset: 1024 },
  BROKEN,
  'F2',
);

// The global name is attacker-chosen: an ANSI "clear screen", a bell and a right-to-left override.
const unlisted = finding(
  {
    ruleId: 'MODEL-PICKLE-002',
    message: 'Pickle imports evil\u001b[2J\u0007mod.Loader, which is not on the allow list',
    offset: 14,
    evidence: 'evil\u001b[2J\u0007mod.Loader\u202Etxt.exe',
  },
  ODD,
  'F3',
);

const reviewed: Finding = {
  ...finding(
    {
      ruleId: 'MODEL-PICKLE-002',
      message: 'Pickle imports sklearn_extra.LegacyModel, which is not on the allow list',
      offset: 212,
      evidence: 'sklearn_extra.LegacyModel',
    },
    VENDORED,
    'F4',
  ),
  suppressed: { kind: 'config', reason: 'Our own class, reviewed in SEC-142' },
};

/** Clean, malicious, unscannable, suspicious and suppressed results side by side, as a real scan mixes them. */
export const FIXTURE_REPORT: ScanReport = report(
  [
    file(
      'models/resnet50.safetensors',
      'safetensors',
      'clean',
      102_760_448,
      [],
      [
        {
          format: 'safetensors',
          framework: 'pytorch',
          tensors: 320,
          parameters: 25_557_032,
          properties: { format: 'pt' },
        },
      ],
    ),
    file(
      TORCH,
      'pytorch-zip',
      'malicious',
      4_567,
      [pwned],
      [
        { format: 'pytorch-zip', framework: 'pytorch', tensors: 2 },
        { member: 'archive/data.pkl', format: 'pickle' },
      ],
    ),
    file(
      'models/resnet50.onnx',
      'onnx',
      'clean',
      97_834_212,
      [],
      [
        {
          format: 'onnx',
          framework: 'onnx',
          tensors: 161,
          parameters: 25_530_472,
          properties: { producer: 'pytorch 2.1.0', opset: 'ai.onnx 17', nodes: '122' },
        },
      ],
    ),
    file(BROKEN, 'pickle', 'unscannable', 2_048, [truncated]),
    file(ODD, 'pickle', 'suspicious', 311, [unlisted]),
    file(VENDORED, 'joblib+zlib', 'clean', 9_876, [reviewed]),
  ],
  [pwned, truncated, unlisted, reviewed],
  ['Ignore entry 2 in .mlsec-ignore.yaml (MODEL-PICKLE-003) expired on 2026-10-01 and no longer applies'],
  [
    {
      kind: 'venv',
      root: '.venv',
      python: '3.11',
      siteFolders: ['.venv/lib/python3.11/site-packages'],
      distributions: 42,
      startupHooks: 2,
    },
    {
      kind: 'dist-packages',
      root: '/usr',
      siteFolders: ['/usr/lib/python3/dist-packages'],
      distributions: 1,
      startupHooks: 0,
    },
  ],
);
