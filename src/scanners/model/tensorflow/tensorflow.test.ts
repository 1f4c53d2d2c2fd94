import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { KERAS_LAMBDA_BYTECODE } from '../rules.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from '../test-support.js';
import descriptor from './descriptor.json' with { type: 'json' };
import { tensorflowFileKind } from './index.js';
import { FILE_OPS, PYTHON_OPS, STANDARD_OPS } from './ops.js';
import { TF_FILE_OP, TF_PYTHON_OP, TF_UNLISTED_OP } from './rules.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = resolve(HERE, '../../../../test/fixtures/model');
const fixture = (path: string) => join(FIXTURES, path);

const root = protobuf.Root.fromJSON(descriptor);
const SavedModel = root.lookupType('tensorflow.SavedModel');
const SavedMetadata = root.lookupType('third_party.tensorflow.python.keras.protobuf.SavedMetadata');

interface TestNode {
  readonly op: string;
  readonly attr?: Record<string, { s: Uint8Array }>;
}

/** A SavedModel with `graphNodes` in its graph and one library function `f` holding `functionNodes`. */
function savedModel(graphNodes: TestNode[], functionNodes: TestNode[] = []): Uint8Array {
  const named = (nodes: TestNode[], prefix: string) =>
    nodes.map((node, index) => ({ name: `${prefix}${index}`, ...node }));
  const message = SavedModel.fromObject({
    saved_model_schema_version: 1,
    meta_graphs: [
      {
        meta_info_def: { tags: ['serve'], tensorflow_version: '2.21.0' },
        graph_def: {
          node: named(graphNodes, 'n'),
          library: { function: [{ signature: { name: 'f' }, node_def: named(functionNodes, 'f') }] },
        },
        signature_def: {
          serving_default: {
            inputs: { x: { name: 'x:0', dtype: 1 } },
            outputs: { y: { name: 'y:0', dtype: 1 } },
            method_name: 'tensorflow/serving/predict',
          },
        },
      },
    ],
  });
  return SavedModel.encode(message).finish();
}

const scan = (bytes: Uint8Array, detail = false) => scanBytesForTest(bytes, 'saved_model.pb', { detail });

describe('TensorFlow file names', () => {
  it.each([
    ['model/saved_model.pb', 'tensorflow-savedmodel'],
    ['SAVED_MODEL.PB', 'tensorflow-savedmodel'],
    ['m/saved_model.pbtxt', 'tensorflow-savedmodel-text'],
    ['m\\keras_metadata.pb', 'keras-metadata'],
    ['frozen_graph.pb', undefined],
    ['my_saved_model.pb', undefined],
  ])('%s is %s', (path, kind) => {
    expect(tensorflowFileKind(path)).toBe(kind);
  });
});

describe('TensorFlow op lists', () => {
  it('come from a TensorFlow op registry that has the ops of real SavedModels', () => {
    for (const op of ['Placeholder', 'MatMul', 'StatefulPartitionedCall', 'SaveV2', 'RestoreV2', 'PrintV2']) {
      expect(STANDARD_OPS.has(op)).toBe(true);
    }
    expect(STANDARD_OPS.has('Exfiltrate')).toBe(false);
  });

  it('flag only registered ops, and none of the checkpoint ops every SavedModel has', () => {
    for (const op of [...PYTHON_OPS, ...FILE_OPS]) expect(STANDARD_OPS.has(op), op).toBe(true);
    for (const op of ['SaveV2', 'RestoreV2', 'MergeV2Checkpoints', 'ShardedFilename', 'StringJoin']) {
      expect(FILE_OPS.has(op)).toBe(false);
    }
  });
});

describe('TensorFlow schema', () => {
  it('is the protobufjs form of the vendored .proto files', () => {
    const fromProto = new protobuf.Root();
    fromProto.resolvePath = (_origin, target) =>
      target.startsWith('google/protobuf/') ? target : join(HERE, 'proto', target);
    fromProto.loadSync(
      ['tensorflow/core/protobuf/saved_model.proto', 'tensorflow/python/keras/protobuf/saved_metadata.proto'],
      { keepCase: true },
    );
    expect(JSON.parse(JSON.stringify(fromProto.toJSON()))).toEqual(descriptor);
  });
});

