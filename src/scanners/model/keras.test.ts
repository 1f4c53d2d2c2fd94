import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildZip } from '../../targets/test-archives.js';
import { marshalStrings } from './keras.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');
const encoder = new TextEncoder();
const METADATA = { name: 'metadata.json', data: encoder.encode('{"keras_version": "3.3.3"}') };

function kerasZip(config: unknown, withMetadata = true): Uint8Array {
  const members = [{ name: 'config.json', data: encoder.encode(JSON.stringify(config)) }];
  return buildZip({ members: withMetadata ? [METADATA, ...members] : members });
}

function layer(className: string, config: Record<string, unknown>, module = 'keras.layers'): unknown {
  return { module, class_name: className, config, registered_name: null };
}

function sequential(...layers: unknown[]): unknown {
  return { module: 'keras', class_name: 'Sequential', config: { name: 'sequential', layers } };
}

describe('Keras v3 archives', () => {
  it('names the format and passes a model of built-in layers', async () => {
    const result = await scanBytesForTest(
      kerasZip(sequential(layer('Dense', { name: 'dense', units: 2, activation: 'relu' }))),
      'model.keras',
    );
    expect(result.format).toBe('keras');
    expect(result.findings).toEqual([]);
  });

  it('recognises a .keras name without metadata.json, but not a plain zip with config.json', async () => {
    const config = sequential(
      layer('Lambda', { name: 'l', function: { module: 'os', class_name: 'system' } }),
    );
    const named = await scanBytesForTest(kerasZip(config, false), 'model.keras');
    expect(named.format).toBe('keras');
    expect(ruleIds(named.findings)).toEqual(['MODEL-KERAS-002']);
    const plain = await scanBytesForTest(kerasZip(config, false), 'bundle.zip');
    expect(plain.format).toBe('zip');
    expect(plain.findings).toEqual([]);
  });

  it('walks wrappers and nested models', async () => {
    const inner = sequential(
      layer('TimeDistributed', {
        name: 'td',
        layer: layer('Bidirectional', {
          name: 'bi',
          layer: layer('Custom', { name: 'c' }, 'evil.layers'),
        }),
      }),
    );
    const result = await scanBytesForTest(kerasZip(sequential(inner)), 'm.keras');
    expect(result.findings.map((finding) => finding.evidence)).toEqual(['evil.layers.Custom']);
    expect(verdictOf(result.findings)).toBe('suspicious');
  });

  it('reports gadgets inside Keras, builtins other than plain types, and nothing for plain types', async () => {
    const result = await scanBytesForTest(
      kerasZip(
        sequential(
          { module: 'builtins', class_name: 'tuple', config: { value: [1, 2] } },
          { module: 'builtins', class_name: 'function', config: 'eval' },
          { module: 'keras.src.utils.file_utils', class_name: 'function', config: 'get_file' },
          {
            module: 'keras.src.saving',
            class_name: 'x',
            registered_name: 'keras.config>enable_unsafe_deserialization',
          },
        ),
      ),
      'm.keras',
    );
    expect(result.findings.map((finding) => finding.evidence).sort()).toEqual([
      'builtins.eval',
      'keras.config>enable_unsafe_deserialization',
      'keras.src.utils.file_utils.get_file',
    ]);
    expect(verdictOf(result.findings)).toBe('malicious');
  });

  it('reports a marshal Lambda with the names of its code', async () => {
    const result = await scanFileForTest(`${FIXTURES}/malicious/keras/lambda_marshal_os_system.keras`);
    expect(ruleIds(result.findings)).toEqual(['MODEL-KERAS-001']);
    expect(result.findings[0]?.evidence).toContain('os.system');
  });

  it('fails closed on a config that is not JSON or nests too deep', async () => {
    const broken = buildZip({ members: [METADATA, { name: 'config.json', data: encoder.encode('{"a": ') }] });
    expect(ruleIds((await scanBytesForTest(broken, 'm.keras')).findings)).toEqual(['SCAN-001']);
    const deep = '['.repeat(300) + ']'.repeat(300);
    const nested = buildZip({ members: [METADATA, { name: 'config.json', data: encoder.encode(deep) }] });
    expect(verdictOf((await scanBytesForTest(nested, 'm.keras')).findings)).toBe('unscannable');
  });

  it('reads short strings out of marshal bytes', () => {
    const bytes = Uint8Array.from([
      0x29,
      0x02,
      0xda,
      0x02,
      0x6f,
      0x73,
      0xda,
      0x06,
      ...encoder.encode('system'),
    ]);
    expect(marshalStrings(bytes)).toEqual(['os', 'system']);
  });
});
