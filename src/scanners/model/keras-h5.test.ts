import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { File, ready } from 'h5wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { buildZip } from '../../targets/test-archives.js';
import { classifyHead } from './classify.js';
import { KERAS_CONFIG_MAX_BYTES } from './keras.js';
import { HDF5_MAX_MEMORY_BYTES } from './keras-h5-file.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');
const fixture = (path: string): string => `${FIXTURES}/${path}`;
const TEMPORARY = mkdtempSync(join(tmpdir(), 'mlsec-keras-h5-'));
afterAll(() => {
  rmSync(TEMPORARY, { recursive: true, force: true });
});
let written = 0;

/** Bytes of an HDF5 file written by the HDF5 library itself (h5wasm in write mode, in its in-memory FS). */
async function h5Written(write: (file: File) => void): Promise<Uint8Array> {
  const module = await ready;
  const fs = module.FS as unknown as { readFile(path: string): Uint8Array; unlink(path: string): void };
  const path = `/written-${written++}.h5`;
  const file = new File(path, 'w');
  write(file);
  file.close();
  const bytes = fs.readFile(path);
  fs.unlink(path);
  return bytes;
}

function writeTemporary(bytes: Uint8Array): string {
  const path = join(TEMPORARY, `hostile-${written++}.h5`);
  writeFileSync(path, bytes);
  return path;
}

