import { LimitError, ParseError } from '../../core/errors.js';
import { section, type ModelItem, type ModelSection } from '../../core/model-part.js';
import type { Content } from './content.js';
import type { Scope } from './scope.js';
import { TORCHSCRIPT_CUSTOM_NAMESPACE, TORCHSCRIPT_PYTHON_OP } from './torchscript-rules.js';

/** Largest `code/` member read; TorchScript source of real models is kilobytes per class. */
export const MAX_CODE_FILE_BYTES = 4 * 1024 * 1024;
/** Largest total of `code/` source read from one archive; more is refused, not skimmed. */
export const MAX_CODE_TOTAL_BYTES = 64 * 1024 * 1024;
/** Source lines listed per file in the `inspect` view; risky lines further down are listed too. */
const MAX_LISTED_LINES = 200;

/**
 * Operator namespaces PyTorch registers itself, so calling them needs no extra library. Sources: the schemas a
 * PyTorch 1.13 build registers (`torch._C._jit_get_all_schemas()`: aten, prim, prims, nvprims, quantized,
 * _quantized, sparse, c10d, profiler, prepacked, mkldnn_prepacked, static_runtime, quantization, onnx, _test),
 * the operator namespaces interned in aten/src/ATen/core/interned_strings.h (cuda, _caffe2) and the
 * `TORCH_LIBRARY(...)` blocks of later releases (_c10d_functional and c10d_functional in
 * torch/csrc/distributed/c10d/Functional.cpp, onednn in aten/src/ATen/native/quantized/library.cpp, mkldnn,
 * vulkan_prepack, metal_prepack, quantized_decomposed, higher_order, inductor, rngprims, debugprims).
 */
const BUILTIN_OP_NAMESPACES: ReadonlySet<string> = new Set([
  'aten',
  'prim',
  'prims',
  'nvprims',
  'quantized',
  '_quantized',
  'quantized_decomposed',
  'quantization',
  'sparse',
  'c10d',
  '_c10d_functional',
  'c10d_functional',
  'profiler',
  'prepacked',
  'mkldnn',
  'mkldnn_prepacked',
  'onednn',
  'vulkan_prepack',
  'metal_prepack',
  'static_runtime',
  'onnx',
  'cuda',
  '_caffe2',
  '_test',
  'higher_order',
  'inductor',
  'rngprims',
  'debugprims',
]);

/**
 * Namespaces of the C++ classes PyTorch registers (`torch::class_` / `torch::selective_class_`): quantized and
 * sparse packed parameters, rnn cell parameters, the xnnpack, mkldnn, onednn, metal and vulkan op contexts,
 * distributed process groups and RPC worker info, the profiler's record function, CUDA streams and NNAPI.
 */
const BUILTIN_CLASS_NAMESPACES: ReadonlySet<string> = new Set([
  'quantized',
  'sparse',
  'rnn',
  'xnnpack',
  'mkldnn',
  'onednn',
  'metal',
  'vulkan',
  'c10d',
  'dist_c10d',
  'dist_rpc',
  'profiler',
  'cuda',
  '_nnapi',
]);

interface Token {
  readonly kind: 'name' | 'punct';
  readonly text: string;
  readonly line: number;
}

/** One escape hatch found in the source. */
export interface CodeRisk {
  readonly rule: typeof TORCHSCRIPT_CUSTOM_NAMESPACE | typeof TORCHSCRIPT_PYTHON_OP;
  /** What is named: `ops.mlsec_test.scale`, `__torch__.torch.classes.ns.Class`, `^F`. */
  readonly evidence: string;
  readonly line: number;
}

/**
 * Splits TorchScript source (Python syntax) into names and punctuation, dropping comments, string literals,
 * numbers and whitespace: names inside strings are data, never calls. An unterminated string is a ParseError,
 * since the loader would not read the file as the scanner did.
 */
