import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectsModelContent, hasModelExtension } from '../classify.js';
import { ONNX_CUSTOM_DOMAIN, ONNX_EXTERNAL_DATA_OUTSIDE } from '../rules.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from '../test-support.js';
import { escapesModelFolder } from './onnx.js';

/** Minimal protobuf writer: varint tags, length-delimited fields. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
const field = (number: number, payload: Buffer | string): Buffer => {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), bytes]);
};
const varintField = (number: number, value: number): Buffer =>
  Buffer.concat([varint(number * 8), varint(value)]);

const entry = (key: string, value: string): Buffer => Buffer.concat([field(1, key), field(2, value)]);
const tensor = (name: string, location?: string, raw = Buffer.alloc(0)): Buffer =>
  Buffer.concat([
    field(8, name),
    field(9, raw),
    ...(location === undefined ? [] : [field(13, entry('location', location)), varintField(14, 1)]),
  ]);
const nodeBody = (opType: string, domain = ''): Buffer =>
  Buffer.concat([field(1, 'X'), field(2, 'Y'), field(4, opType), ...(domain ? [field(7, domain)] : [])]);
/** A node as a graph field. */
const node = (opType: string, domain = ''): Buffer => field(1, nodeBody(opType, domain));
const opset = (domain: string, version: number): Buffer =>
  Buffer.concat([field(1, domain), varintField(2, version)]);
const model = (graph: Buffer[], opsets: Buffer[] = [opset('', 13)]): Uint8Array =>
  Buffer.concat([
    varintField(1, 8),
    field(2, 'test'),
    field(7, Buffer.concat([...graph, field(2, 'g')])),
    ...opsets.map((item) => field(8, item)),
  ]);

const scan = (bytes: Uint8Array) => scanBytesForTest(bytes, 'model.onnx');

describe('escapesModelFolder', () => {
  it.each([
    '../x',
    '../../etc/passwd',
    'a/../../x',
    'a/..',
    '/etc/passwd',
    '\\\\host\\share',
    'C:\\x',
    'a\\..\\..\\x',
  ])('%s leaves the folder', (location) => {
    expect(escapesModelFolder(location)).toBe(true);
  });
  it.each(['weights.bin', 'data/weights.bin', './weights.bin', '..weights', 'a..b/c'])(
    '%s stays',
    (location) => {
      expect(escapesModelFolder(location)).toBe(false);
    },
  );
});

describe('ONNX', () => {
  it('is claimed by the .onnx name', () => {
    expect(hasModelExtension('model.onnx')).toBe(true);
    expect(expectsModelContent('Model.ONNX')).toBe(true);
  });

  it('is clean for standard operators and in-folder external data', async () => {
    const { findings, format } = await scan(
      model(
        [node('MatMul'), node('Add', 'ai.onnx'), field(5, tensor('W', 'weights.bin'))],
        [opset('', 13), opset('ai.onnx.ml', 3)],
      ),
    );
    expect(format).toBe('onnx');
    expect(findings).toEqual([]);
  });

  it('reports external data outside the folder, once per location', async () => {
    const { findings } = await scan(
      model([
        field(5, tensor('W', '../../etc/passwd')),
        field(5, tensor('B', '../../etc/passwd')),
        field(5, tensor('C', '/root/.ssh/id_rsa', Buffer.alloc(4 * 1024 * 1024))),
      ]),
    );
    expect(ruleIds(findings)).toEqual([ONNX_EXTERNAL_DATA_OUTSIDE.id, ONNX_EXTERNAL_DATA_OUTSIDE.id]);
    expect(findings.map((finding) => finding.evidence)).toEqual(['../../etc/passwd', '/root/.ssh/id_rsa']);
    expect(verdictOf(findings)).toBe('malicious');
  });

  it('finds tensors and custom nodes inside subgraphs, tensor attributes and functions', async () => {
    const subgraph = Buffer.concat([node('Relu', 'com.sub'), field(5, tensor('S', 'x/../../y'))]);
    const ifNode = Buffer.concat([
      field(4, 'If'),
      field(5, Buffer.concat([field(1, 'then_branch'), field(6, subgraph)])),
      field(5, Buffer.concat([field(1, 'value'), field(5, tensor('T', '/abs'))])),
    ]);
    const fn = Buffer.concat([
      field(1, 'F'),
      field(7, nodeBody('Op', 'com.fn')),
      field(9, opset('com.fnset', 1)),
    ]);
    const bytes = Buffer.concat([model([field(1, ifNode)]), field(25, fn)]);
    const { findings } = await scan(bytes);
    expect(findings.map((finding) => `${finding.ruleId} ${finding.evidence ?? ''}`).sort()).toEqual([
      `${ONNX_EXTERNAL_DATA_OUTSIDE.id} /abs`,
      `${ONNX_EXTERNAL_DATA_OUTSIDE.id} x/../../y`,
      `${ONNX_CUSTOM_DOMAIN.id} com.fn`,
      `${ONNX_CUSTOM_DOMAIN.id} com.fnset`,
      `${ONNX_CUSTOM_DOMAIN.id} com.sub`,
    ]);
  });

  it('reports custom domains of nodes and opset imports as suspicious', async () => {
    const { findings } = await scan(model([node('Evil', 'com.evil')], [opset('', 13), opset('com.evil', 1)]));
    expect(ruleIds(findings)).toEqual([ONNX_CUSTOM_DOMAIN.id]);
    expect(verdictOf(findings)).toBe('suspicious');
  });

  it('calls content that is not a ModelProto unscannable', async () => {
    for (const bytes of [
      Buffer.from('this is not protobuf at all\n'),
      Buffer.alloc(0),
      Buffer.concat([varintField(1, 8)]),
      model([node('Add')]).subarray(0, 12),
    ]) {
      const { findings } = await scan(bytes);
      expect(ruleIds(findings)).toEqual(['SCAN-001']);
      expect(verdictOf(findings)).toBe('unscannable');
    }
  });
});

describe('ONNX external data on disk', () => {
  const MODEL = resolve(
    import.meta.dirname,
    '../../../../test/fixtures/model/benign/onnx/external_data/model.onnx',
  );
  const root = mkdtempSync(join(tmpdir(), 'mlsec-onnx-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** A folder holding the fixture model (external data `weights.bin`) and `weights.bin` as a link to `target`. */
  function folderWithLink(name: string, target: string): string {
    const folder = join(root, name);
    mkdirSync(folder);
    copyFileSync(MODEL, join(folder, 'model.onnx'));
    symlinkSync(target, join(folder, 'weights.bin'));
    return join(folder, 'model.onnx');
  }

  it('reports a symbolic link that takes the external data outside the folder', async () => {
    writeFileSync(join(root, 'secret.txt'), 'secret');
    const { findings } = await scanFileForTest(folderWithLink('outside', '../secret.txt'));
    expect(ruleIds(findings)).toEqual([ONNX_EXTERNAL_DATA_OUTSIDE.id]);
    expect(findings[0]?.evidence).toBe('weights.bin');
  });

  it('accepts a symbolic link within the folder and a missing file', async () => {
    const inside = folderWithLink('inside', 'real.bin');
    writeFileSync(join(root, 'inside', 'real.bin'), Buffer.alloc(36));
    expect((await scanFileForTest(inside)).findings).toEqual([]);
    const missing = join(root, 'missing');
    mkdirSync(missing);
    copyFileSync(MODEL, join(missing, 'model.onnx'));
    expect((await scanFileForTest(join(missing, 'model.onnx'))).findings).toEqual([]);
  });
});