describe('Keras HDF5 files', () => {
  it('reads a Keras 2 model file from disk: clean, described, weights counted from dataset headers', async () => {
    const result = await scanFileForTest(fixture('benign/keras/sequential_conv_dense.h5'), { detail: true });
    expect(result.format).toBe('keras-h5');
    expect(result.findings).toEqual([]);
    const [model] = result.models;
    expect(model).toMatchObject({
      format: 'keras-h5',
      framework: 'keras',
      tensors: 4,
      parameters: 3 * 3 * 4 + 4 + 144 * 2 + 2,
      properties: { keras_version: '2.12.0', backend: 'tensorflow', model_class: 'Sequential', layers: '4' },
    });
    const layers = model?.sections?.find((part) => part.title === 'layers');
    expect(layers?.items.map((item) => item.text)).toEqual([
      "InputLayer 'input_1'",
      "Conv2D 'conv2d'",
      "Flatten 'flatten'",
      "Dense 'dense'",
    ]);
    const weights = model?.sections?.find((part) => part.title === 'weights');
    expect(weights?.items.map((item) => item.text)).toContain(
      'model_weights/conv2d/conv2d/kernel:0 [3, 3, 1, 4]',
    );
  });

  it('passes a weights-only file and says so', async () => {
    const result = await scanFileForTest(fixture('benign/keras/dense.weights.h5'));
    expect(result.format).toBe('keras-h5');
    expect(result.findings).toEqual([]);
    expect(result.models[0]).toMatchObject({
      tensors: 2,
      parameters: 20,
      properties: { contents: 'weights only' },
    });
  });

  it('reports a Keras 2 func_dump Lambda with what its bytecode calls and the CVEs it enables', async () => {
    const result = await scanFileForTest(fixture('malicious/keras/lambda_os_system.h5'), { detail: true });
    expect(ruleIds(result.findings)).toEqual(['MODEL-KERAS-001']);
    const [finding] = result.findings;
    expect(finding?.evidence).toBe('lambda: names os.system; constants "echo pwned"');
    expect(finding?.message).toContain('CVE-2024-3660, CVE-2025-9905');
    const layers = result.models[0]?.sections?.find((part) => part.title === 'layers');
    expect(layers?.items.find((item) => item.text === "Lambda 'lambda'")?.risk).toBe('critical');
  });

  it('finds HDF5 behind a user block, in the file and in bytes', async () => {
    const path = fixture('malicious/keras/lambda_os_system_userblock.h5');
    const bytes = new Uint8Array(readFileSync(path));
    expect(classifyHead(bytes.subarray(0, 4096))).toEqual(['hdf5']);
    expect(ruleIds((await scanFileForTest(path)).findings)).toEqual(['MODEL-KERAS-001']);
    expect(ruleIds((await scanBytesForTest(bytes, 'model.h5')).findings)).toEqual(['MODEL-KERAS-001']);
    const clean = await scanFileForTest(fixture('benign/keras/dense_userblock.h5'));
    expect(clean.findings).toEqual([]);
  });

  it('reads both a pickle in the user block and the HDF5 file after it', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('benign/keras/dense_userblock.h5')));
    const pickle = Buffer.from(
      '\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.',
      'latin1',
    );
    bytes.set(pickle, 0);
    expect(classifyHead(bytes.subarray(0, 4096))).toEqual(['pickle', 'hdf5']);
    const result = await scanBytesForTest(bytes, 'model.h5');
    expect(result.format).toBe('pickle+keras-h5');
    expect(ruleIds(result.findings)).toEqual(['MODEL-PICKLE-001', 'MODEL-POLYGLOT-001']);
  });

  it('reports Lambda functions saved by name, custom layer classes and modules outside Keras', async () => {
    const byName = await scanFileForTest(fixture('malicious/keras/lambda_function_posix_system.h5'));
    expect(byName.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['MODEL-KERAS-002', 'posix.system'],
    ]);
    const custom = await scanFileForTest(fixture('adversarial/keras/custom_layer_class.h5'));
    expect(custom.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['MODEL-KERAS-003', 'MyAttention'],
    ]);
    expect(verdictOf(custom.findings)).toBe('suspicious');
    const module = await scanFileForTest(fixture('adversarial/keras/custom_object_module.h5'));
    expect(module.findings.map((finding) => finding.evidence)).toEqual(['my_package.layers.MyAttention']);
  });

  it('scans the .h5 weights member of a .keras archive', async () => {
    const result = await scanFileForTest(fixture('malicious/keras/h5_member_lambda.keras'));
    expect(result.format).toBe('keras');
    expect(result.findings.map((finding) => [finding.ruleId, finding.member])).toEqual([
      ['MODEL-KERAS-001', 'model.weights.h5'],
    ]);
    const benign = await scanFileForTest(fixture('benign/keras/sequential_conv_dense.keras'));
    expect(benign.findings).toEqual([]);
    expect(benign.models).toContainEqual(
      expect.objectContaining({ member: 'model.weights.h5', format: 'keras-h5', tensors: 4 }),
    );
  });

  it('reads a deflated .h5 member of a plain zip in memory', async () => {
    const data = new Uint8Array(readFileSync(fixture('malicious/keras/lambda_os_system.h5')));
    const zip = buildZip({ members: [{ name: 'models/model.h5', data, method: 8 }] });
    const result = await scanBytesForTest(zip, 'bundle.zip');
    expect(result.findings.map((finding) => [finding.ruleId, finding.member])).toEqual([
      ['MODEL-KERAS-001', 'models/model.h5'],
    ]);
  });

  it('reports HDF5 it cannot open as unscannable, with HDF5 own reason', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('benign/keras/sequential_conv_dense.h5')));
    const broken = bytes.slice();
    broken.fill(0xff, 8, 64);
    const corrupt = await scanBytesForTest(broken, 'model.h5');
    expect(ruleIds(corrupt.findings)).toEqual(['SCAN-001']);
    expect(corrupt.findings[0]?.message).toMatch(/HDF5 cannot be read: \S+\(\): /);
    const truncated = await scanBytesForTest(bytes.subarray(0, 2000), 'model.h5');
    expect(verdictOf(truncated.findings)).toBe('unscannable');
  });

  it('refuses a global heap that the HDF5 library would walk forever (a free-space object of 0 bytes)', async () => {
    // Found by fuzzing a file Keras 3 wrote: its vlen string attributes live in a global heap collection.
    const bytes = new Uint8Array(readFileSync(fixture('benign/keras-real/sequential_conv_dense.h5')));
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const heap = view.indexOf('GCOL');
    let position = heap + 16;
    while (view.readUInt16LE(position) !== 0) {
      position += 16 + Math.ceil(Number(view.readBigUInt64LE(position + 8)) / 8) * 8;
    }
    expect(position).toBeLessThan(heap + Number(view.readBigUInt64LE(heap + 8)));
    view.writeBigUInt64LE(0n, position + 8);
    const inMemory = await scanBytesForTest(bytes, 'model.h5');
    const onDisk = await scanFileForTest(writeTemporary(bytes));
    for (const result of [inMemory, onDisk]) {
      expect(ruleIds(result.findings)).toEqual(['SCAN-001']);
      expect(result.findings[0]?.message).toContain('global heap');
    }
  });

  it('fails closed on a model_config over the size bound', async () => {
    const config = JSON.stringify({
      class_name: 'Sequential',
      config: { name: 'x'.repeat(KERAS_CONFIG_MAX_BYTES) },
    });
    const path = writeTemporary(
      await h5Written((file) => {
        file.create_attribute('model_config', config);
      }),
    );
    const result = await scanFileForTest(path);
    expect(ruleIds(result.findings)).toEqual(['SCAN-002']);
    expect(result.findings[0]?.message).toContain('model_config');
  });

  it('never follows links out of the file and never reads dataset payloads', async () => {
    const bytes = await h5Written((file) => {
      file.create_attribute(
        'model_config',
        JSON.stringify({ class_name: 'Sequential', config: { layers: [] } }),
      );
      file.create_external_link('/etc/passwd', '/x', 'outside');
      file.create_soft_link('/nowhere', 'dangling');
      file.create_dataset({ name: 'weights', data: new Float32Array(4), shape: [2, 2] });
    });
    const result = await scanFileForTest(writeTemporary(bytes));
    expect(result.findings).toEqual([]);
    expect(result.models[0]).toMatchObject({ format: 'keras-h5', tensors: 1, parameters: 4 });
  });

  it('bounds HDF5 read from inside containers', () => {
    expect(HDF5_MAX_MEMORY_BYTES).toBe(256 * 1024 * 1024);
  });
});