export function tokenise(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let index = 0;
  while (index < source.length) {
    const char = source[index] ?? '';
    if (char === '\n') {
      line++;
      index++;
    } else if (char === '#') {
      while (index < source.length && source[index] !== '\n') index++;
    } else if (char === '"' || char === "'") {
      const start = line;
      const quote = source.startsWith(char.repeat(3), index) ? char.repeat(3) : char;
      index += quote.length;
      for (;;) {
        if (index >= source.length || (quote.length === 1 && source[index] === '\n')) {
          throw new ParseError('BAD_STRUCTURE', `unterminated string literal starting on line ${start}`);
        }
        if (source[index] === '\\') index++;
        else if (source.startsWith(quote, index)) break;
        if (source[index] === '\n') line++;
        index++;
      }
      index += quote.length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(index, index + 1024)) ?? [char];
      tokens.push({ kind: 'name', text: match[0], line });
      index += match[0].length;
    } else if (/[0-9]/.test(char)) {
      // Numbers, including `1.5e-3` and `0x1f`: their dots and letters are not attribute accesses.
      while (index < source.length && /[0-9A-Za-z_.]/.test(source[index] ?? '')) index++;
    } else if (/\s/.test(char)) {
      index++;
    } else {
      tokens.push({ kind: 'punct', text: char, line });
      index++;
    }
  }
  return tokens;
}

/** Tokens after which `^` starts an expression (the printer's PythonOp spelling) rather than xor-ing. */
const EXPRESSION_STARTS = new Set(['=', '(', ',', '[', ':', 'return']);

/** The dotted name starting at `start` (`a.b.c`), as its parts. */
function dottedName(tokens: readonly Token[], start: number): string[] {
  const parts = [tokens[start]?.text ?? ''];
  for (let index = start + 1; tokens[index]?.text === '.' && tokens[index + 1]?.kind === 'name'; index += 2) {
    parts.push(tokens[index + 1]?.text ?? '');
  }
  return parts;
}

/** The escape hatch a dotted name reaches, if any. */
function riskOfName(parts: readonly string[], line: number): CodeRisk | undefined {
  const ops = parts[0] === 'torch' && parts[1] === 'ops' ? parts.slice(1) : parts;
  const [head, namespace, op] = ops;
  if (head === 'ops' && namespace !== undefined && op !== undefined) {
    const evidence = `ops.${namespace}.${op}`;
    if (namespace === 'prim' && op === 'PythonOp') return { rule: TORCHSCRIPT_PYTHON_OP, evidence, line };
    if (!BUILTIN_OP_NAMESPACES.has(namespace)) return { rule: TORCHSCRIPT_CUSTOM_NAMESPACE, evidence, line };
    return undefined;
  }
  // Custom classes: `__torch__.torch.classes.<ns>.<Class>` as types, `torch.classes.<ns>.<Class>` as values.
  const classes = parts[0] === '__torch__' ? parts.slice(1) : parts;
  const [torch, classesName, classNamespace, className] = classes;
  if (
    torch === 'torch' &&
    classesName === 'classes' &&
    classNamespace !== undefined &&
    className !== undefined &&
    !BUILTIN_CLASS_NAMESPACES.has(classNamespace)
  ) {
    const evidence = parts.slice(0, parts.length - classes.length + 4).join('.');
    return { rule: TORCHSCRIPT_CUSTOM_NAMESPACE, evidence, line };
  }
  return undefined;
}

/** Every call into a custom namespace or back into Python in one source file. */
export function findCodeRisks(source: string): CodeRisk[] {
  const tokens = tokenise(source);
  const risks: CodeRisk[] = [];
  tokens.forEach((token, index) => {
    const previous = tokens[index - 1];
    if (token.kind === 'name' && previous?.text !== '.') {
      const risk = riskOfName(dottedName(tokens, index), token.line);
      if (risk !== undefined) risks.push(risk);
    } else if (
      token.text === '^' &&
      tokens[index + 1]?.kind === 'name' &&
      (previous === undefined || previous.line < token.line || EXPRESSION_STARTS.has(previous.text))
    ) {
      risks.push({
        rule: TORCHSCRIPT_PYTHON_OP,
        evidence: `^${tokens[index + 1]?.text ?? ''}`,
        line: token.line,
      });
    }
  });
  return risks;
}

/** `<root>/code/**.py`: the TorchScript source `torch.jit.save` writes, one file per class or module. */
export function isTorchScriptCode(name: string): boolean {
  return /^[^/]+\/code\/.+\.py$/.test(name);
}

interface CodeFile {
  readonly member: string;
  readonly lines: readonly string[];
  readonly risks: readonly CodeRisk[];
}

