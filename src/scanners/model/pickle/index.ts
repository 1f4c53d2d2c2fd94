/**
 * Static pickle scanner: decodes pickle streams (protocols 0-5) without executing them, works out every global
 * the unpickler would import or call, and reports them against the deny/allow policy (MODEL-PICKLE-001…005).
 *
 * Modules: opcodes.ts (table) · decoder.ts (hot loop) · little-endian.ts (its integer arguments) · stream.ts,
 * frames.ts, payloads.ts (the decoder's slow paths, in layers: stream state and limits, FRAMEs, payloads and text
 * opcodes) · host.ts (what the decoder asks of this scan) · machine.ts (stack/memo semantics) · resolve.ts (call
 * semantics, resolver chains) · fold.ts (constant folding) · policy.ts + denylist.ts + data/*.json (what is
 * allowed; data/generate_data.py makes the JSON) · names.ts (canonical spellings) · evidence.ts (rendering) ·
 * findings.ts (dedup) · contexts.ts (wrapping contexts) · joblib.ts (raw array data) · joblib-plain.ts (that data
 * read as plain pickle) · memo.ts (bounded memo) · values.ts (symbolic values) · text.ts (protocol-0 text
 * arguments) · testing.ts (test context and opcode assembler) · render.ts, render-record.ts, render-layout.ts
 * (the pseudo-Python program that `mlsec inspect` shows).
 */
import { LimitError, ParseError } from '../../../core/errors.js';
import type { ScanContext } from '../../../core/scanner.js';
import { reportUnreadable } from '../../../core/unreadable.js';
import { BufferedReader } from '../../../targets/reader.js';
import { MemorySource } from '../../../targets/memory.js';
import { relayContext } from '../../../core/context.js';
import type { ModelItem } from '../../../core/model-part.js';
import { Decoder } from './decoder.js';
import { DENY_RULE_IDS, Findings } from './findings.js';
import { NestedLabels, PayloadBudget, type Host } from './host.js';
import { Machine, type NestedLoad } from './machine.js';
import { ArgKind, ARG_KIND, FIXED_ARG_BYTES, OP } from './opcodes.js';
import { policyFor } from './policy.js';
import { renderProgram } from './render.js';
import { ProgramRecord } from './render-record.js';
import { PyBytes, PyDict, PyList, type Value } from './values.js';

export type PyConst =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly PyConst[]
  | { readonly dict: readonly (readonly [PyConst, PyConst])[] };

export interface TorchStorageRef {
  readonly key: string;
  readonly storageType: string;
  readonly location: string | undefined;
  readonly numel: number | undefined;
}

export interface PickleScanOptions {
  /** Member label attached to findings (e.g. 'archive/data.pkl'); undefined for the file itself. */
  readonly member?: string;
  /** In TorchScript archives, `__torch__.*` globals are compiled TorchScript classes, not Python imports: allow them. */
  readonly torchScript?: boolean;
  /**
   * Called for constant bytes that the pickle would load as another model/pickle (torch.storage._load_from_bytes,
   * pickle.loads, torch.load of BytesIO…). The container layer dispatches by content. If absent, scan the bytes as
   * a pickle stream.
   */
  readonly scanNested?: (bytes: Uint8Array, label: string) => Promise<void>;
  /**
   * `mlsec inspect`: receives the program of every pickle read (render.ts), with the pickle's member label.
   * Absent in plain scans, which then record nothing.
   */
  readonly describeProgram?: (member: string | undefined, program: readonly ModelItem[]) => void;
}

export interface PickleResult {
  /** The unpickled result when it is a small constant (legacy torch magic number, protocol, storage-key list, sys_info dict), else undefined. */
  readonly value: PyConst | undefined;
  /** torch persistent ids ('storage', storage_type, key, location, numel) seen, in order (bounded). */
  readonly storages: readonly TorchStorageRef[];
}

/** Memo content kept per pickle before entries are evicted (see memo.ts). */
const MEMO_BUDGET_BYTES = 16 * 1024 * 1024;
/** Payload content kept per top-level scan, nested pickles included (see payloads.ts). */
const PAYLOAD_BUDGET_BYTES = 64 * 1024 * 1024;
/** Items a converted result may hold (a legacy storage-key list has one per tensor). */
const CONST_ITEMS = 200_000;
const CONST_DEPTH = 32;
/** `torch.save(..., _use_new_zipfile_serialization=False)` starts with this number pickled. */
const LEGACY_TORCH_MAGIC = 0x1950a86a20f9469cfc6cn;