describe('TensorFlow SavedModel', () => {
  it('is clean for standard ops and calls of library functions', async () => {
    const { findings, format } = await scan(
      savedModel([{ op: 'Placeholder' }, { op: 'f' }, { op: 'StatefulPartitionedCall' }], [{ op: 'MatMul' }]),
    );
    expect(format).toBe('tensorflow-savedmodel');
    expect(findings).toEqual([]);
  });

  it('reports Python ops in library functions as malicious, once per op', async () => {
    const { findings } = await scan(
      savedModel(
        [{ op: 'Placeholder' }],
        [{ op: 'EagerPyFunc' }, { op: 'EagerPyFunc' }, { op: 'PyFuncStateless' }],
      ),
    );
    expect(ruleIds(findings)).toEqual([TF_PYTHON_OP.id, TF_PYTHON_OP.id]);
    expect(findings[0]?.message).toContain("function 'f'");
    expect(findings[0]?.message).toContain('(2 nodes)');
    expect(verdictOf(findings)).toBe('malicious');
  });

  it('reports file ops in the graph, and tf.print only to a file', async () => {
    const stream = (text: string) => ({ output_stream: { s: new TextEncoder().encode(text) } });
    const { findings } = await scan(
      savedModel(
        [{ op: 'MatchingFiles' }, { op: 'PrintV2', attr: stream('stderr') }],
        [{ op: 'PrintV2', attr: stream('file:///home/user/.bashrc') }],
      ),
    );
    expect(findings.map((finding) => `${finding.ruleId} ${finding.evidence ?? ''}`).sort()).toEqual([
      `${TF_FILE_OP.id} MatchingFiles`,
      `${TF_FILE_OP.id} file:///home/user/.bashrc`,
    ]);
    expect(verdictOf(findings)).toBe('suspicious');
  });

  it('reports ops TensorFlow does not register as suspicious', async () => {
    const { findings } = await scan(savedModel([{ op: 'Exfiltrate' }], [{ op: 'g' }]));
    expect(findings.map((finding) => finding.evidence).sort()).toEqual(['Exfiltrate', 'g']);
    expect(ruleIds(findings)).toEqual([TF_UNLISTED_OP.id, TF_UNLISTED_OP.id]);
    expect(verdictOf(findings)).toBe('suspicious');
  });

  it('describes tags, version, ops and signatures', async () => {
    const { models } = await scan(
      savedModel([{ op: 'Placeholder' }], [{ op: 'ReadFile' }, { op: 'MatMul' }]),
      true,
    );
    expect(models).toHaveLength(1);
    const [part] = models;
    expect(part?.format).toBe('tensorflow-savedmodel');
    expect(part?.framework).toBe('tensorflow');
    expect(part?.properties).toMatchObject({ tags: 'serve', 'tensorflow version': '2.21.0', ops: '3' });
    const ops = part?.sections?.find((section) => section.title === 'ops')?.items ?? [];
    expect(ops).toContainEqual({ text: 'ReadFile ×1', risk: 'high' });
    expect(ops).toContainEqual({ text: 'MatMul ×1' });
    const signatures = part?.sections?.find((section) => section.title === 'signatures')?.items ?? [];
    expect(signatures).toEqual([{ text: '[serve] serving_default: (x) -> (y) tensorflow/serving/predict' }]);
  });

  it('calls malformed protobuf and content without a meta graph unscannable', async () => {
    const valid = savedModel([{ op: 'Placeholder' }], [{ op: 'MatMul' }]);
    for (const bytes of [
      valid.subarray(0, valid.length - 5),
      Buffer.from('this is not protobuf at all\n'),
      Buffer.alloc(0),
      Buffer.from([0x08, 0x01]),
      Buffer.from([0x12, 0x7f, 0x0a]),
    ]) {
      const { findings } = await scan(bytes);
      expect(ruleIds(findings)).toEqual(['SCAN-001']);
      expect(verdictOf(findings)).toBe('unscannable');
    }
  });

  it('calls a hostile nesting depth unscannable rather than crashing', async () => {
    // FullTypeDef.args (field 2) nests FullTypeDef: 100,000 levels inside a node's experimental_type (field 7).
    const varint = (value: number) => {
      const bytes: number[] = [];
      for (let rest = value; ; rest = Math.floor(rest / 128)) {
        if (rest < 128) return [...bytes, rest];
        bytes.push((rest % 128) | 128);
      }
    };
    const prefixes: number[][] = [];
    let length = 0;
    for (let level = 0; level < 100_000; level += 1) {
      const prefix = [0x12, ...varint(length)];
      prefixes.push(prefix);
      length += prefix.length;
    }
    const type = prefixes.reverse().flat();
    const node = [0x12, 1, 0x41, 0x3a, ...varint(type.length), ...type];
    const graph = [0x0a, ...varint(node.length), ...node];
    const metaGraph = [0x12, ...varint(graph.length), ...graph];
    const { findings } = await scan(new Uint8Array([0x12, ...varint(metaGraph.length), ...metaGraph]));
    expect(ruleIds(findings)).toEqual(['SCAN-001']);
  });

  it('fails closed on the text format it does not read', async () => {
    const { findings } = await scanBytesForTest(
      Buffer.from('saved_model_schema_version: 1\n'),
      'saved_model.pbtxt',
    );
    expect(ruleIds(findings)).toEqual(['SCAN-001']);
  });
});