/**
 * The `code/` members of one TorchScript archive: each is read whole (within per-file and per-archive bounds),
 * decoded as UTF-8 and tokenised. Calls into operator or class namespaces PyTorch does not register
 * (MODEL-TORCHSCRIPT-001) and Python calls (MODEL-TORCHSCRIPT-002) are reported once per name and archive.
 * Nothing is compiled or run.
 */
export class TorchScriptCode {
  private readonly scope: Scope;
  private readonly files: CodeFile[] = [];
  private readonly reported = new Set<string>();
  private totalBytes = 0;

  constructor(scope: Scope) {
    this.scope = scope;
  }

  /** Reads and checks one `code/` member; over a bound or not UTF-8 it throws (the member is unscannable). */
  async scan(content: Content): Promise<void> {
    const member = content.member ?? content.name;
    const bytes = await content.reader.take(MAX_CODE_FILE_BYTES + 1);
    if (bytes.length > MAX_CODE_FILE_BYTES) {
      throw new LimitError('MEMORY', `TorchScript source over ${MAX_CODE_FILE_BYTES} bytes`);
    }
    this.totalBytes += bytes.length;
    if (this.totalBytes > MAX_CODE_TOTAL_BYTES) {
      throw new LimitError('MEMORY', `TorchScript sources over ${MAX_CODE_TOTAL_BYTES} bytes in one archive`);
    }
    let source: string;
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ParseError('BAD_STRUCTURE', 'TorchScript source is not valid UTF-8');
    }
    this.scope.context.checkDeadline();
    const risks = findCodeRisks(source);
    for (const risk of risks) this.report(member, risk);
    const lines = this.scope.detail ? source.replace(/\n$/, '').split('\n') : [];
    this.files.push({ member, lines, risks });
  }

  private report(member: string, risk: CodeRisk): void {
    const key = `${risk.rule.id} ${risk.evidence}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const what =
      risk.rule === TORCHSCRIPT_PYTHON_OP
        ? `calls back into Python (${risk.evidence})`
        : `uses '${risk.evidence}', a namespace PyTorch does not register: loading it needs a native library`;
    this.scope.context.report({
      ruleId: risk.rule.id,
      message: `TorchScript code ${what}`,
      evidence: risk.evidence,
      member,
      line: risk.line,
    });
  }

  /** Facts for the model part: the number of code files and the custom names they use. */
  properties(): Record<string, string> {
    const names = [...new Set(this.files.flatMap((file) => file.risks.map((risk) => risk.evidence)))];
    return {
      'code files': String(this.files.length),
      ...(names.length > 0 && { 'code escapes': names.slice(0, 20).join(', ') }),
    };
  }

  /** The `code` section of `inspect`: each file, then its numbered lines (risky ones marked). */
  section(): ModelSection {
    const items: ModelItem[] = [];
    for (const file of this.files) {
      items.push({ text: `${file.member} (${file.lines.length} lines)` });
      const risky = new Map(file.risks.map((risk) => [risk.line, risk.rule.severity]));
      file.lines.forEach((text, index) => {
        const risk = risky.get(index + 1);
        if (index >= MAX_LISTED_LINES && risk === undefined) return;
        items.push({
          text: `${String(index + 1).padStart(5)}: ${text}`,
          ...(risk !== undefined && { risk }),
        });
      });
      if (file.lines.length > MAX_LISTED_LINES) {
        items.push({ text: `  … lines after ${MAX_LISTED_LINES} not listed unless risky` });
      }
    }
    return section('code', items);
  }
}

/**
 * Records a `torch.save` or TorchScript archive as a model part: the number of tensor storages (`<root>/data/<n>`
 * records; tensors may share one, so this is not a tensor count) and, for TorchScript, the code files.
 */
export function describeTorchArchive(
  scope: Scope,
  member: string | undefined,
  format: 'pytorch-zip' | 'torchscript',
  entries: readonly { readonly name: string }[],
  code: TorchScriptCode | undefined,
): void {
  const storages = entries.filter((entry) => /^[^/]+\/data\/\d+$/.test(entry.name)).length;
  scope.describe({
    ...(member !== undefined && { member }),
    format,
    framework: 'pytorch',
    properties: { storages: String(storages), ...code?.properties() },
    ...(scope.detail && code !== undefined && { sections: [code.section()] }),
  });
}