function toConst(value: Value, budget: { items: number }, depth: number): PyConst | undefined {
  if (value === null || typeof value !== 'object') return value;
  if (depth > CONST_DEPTH) return undefined;
  if (value instanceof PyBytes) return value.data;
  let items: readonly Value[] | undefined;
  if (Array.isArray(value)) items = value as readonly Value[];
  else if (value instanceof PyList && value.more === 0) items = value.items;
  if (items !== undefined) {
    budget.items -= items.length;
    if (budget.items < 0) return undefined;
    const out: PyConst[] = [];
    for (const item of items) {
      const converted = toConst(item, budget, depth + 1);
      if (converted === undefined) return undefined;
      out.push(converted);
    }
    return out;
  }
  if (value instanceof PyDict && value.more === 0) {
    budget.items -= value.keys.length;
    if (budget.items < 0) return undefined;
    const pairs: (readonly [PyConst, PyConst])[] = [];
    for (const [index, key] of value.keys.entries()) {
      const k = toConst(key, budget, depth + 1);
      const v = toConst(value.values[index] ?? null, budget, depth + 1);
      if (k === undefined || v === undefined) return undefined;
      pairs.push([k, v]);
    }
    return { dict: pairs };
  }
  return undefined;
}

/**
 * A context that also counts what is reported through it (to tell whether a nested pickle was clean): every
 * finding, or only those of the rules in `only`.
 */
function countingContext(
  context: ScanContext,
  only?: ReadonlySet<string>,
): { readonly context: ScanContext; readonly reported: () => number } {
  let count = 0;
  const counting = relayContext(context, (finding) => {
    if (only === undefined || only.has(finding.ruleId)) count++;
    context.report(finding);
  });
  return { context: counting, reported: () => count };
}

/** What the readings of one stream share (see {@link hostFor}). */
interface StreamState {
  readonly payloads: PayloadBudget;
  readonly labels: NestedLabels;
}

/**
 * Per reader: callers scan one stream with several calls (the five pickles of a legacy torch.save file), which
 * must share one payload budget and one numbering of nested payloads, or two of them would both be `loads#1`.
 */
const streams = new WeakMap<BufferedReader, StreamState>();

class ScanHost implements Host {
  ops = 0;

  constructor(
    readonly context: ScanContext,
    readonly options: PickleScanOptions,
    /** Pickles (and nested payloads) around this one. */
    readonly depth: number,
    readonly payloads: PayloadBudget,
    readonly labels: NestedLabels,
    /** Host of a deny-only alternative reading: only deny-list hits make a nested payload unclean. */
    private readonly denyOnly = false,
  ) {}

  restricted(context: ScanContext): Host {
    // Without the container callback, which would report into the real context: nested payloads are scanned
    // here, as pickles.
    const options: PickleScanOptions = {
      ...(this.options.member !== undefined && { member: this.options.member }),
      ...(this.options.torchScript !== undefined && { torchScript: this.options.torchScript }),
    };
    return new ScanHost(context, options, this.depth, this.payloads, this.labels, true);
  }

  async scanNested(load: NestedLoad, label: string): Promise<boolean> {
    // An allowed loader (torch.storage._load_from_bytes) is reported only when its payload is not clean, so a
    // pickle payload is scanned here, where its findings can be counted. Anything else goes to the container
    // layer, which dispatches by content and reports the nested findings itself.
    const countable = load.loader.verdict.level === 'allow' && looksLikePickle(load.bytes.subarray(0, 64));
    if (this.options.scanNested !== undefined && !countable) {
      await this.options.scanNested(load.bytes, label);
      return true;
    }
    const member = this.options.member === undefined ? label : `${this.options.member}!${label}`;
    const counting = countingContext(this.context, this.denyOnly ? DENY_RULE_IDS : undefined);
    // Nested payloads without a container callback: stacked pickles, or a legacy torch.save stream.
    const reader = new BufferedReader(new MemorySource(load.bytes, member));
    const options = { ...this.options, member };
    const host = new ScanHost(counting.context, options, this.depth + 1, this.payloads, new NestedLabels());
    try {
      await scanStacked(reader, host, true);
    } catch (error) {
      reportUnreadable(counting.context, error, member);
    }
    return counting.reported() === 0;
  }

  async scanInline(reader: BufferedReader): Promise<void> {
    await scanOne(reader, this, this.depth + 1);
  }
}

/** The host of a top-level scan of `reader`, sharing its state with earlier scans of the same reader. */
function hostFor(reader: BufferedReader, context: ScanContext, options: PickleScanOptions): ScanHost {
  let state = streams.get(reader);
  if (state === undefined) {
    state = { payloads: new PayloadBudget(PAYLOAD_BUDGET_BYTES), labels: new NestedLabels() };
    streams.set(reader, state);
  }
  return new ScanHost(context, options, 0, state.payloads, state.labels);
}

async function scanOne(reader: BufferedReader, host: ScanHost, depth: number): Promise<PickleResult> {
  const { context, options } = host;
  if (depth > context.settings.limits.maxNestingDepth) {
    throw new LimitError(
      'NESTING_DEPTH',
      `pickles nested more than ${context.settings.limits.maxNestingDepth} deep`,
      reader.offset,
    );
  }
  const findings = new Findings(context, options.member);
  const program = options.describeProgram === undefined ? undefined : new ProgramRecord();
  const machine = new Machine({
    policy: policyFor(context.settings.pickle, options.torchScript ?? false),
    findings,
    memoBudgetBytes: MEMO_BUDGET_BYTES,
    ...(program !== undefined && { program }),
  });
  const decoder = new Decoder(reader, machine, host, { mode: 'linear', origin: 0, frameEnd: Infinity });
  let value: Value | undefined;
  let stopped: string | undefined;
  try {
    value = await decoder.run();
    return { value: toConst(value, { items: CONST_ITEMS }, 0), storages: machine.storages };
  } catch (error) {
    stopped = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    // Globals seen before a parse error are reported all the same.
    findings.flush();
    // What was read before an error is shown too: it is what the unpickler would have done up to there.
    if (program !== undefined)
      options.describeProgram?.(options.member, renderProgram(program, value, stopped));
  }
}

