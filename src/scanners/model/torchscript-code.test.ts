import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../core/errors.js';
import { buildZip } from '../../targets/test-archives.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from './test-support.js';
import { MAX_CODE_FILE_BYTES, findCodeRisks } from './torchscript-code.js';
import { TORCHSCRIPT_CUSTOM_NAMESPACE, TORCHSCRIPT_PYTHON_OP } from './torchscript-rules.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');
const CUSTOM = TORCHSCRIPT_CUSTOM_NAMESPACE.id;
const PYTHON = TORCHSCRIPT_PYTHON_OP.id;

/** The risks of a source, as `rule evidence@line`. */
function risks(source: string): string[] {
  return findCodeRisks(source).map((risk) => `${risk.rule.id} ${risk.evidence}@${risk.line}`);
}

describe('findCodeRisks', () => {
  it('flags operators in namespaces PyTorch does not register, in both spellings', () => {
    expect(risks('def forward(self, x):\n  return ops.my_ns.op(x)\n')).toEqual([`${CUSTOM} ops.my_ns.op@2`]);
    expect(risks('y = torch.ops.my_ns.op(x)')).toEqual([`${CUSTOM} ops.my_ns.op@1`]);
  });

  it('leaves built-in namespaces alone (as torch.jit.save prints them)', () => {
    const source = [
      '_0 = torch.add(ops.quantized.linear(x, p, 1.0, 0), 1)',
      'ops.prim.RaiseException(_0, "builtins.RuntimeError")',
      'y = ops.prepacked.linear_clamp_run(x, ctx)',
      'z = ops.aten.relu(x)',
    ].join('\n');
    expect(risks(source)).toEqual([]);
  });

  it('flags prim::PythonOp and the printer spelling ^name(...), but not xor', () => {
    expect(risks('return ops.prim.PythonOp(x)')).toEqual([`${PYTHON} ops.prim.PythonOp@1`]);
    expect(risks('_0 = ^F(x)\n_1 = (^G(x), 1)')).toEqual([`${PYTHON} ^F@1`, `${PYTHON} ^G@2`]);
    expect(risks('_0 = a ^ b\n_1 = x ^ y')).toEqual([]);
  });

  it('flags custom C++ class namespaces, not the ones PyTorch registers', () => {
    const source = [
      'packed : __torch__.torch.classes.my_ns.Secret',
      'params : __torch__.torch.classes.quantized.LinearPackedParamsBase',
      'ctx : __torch__.torch.classes.xnnpack.LinearOpContext',
    ].join('\n');
    expect(risks(source)).toEqual([`${CUSTOM} __torch__.torch.classes.my_ns.Secret@1`]);
  });

  it('ignores names inside strings and comments, and counts lines through them', () => {
    const source = [
      '_0 = "ops.evil.run(x)"  # ops.evil.run',
      "_1 = '''first line",
      "ops.evil.run in a triple-quoted string'''",
      "_2 = 'escaped \\' ops.evil.run'",
      'return ops.evil.run(1.5e3)',
    ].join('\n');
    expect(risks(source)).toEqual([`${CUSTOM} ops.evil.run@5`]);
  });

  it('does not read attribute chains of other objects as ops', () => {
    expect(risks('y = self.ops.my_ns.op(x)\nz = obj.torch.classes.my_ns.C')).toEqual([]);
  });

  it('refuses an unterminated string (fail closed)', () => {
    expect(() => findCodeRisks('_0 = "never closed\nreturn ops.evil.run(x)')).toThrow(ParseError);
  });
});