describe('Keras metadata (keras_metadata.pb)', () => {
  const metadata = (...configs: unknown[]) =>
    SavedMetadata.encode(
      SavedMetadata.fromObject({
        nodes: configs.map((config, index) => ({
          node_id: index,
          node_path: index === 0 ? 'root' : `root.layer-${index}`,
          identifier: '_tf_keras_layer',
          metadata: JSON.stringify(config),
        })),
      }),
    ).finish();

  it('reports a Keras 2 Lambda function stored by value once, from the model and its own node', async () => {
    const lambda = {
      class_name: 'Lambda',
      config: {
        name: 'pwn',
        function: { class_name: '__tuple__', items: ['4wEAAAAAAAAA', null, null] },
        function_type: 'lambda',
        module: '__main__',
      },
    };
    const bytes = metadata({ class_name: 'Sequential', config: { name: 'm', layers: [lambda] } }, lambda);
    const { findings } = await scanBytesForTest(bytes, 'keras_metadata.pb');
    expect(ruleIds(findings)).toEqual([KERAS_LAMBDA_BYTECODE.id]);
    expect(verdictOf(findings)).toBe('malicious');
  });

  it('calls metadata that is not JSON unscannable', async () => {
    const bytes = SavedMetadata.encode(
      SavedMetadata.fromObject({ nodes: [{ node_path: 'root', metadata: '{"class_name": ' }] }),
    ).finish();
    const { findings } = await scanBytesForTest(bytes, 'keras_metadata.pb');
    expect(ruleIds(findings)).toEqual(['SCAN-001']);
  });
});

describe('TensorFlow fixtures written by TensorFlow 2.21', () => {
  it('finds the standard ops of a real SavedModel clean', async () => {
    const { findings, format, models } = await scanFileForTest(
      fixture('benign/tensorflow/dense/saved_model.pb'),
    );
    expect(format).toBe('tensorflow-savedmodel');
    expect(findings).toEqual([]);
    expect(models[0]?.properties?.['tensorflow version']).toBe('2.21.0');
  });

  it.each([
    ['malicious/tensorflow/read_file/saved_model.pb', [TF_FILE_OP.id]],
    ['malicious/tensorflow/write_file/saved_model.pb', [TF_FILE_OP.id]],
    ['malicious/tensorflow/print_to_file/saved_model.pb', [TF_FILE_OP.id]],
    ['malicious/tensorflow/py_function/saved_model.pb', [TF_PYTHON_OP.id, TF_PYTHON_OP.id]],
    ['adversarial/tensorflow/custom_op/saved_model.pb', [TF_UNLISTED_OP.id]],
    ['malicious/tensorflow/keras_lambda/keras_metadata.pb', [KERAS_LAMBDA_BYTECODE.id]],
    ['benign/tensorflow/keras_dense/keras_metadata.pb', []],
  ])('%s', async (path, rules) => {
    const { findings } = await scanFileForTest(fixture(path));
    expect(ruleIds(findings)).toEqual(rules);
  });

  it('shows the Lambda layer of Keras metadata as a risk', async () => {
    const { models } = await scanFileForTest(fixture('malicious/tensorflow/keras_lambda/keras_metadata.pb'), {
      detail: true,
    });
    const objects = models[0]?.sections?.[0]?.items ?? [];
    expect(objects).toContainEqual({ text: "root.layer-1: Lambda 'pwn'", risk: 'critical' });
    expect(
      readFileSync(fixture('malicious/tensorflow/keras_lambda/keras_metadata.pb')).includes('/work/'),
    ).toBe(false);
  });
});