/**
 * Scans ONE pickle from the reader's current offset through its STOP opcode, leaving the reader right after STOP.
 * Throws ParseError/LimitError when it cannot read to STOP; findings found before the error are already reported.
 */
export function scanOnePickle(
  reader: BufferedReader,
  context: ScanContext,
  options: PickleScanOptions = {},
): Promise<PickleResult> {
  return scanOne(reader, hostFor(reader, context, options), 0);
}

/**
 * Stacked pickles until the end of the data. With `legacyTorch`, a stream that starts with the legacy
 * torch.save magic number ends after its fifth pickle (magic, protocol, sys_info, data, storage keys): raw
 * storage bytes follow.
 */
async function scanStacked(reader: BufferedReader, host: ScanHost, legacyTorch: boolean): Promise<void> {
  let index = 0;
  let legacy = false;
  while (index === 0 || !(await reader.atEnd())) {
    const start = reader.offset;
    let result: PickleResult;
    try {
      result = await scanOne(reader, host, host.depth);
    } catch (error) {
      if (index === 0 || !(error instanceof ParseError) || error.code === 'MEMO_MISSING') throw error;
      throw new ParseError(
        'BAD_STRUCTURE',
        `data after the pickle's STOP is not a pickle (${error.message})`,
        start,
      );
    }
    if (legacyTorch && index === 0 && result.value === LEGACY_TORCH_MAGIC) legacy = true;
    index++;
    if (legacy && index === 5) return;
  }
}

/**
 * Scans a whole stream: stacked pickles one after another until end of data (joblib raw array data handled
 * inside). Bytes after the last STOP that are not a pickle → ParseError('BAD_STRUCTURE') with the offset, after
 * reporting everything seen.
 */
export function scanPickleStream(
  reader: BufferedReader,
  context: ScanContext,
  options: PickleScanOptions = {},
): Promise<void> {
  return scanStacked(reader, hostFor(reader, context, options), false);
}

const OPENERS = new Set<number>([
  OP.MARK,
  OP.EMPTY_LIST,
  OP.EMPTY_DICT,
  OP.EMPTY_TUPLE,
  OP.GLOBAL,
  OP.NONE,
  OP.INT,
  OP.LONG,
  OP.FLOAT,
  OP.STRING,
  OP.UNICODE,
  OP.BININT,
  OP.BININT1,
  OP.BININT2,
  OP.BINSTRING,
  OP.SHORT_BINSTRING,
  OP.BINUNICODE,
  OP.BINFLOAT,
  OP.PERSID,
]);

const PRINTABLE_LINE = /^[\x20-\x7e]*$/;
const NAME_LINE = /^[A-Za-z_][\w.]*$/;

/** Walks the first opcodes of a protocol 0/1 stream; true when they are well-formed. */
function plausibleOpcodes(head: Uint8Array, from: number): boolean {
  const first = head[from];
  if (first === undefined || !OPENERS.has(first)) return false;
  let position = from;
  let opcodes = 0;
  while (position < head.length && opcodes < 32) {
    const op = head[position] as number;
    const kind = ARG_KIND[op];
    if (kind === undefined || op === OP.PROTO || op === OP.FRAME) return false;
    if (op === OP.STOP) return opcodes > 0;
    opcodes++;
    position += 1;
    if (kind === ArgKind.Line || kind === ArgKind.TwoLines) {
      for (let line = 0; line < (kind === ArgKind.TwoLines ? 2 : 1); line++) {
        const end = head.indexOf(0x0a, position);
        if (end < 0) return opcodes > 1 && head.length - position < 256;
        const text = Buffer.from(head.subarray(position, end)).toString('latin1');
        if (text.length > 256 || !(kind === ArgKind.TwoLines ? NAME_LINE : PRINTABLE_LINE).test(text))
          return false;
        position = end + 1;
      }
    } else if (kind === ArgKind.Fixed || kind === ArgKind.Counted) {
      const width = FIXED_ARG_BYTES[op] as number;
      if (position + width > head.length) return opcodes > 1;
      let length = 0;
      if (kind === ArgKind.Counted) {
        for (let i = width - 1; i >= 0; i--) length = length * 256 + (head[position + i] as number);
      }
      position += width + length;
    }
  }
  return opcodes > 1;
}

/** True when the first bytes plausibly start a pickle (protocol 2-5 PROTO header, or a protocol 0/1 opening opcode sequence). */
export function looksLikePickle(head: Uint8Array): boolean {
  const [first, second] = head;
  if (first === OP.PROTO && second !== undefined) {
    if (second >= 2 && second <= 5) return true;
    return second <= 1 && plausibleOpcodes(head, 2);
  }
  return plausibleOpcodes(head, 0);
}
