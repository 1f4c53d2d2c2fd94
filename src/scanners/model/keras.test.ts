import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildZip } from '../../targets/test-archives.js';
import { describeLambdaCode, marshalStrings } from './keras-bytecode.js';
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

  it('names the CVE each finding exploits', async () => {
    const result = await scanBytesForTest(
      kerasZip(
        sequential(
          layer('Lambda', {
            name: 'l',
            function: { module: 'os', class_name: 'function', config: 'system' },
          }),
          { module: 'keras.utils', class_name: 'function', config: 'get_file' },
          { module: 'keras.config', class_name: 'function', config: 'enable_unsafe_deserialization' },
        ),
      ),
      'm.keras',
    );
    expect(result.findings.map((finding) => /CVE-\d+-\d+/.exec(finding.message)?.[0]).sort()).toEqual([
      'CVE-2025-1550',
      'CVE-2025-8747',
      'CVE-2025-9906',
    ]);
    const lambda = await scanFileForTest(`${FIXTURES}/malicious/keras/lambda_marshal_os_system.keras`);
    expect(lambda.findings[0]?.message).toContain('CVE-2024-3660');
  });

  it('reports Keras 2 layers by class name: Lambdas saved by name and classes Keras does not ship', async () => {
    const result = await scanBytesForTest(
      kerasZip({
        class_name: 'Sequential',
        config: {
          layers: [
            {
              class_name: 'Dense',
              config: { name: 'dense', kernel_initializer: { class_name: 'GlorotUniform' } },
            },
            {
              class_name: 'Lambda',
              config: { name: 'l', function: 'system', function_type: 'function', module: 'posix' },
            },
            {
              class_name: 'TimeDistributed',
              config: { name: 't', layer: { class_name: 'Mine', config: {} } },
            },
          ],
        },
      }),
      'm.keras',
    );
    expect(result.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['MODEL-KERAS-002', 'posix.system'],
      ['MODEL-KERAS-003', 'Mine'],
    ]);
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

  it('describes Lambda code by the names it loads and its text constants', async () => {
    const result = await scanFileForTest(`${FIXTURES}/malicious/keras/lambda_marshal_os_system.keras`);
    expect(result.findings[0]?.evidence).toBe('lambda: names os.system; constants "echo pwned"');
    // `lambda x: os.system("echo pwned")` marshal'd by CPython 3.7 and 3.10, whose code objects have one
    // 32-bit field less (3.7) or more (3.10) than 3.11+ and one object less after co_firstlineno.
    const older = [
      '4wEAAAAAAAAAAQAAAAMAAABDAAAAcwoAAAB0AKABZAGhAVMAKQJOegplY2hvIHB3bmVkKQLaAm9z2gZzeXN0ZW0pAdoBeKkAcgQAAAD6' +
        'AzxmPtoIPGxhbWJkYT4BAAAA8wAAAAA=',
      '4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMKAAAAdACgAWQBoQFTACkCTnoKZWNobyBwd25lZCkC2gJvc9oGc3lzdGVtKQHaAXip' +
        'AHIEAAAA+gM8Zj7aCDxsYW1iZGE+AQAAAHMCAAAACgA=',
    ];
    for (const code of older) {
      expect(describeLambdaCode(new Uint8Array(Buffer.from(code, 'base64')))).toBe(
        'names os.system; constants "echo pwned"',
      );
    }
  });

  it('falls back to the short strings of bytes that are not a code object it knows', () => {
    const bytes = Uint8Array.from([
      0x63,
      0xda,
      0x02,
      ...encoder.encode('os'),
      0xda,
      0x06,
      ...encoder.encode('system'),
    ]);
    expect(describeLambdaCode(bytes)).toBe('marshal strings os.system');
    expect(describeLambdaCode(Uint8Array.from([0x63, 0xff]))).toBeUndefined();
  });

  it('visits a constant shared through marshal references once', () => {
    const int32 = (value: number): number[] => [...new Uint8Array(Uint32Array.of(value).buffer)];
    const empty = (type: string): number[] => [type.charCodeAt(0), ...int32(0)];
    // co_consts = (t0, t1, …, t40), t0 = ('a',) and each next tuple holding its predecessor twice (by reference):
    // walked naively, t40 alone would be 2**40 visits.
    const tuples = [0xa9, 1, 0x7a, 1, 0x61];
    for (let index = 1; index <= 40; index += 1) {
      tuples.push(0xa9, 2, 0x72, ...int32(index - 1), 0x72, ...int32(index - 1));
    }
    const code = [
      0x63,
      ...[0, 0, 0, 0, 0].flatMap(int32),
      ...empty('s'), // co_code
      0x29,
      41,
      ...tuples,
      ...[0x29, 0, 0x29, 0], // co_names, co_localsplusnames
      ...empty('s'),
      ...[0x7a, 0, 0x7a, 0, 0x7a, 0], // filename, name, qualname
      ...int32(1),
      ...empty('s'),
      ...empty('s'),
    ];
    expect(describeLambdaCode(Uint8Array.from(code))).toBe('constants "a"');
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

describe('Keras files written by Keras 3 itself (generate_keras_real.py)', () => {
  const real = (path: string): string => `${FIXTURES}/${path}`;

  it.each([
    'benign/keras-real/sequential_conv_dense.keras',
    'benign/keras-real/sequential_conv_dense.h5',
    'benign/keras-real/sequential_conv_dense.weights.h5',
    'benign/keras-real/functional.keras',
    'benign/keras-real/functional.h5',
    // Layers new in Keras 3, which a legacy .h5 names by class only (RMSNormalization was once reported).
    'benign/keras-real/keras3_layers.keras',
    'benign/keras-real/keras3_layers.h5',
  ])('passes the standard layers, modules and compile settings of %s', async (path) => {
    const result = await scanFileForTest(real(path));
    expect(result.findings).toEqual([]);
    expect(result.format).toBe(path.endsWith('.keras') ? 'keras' : 'keras-h5');
  });

  it.each(['malicious/keras-real/lambda_os_system.keras', 'malicious/keras-real/lambda_os_system.h5'])(
    'reports the Lambda of %s with what its code calls',
    async (path) => {
      const result = await scanFileForTest(real(path));
      expect(result.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
        ['MODEL-KERAS-001', 'pwn: names os.system; constants "echo pwned"'],
      ]);
    },
  );

  it('describes the config of a .keras archive with its layers, the Lambda marked', async () => {
    const result = await scanFileForTest(real('malicious/keras-real/lambda_os_system.keras'), {
      detail: true,
    });
    const config = result.models.find((model) => model.member === 'config.json');
    expect(config).toMatchObject({
      format: 'keras-config',
      framework: 'keras',
      properties: { model_class: 'Sequential', layers: '3' },
    });
    expect(config?.sections?.[0]?.items).toEqual([
      { text: "InputLayer 'input_layer_2'" },
      { text: "Dense 'dense'" },
      { text: "Lambda 'pwn'", risk: 'critical' },
    ]);
  });

  it.each([
    'adversarial/keras-real/registered_custom_layer.keras',
    'adversarial/keras-real/registered_custom_layer.h5',
  ])('names the registered package of the custom layer in %s', async (path) => {
    // Keras 3 writes `"module": null, "registered_name": "mlsec_fixture>Scale"` (.keras) or
    // `"class_name": "mlsec_fixture>Scale"` (.h5).
    const result = await scanFileForTest(real(path));
    expect(result.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['MODEL-KERAS-003', 'mlsec_fixture>Scale'],
    ]);
    expect(verdictOf(result.findings)).toBe('suspicious');
  });
});