describe('TorchScript archives (generate_torchscript.py)', () => {
  it('reports the custom operator of a real torch.jit.save archive with its member and line', async () => {
    const { findings } = await scanFileForTest(
      join(FIXTURES, 'adversarial/torchscript/custom_op_namespace.pt'),
    );
    expect(ruleIds(findings)).toEqual([CUSTOM]);
    expect(findings[0]).toMatchObject({
      evidence: 'ops.mlsec_test.scale',
      member: 'custom_op_namespace/code/__torch__.py',
      line: 8,
    });
    expect(verdictOf(findings)).toBe('suspicious');
  });

  it('reports the hand-edited prim::PythonOp', async () => {
    const { findings } = await scanFileForTest(
      join(FIXTURES, 'adversarial/torchscript/python_op_hand_edited.pt'),
    );
    expect(ruleIds(findings)).toEqual([PYTHON]);
    expect(findings[0]).toMatchObject({ evidence: 'ops.prim.PythonOp', line: 13 });
  });

  it.each([
    'benign/torchscript/scripted_linear.pt',
    'benign/torchscript/unused_method.pt',
    'benign/torch/torchscript_scripted.pt',
    'benign/torch/torchscript_traced.pt',
  ])('finds nothing in %s', async (path) => {
    const { findings } = await scanFileForTest(join(FIXTURES, path));
    expect(findings).toEqual([]);
  });

  it('describes the archive and lists its code files with numbered lines, risky ones marked', async () => {
    const { models } = await scanFileForTest(
      join(FIXTURES, 'adversarial/torchscript/custom_op_namespace.pt'),
      {
        detail: true,
      },
    );
    const part = models.find((model) => model.format === 'torchscript');
    expect(part).toMatchObject({
      framework: 'pytorch',
      properties: { storages: '0', 'code files': '1', 'code escapes': 'ops.mlsec_test.scale' },
    });
    const items = part?.sections?.find((section) => section.title === 'code')?.items ?? [];
    expect(items[0]?.text).toBe('custom_op_namespace/code/__torch__.py (9 lines)');
    expect(items.filter((item) => item.risk !== undefined)).toEqual([
      { text: '    8:     _0 = torch.add(ops.mlsec_test.scale(x), 1)', risk: 'medium' },
    ]);
  });

  it('lists every code member of a traced archive (names as Python zipfile lists them)', async () => {
    const { models } = await scanFileForTest(join(FIXTURES, 'benign/torch/torchscript_traced.pt'), {
      detail: true,
    });
    const part = models.find((model) => model.format === 'torchscript');
    expect(part?.properties).toMatchObject({ storages: '4', 'code files': '4' });
    const files = part?.sections?.[0]?.items.filter((item) => !item.text.startsWith(' ')) ?? [];
    expect(files.map((item) => item.text.replace(/ \(\d+ lines\)$/, ''))).toEqual([
      'torchscript_traced/code/__torch__/torch/nn/modules/container.py',
      'torchscript_traced/code/__torch__/torch/nn/modules/linear/___torch_mangle_1.py',
      'torchscript_traced/code/__torch__/torch/nn/modules/activation.py',
      'torchscript_traced/code/__torch__/torch/nn/modules/linear/___torch_mangle_2.py',
    ]);
  });

  it('builds no sections without detail', async () => {
    const { models } = await scanFileForTest(join(FIXTURES, 'benign/torchscript/scripted_linear.pt'));
    expect(models.find((model) => model.format === 'torchscript')?.sections).toBeUndefined();
  });
});

describe('code members that cannot be read', () => {
  const archive = (code: Uint8Array) =>
    buildZip({
      members: [
        { name: 'm/constants.pkl', data: Uint8Array.from([0x80, 0x02, 0x29, 0x2e]) },
        { name: 'm/code/__torch__.py', data: code },
      ],
    });

  it('are unscannable when over the size bound', async () => {
    const big = new TextEncoder().encode(`# ${'x'.repeat(MAX_CODE_FILE_BYTES)}\n`);
    const { findings } = await scanBytesForTest(archive(big), 'model.pt');
    expect(ruleIds(findings)).toEqual(['SCAN-002']);
    expect(findings[0]?.member).toBe('m/code/__torch__.py');
  });

  it('are unscannable when not UTF-8', async () => {
    const { findings } = await scanBytesForTest(
      archive(Uint8Array.from([0x6f, 0x70, 0xff, 0xfe])),
      'model.pt',
    );
    expect(ruleIds(findings)).toEqual(['SCAN-001']);
  });
});
