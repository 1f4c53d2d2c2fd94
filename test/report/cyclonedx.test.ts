import { describe, expect, it } from 'vitest';
import { cyclonedxReporter } from '../../src/report/cyclonedx.js';
import { cyclonedxErrors } from './cyclonedx-validate.js';
import { FIXTURE_CWD, FIXTURE_REPORT } from './fixture.js';

const options = { color: false, cwd: FIXTURE_CWD };

interface Bom {
  serialNumber: string;
  metadata: { timestamp: string };
  components: {
    type: string;
    'bom-ref': string;
    name: string;
    hashes?: { alg: string; content: string }[];
    modelCard?: { modelParameters?: Record<string, string>; properties: { name: string; value: string }[] };
    properties: { name: string; value: string }[];
    components?: { 'bom-ref': string; name: string }[];
  }[];
  vulnerabilities: {
    id: string;
    analysis: { state: string; detail: string };
    affects: { ref: string }[];
    detail?: string;
    cwes?: number[];
  }[];
}

describe('cyclonedx reporter', () => {
  const text = cyclonedxReporter(FIXTURE_REPORT, options);
  const bom = JSON.parse(text) as Bom;

  it('is a valid CycloneDX 1.6 document (strict schema)', async () => {
    expect(await cyclonedxErrors(text)).toBeNull();
  });

  it('matches the snapshot apart from its serial number and timestamp', async () => {
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(bom.metadata.timestamp))).toBe(false);
    const stable = text
      .replace(bom.serialNumber, 'urn:uuid:00000000-0000-0000-0000-000000000000')
      .replace(bom.metadata.timestamp, '1970-01-01T00:00:00.000Z');
    await expect(stable).toMatchFileSnapshot('__snapshots__/report.cdx.json');
  });

  it('makes every scanned model a machine-learning-model component with its SHA-256 and facts', () => {
    expect(bom.components.map((c) => [c.name, c.type])).toEqual(
      FIXTURE_REPORT.files.map((file) => [file.path, 'machine-learning-model']),
    );
    const onnx = bom.components.find((c) => c.name === 'models/resnet50.onnx');
    expect(onnx?.hashes).toEqual([{ alg: 'SHA-256', content: FIXTURE_REPORT.files[2]?.sha256 }]);
    expect(onnx?.modelCard?.modelParameters).toBeUndefined();
    expect(onnx?.properties).toContainEqual({ name: 'mlsec:parameters', value: '25530472' });
    expect(onnx?.properties).toContainEqual({ name: 'mlsec:model:opset', value: 'ai.onnx 17' });
    const torch = bom.components.find((c) => c.name === 'models/model.pt');
    expect(torch?.components?.map((c) => c.name)).toEqual(['archive/data.pkl']);
  });

  it('puts findings in vulnerabilities with VEX analysis states', () => {
    expect(bom.vulnerabilities.map((v) => [v.id, v.analysis.state, v.affects[0]?.ref])).toEqual([
      ['MODEL-PICKLE-001', 'exploitable', 'file:models/model.pt'],
      ['SCAN-001', 'in_triage', 'file:checkpoints/broken.pkl'],
      ['MODEL-PICKLE-002', 'in_triage', 'file:data/weird names/модель ü #2.pkl'],
      ['MODEL-PICKLE-002', 'not_affected', `file:${FIXTURE_CWD}/vendor/legacy.joblib`],
    ]);
    expect(bom.vulnerabilities[0]?.detail).toBe("posix.system('echo pwned')");
    expect(bom.vulnerabilities[0]?.cwes).toEqual([502, 94]);
    expect(bom.vulnerabilities[3]?.analysis.detail).toBe(
      'Suppressed by config: Our own class, reviewed in SEC-142',
    );
  });

  it('escapes attacker-controlled control characters', () => {
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(text).not.toContain(raw);
  });
});
