/**
 * The decoder's slow paths and stream state: large and text payloads, nested data, limits, and FRAMEs. The hot
 * loop lives in decoder.ts; anything here runs at most once per frame, large payload or protocol-0 opcode.
 *
 * FRAME handling models two loaders at once. The main reading is linear, like `pickle.loads` and genops. It also
 * tracks where CPython's C unpickler reading a file without `peek` would end its buffered frame. Legitimate
 * picklers never let a read cross a frame end; when one does (a "straddle"), the stream is reported
 * (MODEL-PICKLE-005) and, at the first straddle, an alternative reading is forked: from the straddling opcode,
 * with a copy of the machine state, the bytes of the rest of the frame are discarded and reading resumes after
 * the frame, as `_Unpickler_ReadImpl` / `_Unpickler_ReadFromFile` / `load_frame` in Modules/_pickle.c do. That
 * reading runs over a bounded in-memory look-ahead ("cfile" mode) and reports into the same findings.
 *
 * joblib raw array data gets an alternative reading too. `joblib.load` skips those bytes, but the same file given
 * to `pickle.load` or `torch.load(weights_only=False)` is read linearly, so the padding byte and the array bytes
 * are executed as opcodes. That reading runs on an overlay copy of the machine state over a look-ahead of at
 * most {@link ARRAY_LOOKAHEAD} bytes read on demand, and reports deny-list hits only (MODEL-PICKLE-001/-004):
 * real array data decodes as garbage, which must not raise anything else. It stops silently at STOP, at the
 * first parse error or limit, or at the end of the look-ahead.
 */
import { LimitError, ParseError } from '../../../core/errors.js';
import type { ScanContext } from '../../../core/scanner.js';
import { reportUnreadable } from '../../../core/unreadable.js';
import { BufferedReader } from '../../../targets/reader.js';
import { MemorySource } from '../../../targets/memory.js';
import type { ByteSource } from '../../../targets/source.js';
import { DENY_RULE_IDS, Findings } from './findings.js';
import { arraySpec } from './joblib.js';
import { Machine, type NestedLoad } from './machine.js';
import { ARG_KIND, ArgKind, FIXED_ARG_BYTES, OP, opcodeName } from './opcodes.js';
import { reportUncleanNested } from './resolve.js';
import { latin1, parseQuotedString, parseRawUnicodeEscape, textFloat, textInt, utf8 } from './text.js';
import { BigStr, PyBytes, UNKNOWN, type Value } from './values.js';

/** Payloads up to this size are read and kept; larger ones are skipped without being read. */
export const RETAIN_BYTES = 64 * 1024;
/** A larger payload is kept anyway when it looks like a nested pickle or archive (it may be loaded). */
const NESTED_RETAIN_BYTES = 16 * 1024 * 1024;
/** Longest protocol-0 text line accepted. */
const MAX_LINE = 1024 * 1024;
/** Look-ahead for the alternative reading after a FRAME straddle. */
const LOOKAHEAD = 16 * 1024 * 1024;
/** Look-ahead for the plain-pickle reading of joblib raw array data (from the padding byte or the data). */
export const ARRAY_LOOKAHEAD = 64 * 1024;
/** Window of that reading's reader: random data stops within a few bytes. */
const ARRAY_WINDOW = 1024;
/**
 * Opcodes through which a reading can reach a new deny-list hit: those that resolve or call a global, and FRAME
 * (a straddle forks another reading of later bytes). Patching opcodes (BUILD, APPEND …) are not among them: a
 * deny-only reading reports them on denied globals only, which come from these opcodes or were already
 * reported by the main reading.
 */
const EFFECTFUL: ReadonlySet<number> = new Set([
  OP.GLOBAL,
  OP.INST,
  OP.STACK_GLOBAL,
  OP.REDUCE,
  OP.NEWOBJ,
  OP.NEWOBJ_EX,
  OP.OBJ,
  OP.FRAME,
]);
const DEADLINE_EVERY = 65_536;

/** Services the decoder needs from the scan it belongs to (index.ts). */
export interface Host {
  readonly context: ScanContext;
  /** Opcodes decoded so far in this stream (for `maxOpcodes`). */
  ops: number;
  /** Scans a nested payload; resolves to true when it produced no finding. */
  scanNested(load: NestedLoad): Promise<boolean>;
  /** Scans the complete pickle that follows inline at the reader (joblib object arrays). */
  scanInline(reader: BufferedReader): Promise<void>;
  /**
   * A host for a deny-only alternative reading that reports into `context` (which drops everything but
   * deny-list hits): its nested payloads are scanned as pickles into `context` and count as clean unless they
   * produce a deny-list hit.
   */
  restricted(context: ScanContext): Host;
}

export type Mode = 'linear' | 'cfile';

export interface DecoderOptions {
  readonly mode: Mode;
  /** Stream offset of the reader's offset 0 (the alternative reading runs over a copy). */
  readonly origin: number;
  /** Frame end (reader coordinates) in force when decoding starts. */
  readonly frameEnd: number;
}

export const RETRY = true;

/** Opcodes whose payload CPython reads with `_Unpickler_ReadInto` (load_counted_binbytes / _bytearray). */
const READ_INTO: ReadonlySet<number> = new Set([OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8, OP.BYTEARRAY8]);

export function truncated(offset: number): ParseError {
  return new ParseError(
    'TRUNCATED',
    'pickle data was truncated (no STOP opcode before the end of the data)',
    offset,
  );
}

/** An 8-byte length whose high word keeps it below 2^53. */
export function isSafeLength(high: number): boolean {
  return high < 0x200000;
}

/** True when the first bytes of a payload look like a pickle or a zip archive (it may be a nested model). */
function looksNested(head: Uint8Array): boolean {
  const [a, b, c] = head;
  if (a === 0x80 && b !== undefined && b <= 5) return true;
  if (a === 0xc2 && b === 0x80 && c !== undefined && c <= 5) return true; // str of latin-1 bytes, UTF-8 encoded
  return a === 0x50 && b === 0x4b && c === 0x03;
}

function readLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  if (((bytes[bytes.length - 1] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

export abstract class DecoderBase {
  protected frameEnd: number;
  private forked = false;
  /** cfile mode: (position, bytes removed there) for mapping offsets back to the original stream. */
  private readonly splices: [number, number][] = [];
  protected textView: Buffer;
  protected dataView: DataView;

  constructor(
    protected readonly reader: BufferedReader,
    protected readonly machine: Machine,
    protected readonly host: Host,
    protected readonly options: DecoderOptions,
  ) {
    this.frameEnd = options.frameEnd;
    this.textView = Buffer.from(reader.buffer.buffer, reader.buffer.byteOffset, reader.buffer.byteLength);
    this.dataView = new DataView(reader.buffer.buffer, reader.buffer.byteOffset, reader.buffer.byteLength);
  }

  /** Stream offset of reader position `position` (reader coordinates). */
  offsetOf(position: number): number {
    let shifted = position;
    for (const [at, removed] of this.splices) if (at <= position) shifted += removed;
    return this.options.origin + shifted;
  }

  protected views(): void {
    const buffer = this.reader.buffer;
    if (this.textView.buffer !== buffer.buffer || this.textView.byteOffset !== buffer.byteOffset) {
      this.textView = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      this.dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
  }

  private get limits(): ScanContext['settings']['limits'] {
    return this.host.context.settings.limits;
  }

  /** Number of opcodes after which the limits must be checked again (each opcode adds ≤ 1 value, mark or memo entry). */
  protected nextCheck(ops: number): number {
    const m = this.machine;
    const limits = this.limits;
    return (
      ops +
      Math.max(
        1,
        Math.min(
          DEADLINE_EVERY - (ops % DEADLINE_EVERY),
          limits.maxOpcodes - ops + 1,
          limits.maxStackDepth - (m.stack.length + m.marks.length) + 1,
          limits.maxMemoEntries - m.memo.size + 1,
        ),
      )
    );
  }

  protected checkLimits(ops: number, position: number): void {
    const m = this.machine;
    const limits = this.limits;
    const offset = this.offsetOf(position);
    if (ops > limits.maxOpcodes)
      throw new LimitError('OPCODE_COUNT', `more than ${limits.maxOpcodes} opcodes`, offset);
    if (m.stack.length + m.marks.length > limits.maxStackDepth) {
      throw new LimitError('STACK_DEPTH', `pickle stack deeper than ${limits.maxStackDepth}`, offset);
    }
    if (m.memo.size > limits.maxMemoEntries) {
      throw new LimitError('MEMO_SIZE', `more than ${limits.maxMemoEntries} memo entries`, offset);
    }
    if (ops % DEADLINE_EVERY === 0) this.host.context.checkDeadline();
  }

  /** Decodes through STOP and returns the unpickled (symbolic) value. */
  abstract run(): Promise<Value>;

  /** A decoder of the same kind over another reader (the alternative readings). */
  protected abstract spawn(
    reader: BufferedReader,
    machine: Machine,
    options: DecoderOptions,
    host?: Host,
  ): DecoderBase;

  // ----- frames --------------------------------------------------------------------------------------------

  /**
   * Called when the opcode at `start` (reader at `start`) reaches past the frame end. `readStart..readEnd` is the
   * read that may straddle it. Returns RETRY when cfile mode discarded bytes and the opcode must be decoded again.
   */
  protected async frameBoundary(start: number, readStart: number, readEnd: number): Promise<boolean> {
    const end = this.frameEnd;
    if (readStart >= end || readEnd <= end) {
      // The read starts at or after the frame end (fresh read, as after a committed frame): the frame is over.
      if (start >= end || readStart >= end) this.frameEnd = Infinity;
      return false;
    }
    return this.straddle(start, readStart);
  }

  private async straddle(start: number, readStart: number): Promise<boolean> {
    const findings = this.machine.findings;
    findings.anomaly(
      'An opcode or its payload crosses the end of a FRAME. Legitimate picklers never write this; CPython reading ' +
        'from a file skips the rest of the frame while other loaders do not, so the two readings execute ' +
        'different opcodes. Both were scanned.',
      'FRAME straddle',
      this.offsetOf(readStart),
    );
    if (this.options.mode === 'cfile') {
      // The reader is still at the opcode: drop the rest of the frame and decode the opcode again.
      await this.discard(readStart, this.frameEnd);
      this.frameEnd = Infinity;
      return RETRY;
    }
    if (!this.forked) {
      this.forked = true;
      await this.fork(start);
    }
    this.frameEnd = Infinity;
    return false;
  }

  /** cfile mode: removes reader positions [from, to) from the window (the C unpickler drops them). */
  private async discard(from: number, to: number): Promise<void> {
    const r = this.reader;
    const cursorPosition = r.offset;
    const needed = to - cursorPosition;
    if (needed > LOOKAHEAD) {
      throw new ParseError(
        'UNSUPPORTED',
        'a FRAME straddle discards more than the look-ahead allows',
        this.offsetOf(from),
      );
    }
    await r.ensure(needed);
    const base = r.offset - r.cursor;
    const removed = Math.min(to, base + r.limit) - from;
    r.buffer.copyWithin(from - base, from - base + removed, r.limit);
    r.limit -= removed;
    this.splices.push([from, removed]);
  }

  /** Linear mode, first straddle: scan CPython's file reading from the opcode at `start` on a state copy. */
  private async fork(start: number): Promise<void> {
    const r = this.reader;
    // The opcode's bytes are still in the window (nothing is compacted before the opcode is done).
    const back = r.offset - start;
    r.cursor -= back;
    await r.ensure(LOOKAHEAD);
    const bytes = r.buffer.slice(r.cursor, r.limit);
    r.cursor += back;
    const m = this.machine;
    const machine = new Machine({ policy: m.policy, findings: m.findings, memoBudgetBytes: 0 }, m);
    const alternative = this.spawn(
      new BufferedReader(new MemorySource(bytes, 'FRAME alternative reading')),
      machine,
      {
        mode: 'cfile',
        origin: this.offsetOf(start),
        frameEnd: this.frameEnd - start,
      },
    );
    const ops = this.host.ops;
    try {
      await alternative.run();
    } catch (error) {
      if (error instanceof LimitError)
        reportUnreadable(this.host.context, error, this.machine.findings.member);
      else if (error instanceof ParseError && error.code === 'TRUNCATED' && bytes.length >= LOOKAHEAD) {
        reportUnreadable(
          this.host.context,
          new ParseError(
            'UNSUPPORTED',
            'the alternative reading of a FRAME straddle exceeds the look-ahead',
            error.offset,
          ),
          this.machine.findings.member,
        );
      } else if (!(error instanceof ParseError)) throw error;
      // Any other parse error: CPython fails at the same point, after what was already reported.
    } finally {
      this.host.ops = ops;
      this.machine.findings.flush();
    }
  }

  /** FRAME: `length` bytes starting at reader position `payload`. */
  protected async frame(at: number, payload: number, length: number): Promise<void> {
    if (Number.isFinite(this.frameEnd) && payload < this.frameEnd) {
      this.machine.findings.anomaly(
        'A FRAME starts before the previous frame ended; pickle.py refuses this and CPython reads it differently.',
        'FRAME inside FRAME',
        this.offsetOf(at),
      );
      if (payload + length <= this.frameEnd) return;
      // The C unpickler's read of the new frame needs more than its buffer holds: a straddle.
      if (this.options.mode === 'cfile') {
        await this.discard(payload, this.frameEnd);
      } else if (!this.forked) {
        this.forked = true;
        await this.fork(at);
      }
    }
    this.frameEnd = payload + length;
  }

  // ----- payloads ------------------------------------------------------------------------------------------

  /**
   * A length-prefixed opcode whose payload is not in the window, is large, or touches the frame end. The reader
   * is at the opcode. Returns RETRY when the opcode must be decoded again (cfile discard).
   */
  protected async counted(op: number, at: number, length: number): Promise<boolean> {
    const r = this.reader;
    const header = 1 + (FIXED_ARG_BYTES[op] as number);
    if (length < 0) {
      throw new ParseError('INVALID_LENGTH', `${opcodeName(op)} has a negative length`, this.offsetOf(at));
    }
    const payload = at + header;
    if (payload < this.frameEnd && payload + length > this.frameEnd) {
      if (READ_INTO.has(op)) {
        // CPython reads bytes payloads with _Unpickler_ReadInto, which takes the rest of the frame and then the
        // file: the same bytes as the linear reading. Only pickle.py refuses it.
        this.machine.findings.anomaly(
          'A bytes payload crosses the end of a FRAME. Legitimate picklers never write this; pickle.py refuses it.',
          'FRAME straddle',
          this.offsetOf(payload),
        );
        this.frameEnd = Infinity;
      } else if (await this.straddle(at, payload)) return RETRY;
    } else if (payload >= this.frameEnd) {
      this.frameEnd = Infinity;
    }
    r.cursor += header;
    const value = await this.payload(op, length, at);
    this.machine.stack.push(value);
    return false;
  }

  private async payload(op: number, length: number, at: number): Promise<Value> {
    const r = this.reader;
    const isText = op === OP.BINUNICODE || op === OP.SHORT_BINUNICODE || op === OP.BINUNICODE8;
    let keep = length <= RETAIN_BYTES;
    if (!keep && length <= NESTED_RETAIN_BYTES && op !== OP.LONG4) {
      await r.ensure(Math.min(length, 4));
      keep = looksNested(r.buffer.subarray(r.cursor, Math.min(r.limit, r.cursor + 4)));
    }
    if (!keep) {
      const skipped = await r.skip(length);
      if (skipped < length) throw truncated(this.offsetOf(at));
      if (op === OP.LONG4) return UNKNOWN;
      return isText ? new BigStr(length) : new PyBytes(undefined, length, op === OP.BYTEARRAY8);
    }
    if (!(await r.ensure(length))) throw truncated(this.offsetOf(at));
    const start = r.cursor;
    r.cursor += length;
    const bytes = r.buffer.subarray(start, start + length);
    switch (op) {
      case OP.BINUNICODE:
      case OP.SHORT_BINUNICODE:
      case OP.BINUNICODE8:
        return utf8(bytes);
      case OP.BINSTRING:
      case OP.SHORT_BINSTRING:
        return latin1(bytes);
      case OP.LONG1:
      case OP.LONG4:
        return readLong(bytes);
      default:
        return new PyBytes(bytes.slice(), length, op === OP.BYTEARRAY8);
    }
  }

  // ----- protocol-0 text opcodes ---------------------------------------------------------------------------

  /**
   * Finds the `\n`-terminated line starting at reader position `from` (the reader stays at the opcode `at`, so
   * nothing before the opcode is compacted away). Returns the line without its newline and its end, or RETRY.
   */
  private async line(at: number, from: number): Promise<{ bytes: Uint8Array; end: number } | boolean> {
    const r = this.reader;
    for (;;) {
      const searchFrom = from - (r.offset - r.cursor);
      const found = r.buffer.subarray(searchFrom, r.limit).indexOf(0x0a);
      if (found >= 0) {
        const end = from + found + 1;
        if (from < this.frameEnd && end > this.frameEnd) {
          if (await this.straddle(at, from)) return RETRY;
        } else if (from >= this.frameEnd) this.frameEnd = Infinity;
        const windowBase = r.offset - r.cursor;
        return { bytes: r.buffer.slice(from - windowBase, end - 1 - windowBase), end };
      }
      const available = r.limit - r.cursor;
      if (available > MAX_LINE)
        throw new ParseError('INVALID_LENGTH', 'text line longer than 1 MiB', this.offsetOf(at));
      await r.ensure(available + 4096);
      if (r.limit - r.cursor === available) throw truncated(this.offsetOf(at));
    }
  }

  private invalid(op: number, at: number): ParseError {
    return new ParseError('INVALID_VALUE', `invalid ${opcodeName(op)} argument`, this.offsetOf(at));
  }

  /** Returns RETRY when cfile mode discarded bytes and the opcode must be decoded again. */
  protected async textOp(op: number, kind: ArgKind, at: number): Promise<boolean> {
    const r = this.reader;
    const m = this.machine;
    const offset = this.offsetOf(at);
    if (kind !== ArgKind.Line && kind !== ArgKind.TwoLines) {
      throw new ParseError('UNKNOWN_OPCODE', `unhandled opcode ${opcodeName(op)}`, offset);
    }
    const line = await this.line(at, at + 1);
    if (typeof line === 'boolean') return RETRY;
    if (kind === ArgKind.TwoLines) {
      const second = await this.line(at, line.end);
      if (typeof second === 'boolean') return RETRY;
      r.cursor += second.end - r.offset;
      const module = utf8(line.bytes);
      const name = utf8(second.bytes);
      if (op === OP.GLOBAL) m.stack.push(m.findClass(module, name, offset));
      else m.inst(module, name, offset);
      return false;
    }
    r.cursor += line.end - r.offset;
    const first = line.bytes;
    const text = latin1(first);
    switch (op) {
      case OP.INT: {
        if (text === '00' || text === '01') {
          m.stack.push(text === '01');
          break;
        }
        const value = textInt(text, true);
        if (value === undefined) throw this.invalid(op, at);
        m.stack.push(value);
        break;
      }
      case OP.LONG: {
        const value = textInt(text.endsWith('L') ? text.slice(0, -1) : text, true);
        if (value === undefined) throw this.invalid(op, at);
        m.stack.push(value);
        break;
      }
      case OP.FLOAT: {
        const value = textFloat(text);
        if (value === undefined) throw this.invalid(op, at);
        m.stack.push(value);
        break;
      }
      case OP.STRING: {
        const value = parseQuotedString(first);
        if (value === undefined) throw this.invalid(op, at);
        m.stack.push(value);
        break;
      }
      case OP.UNICODE: {
        const value = parseRawUnicodeEscape(first);
        if (value === undefined) throw this.invalid(op, at);
        m.stack.push(value);
        break;
      }
      case OP.PERSID:
        m.persistent(text, offset);
        break;
      case OP.GET:
      case OP.PUT: {
        const key = textInt(text, false);
        if (key === undefined) throw this.invalid(op, at);
        if (op === OP.GET) m.stack.push(m.get(key, offset));
        else {
          if (key < 0) throw new ParseError('INVALID_VALUE', 'negative PUT argument', offset);
          m.memo.put(key, m.top(offset));
        }
        break;
      }
      default:
        throw new ParseError('UNKNOWN_OPCODE', `unhandled opcode ${opcodeName(op)}`, offset);
    }
    return false;
  }

  // ----- nested data ---------------------------------------------------------------------------------------

  protected async runNested(): Promise<void> {
    const loads = this.machine.nested.splice(0);
    for (const load of loads) {
      const clean = await this.host.scanNested(load);
      if (!clean && load.loader.verdict.level === 'allow') {
        reportUncleanNested(this.machine, load.loader, load.label, load.offset);
      }
    }
  }

  /** After BUILD of a joblib NumpyArrayWrapper: skip (or scan) the array data that follows in the stream. */
  protected async joblibArray(at: number): Promise<void> {
    const m = this.machine;
    const wrapper = m.joblibWrapper;
    if (wrapper === undefined) return;
    const r = this.reader;
    if (r.offset < this.frameEnd && Number.isFinite(this.frameEnd)) {
      throw new ParseError(
        'UNSUPPORTED',
        'joblib array data inside a FRAME (joblib always ends the frame first)',
        this.offsetOf(at),
      );
    }
    this.frameEnd = Infinity;
    const spec = arraySpec(wrapper);
    if (spec.kind === 'unknown') {
      throw new ParseError(
        'UNSUPPORTED',
        `cannot compute the size of joblib array data: ${spec.why}`,
        this.offsetOf(at),
      );
    }
    if (spec.kind === 'object') {
      await this.host.scanInline(r);
    } else {
      // Real array data is no opcode stream: decided on the window, without a reading (nor, mostly, an await).
      let verdict = mayReachGlobal(r.buffer, r.cursor, Math.min(r.limit, r.cursor + ARRAY_LOOKAHEAD), false);
      if (verdict === undefined) {
        await r.ensure(ARRAY_LOOKAHEAD);
        verdict = mayReachGlobal(r.buffer, r.cursor, Math.min(r.limit, r.cursor + ARRAY_LOOKAHEAD), true);
      }
      if (verdict === true) await this.plainReading();
      if (spec.aligned) {
        if (!(await r.ensure(1))) throw truncated(this.offsetOf(r.offset));
        const padding = r.buffer[r.cursor] as number;
        r.cursor += 1;
        if ((await r.skip(padding)) < padding) throw truncated(this.offsetOf(r.offset));
      }
      if ((await r.skip(spec.bytes)) < spec.bytes) throw truncated(this.offsetOf(r.offset));
    }
    m.arrayRead();
  }

  /**
   * Before raw joblib array data is skipped: reads it as `pickle.load` does, from the next byte (the padding
   * length when there is one, since plain pickle knows nothing of padding), on an overlay copy of the machine,
   * reporting deny-list hits only. The reader does not move.
   */
  private async plainReading(): Promise<void> {
    const r = this.reader;
    const origin = this.offsetOf(r.offset);
    const context = denyOnlyContext(
      this.host.context,
      `Found by reading the joblib array data at offset ${origin} as pickle opcodes, as pickle.load and ` +
        'torch.load(weights_only=False) read this file; joblib.load skips these bytes.',
    );
    const m = this.machine;
    const findings = new Findings(context, m.findings.member);
    const machine = new Machine({ policy: m.policy, findings, memoBudgetBytes: 0, denyOnly: true }, m, true);
    const host = this.host.restricted(context);
    host.ops = this.host.ops;
    const reader = new BufferedReader(
      new PeekSource(r, ARRAY_LOOKAHEAD, `${r.description} (joblib array data read as pickle)`),
      ARRAY_WINDOW,
    );
    try {
      await this.spawn(reader, machine, { mode: 'linear', origin, frameEnd: Infinity }, host).run();
    } catch (error) {
      // Garbage (real array data) or the end of the look-ahead: nothing more to learn from this reading.
      if (!(error instanceof ParseError) && !(error instanceof LimitError)) throw error;
    } finally {
      findings.flush();
    }
  }
}

/** A GLOBAL / INST operand that can name an importable module or attribute: ASCII letters, digits, `_` and `.`. */
function isNameByte(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x5f ||
    byte === 0x2e
  );
}

/**
 * Cheap test before the plain-pickle reading of array data: walks the opcodes of `bytes[from, to)` without a
 * machine. False when the reading certainly ends before an {@link EFFECTFUL} opcode can matter: at an undefined
 * opcode (such as joblib's padding length, 1-16), at STOP, at PROTO > 5, at a GLOBAL or INST whose lines are no
 * dotted name (nothing importable, so nothing on the deny list; CPython fails there), at a FRAME longer than
 * 2^53 (the decoder refuses it), or at the end of the look-ahead (an argument or payload reaching past it).
 * Undefined when it needs the bytes after `to`; `complete` says there are none the reading could use. Stack
 * effects are not modelled: true only means that the decoder must look.
 */
function mayReachGlobal(bytes: Uint8Array, from: number, to: number, complete: boolean): boolean | undefined {
  const end = from + ARRAY_LOOKAHEAD;
  // Past `to` there is nothing the reading could use: the data ends there, or its look-ahead does.
  const final = complete || to >= end;
  let position = from;
  for (;;) {
    if (position >= to) return final || position > end ? false : undefined;
    const op = bytes[position] as number;
    const kind = ARG_KIND[op];
    if (kind === undefined || op === OP.STOP) return false;
    position += 1;
    if (kind === ArgKind.TwoLines) {
      for (let line = 0; line < 2; line++) {
        const start = position;
        while (position < to && isNameByte(bytes[position] as number)) position++;
        if (position >= to) return final ? false : undefined;
        if (position === start || bytes[position] !== 0x0a) return false;
        position++;
      }
      return true;
    }
    if (kind === ArgKind.Line) {
      const newline = bytes.subarray(position, to).indexOf(0x0a);
      if (newline < 0) return final ? false : undefined;
      position += newline + 1;
      continue;
    }
    const width = FIXED_ARG_BYTES[op] as number;
    if (position + width > to) return final ? false : undefined;
    if (op === OP.FRAME) return isSafeLength(readU32(bytes, position + 4));
    if (EFFECTFUL.has(op)) return true;
    if (op === OP.PROTO && (bytes[position] as number) > 5) return false;
    let length = 0;
    if (kind === ArgKind.Counted)
      for (let i = width - 1; i >= 0; i--) length = length * 256 + (bytes[position + i] as number);
    position += width + length;
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

/** Passes on deny-list hits only (MODEL-PICKLE-001/-004), with `note` appended to their message. */
function denyOnlyContext(context: ScanContext, note: string): ScanContext {
  return {
    settings: context.settings,
    deadline: context.deadline,
    report(finding): void {
      if (DENY_RULE_IDS.has(finding.ruleId))
        context.report({ ...finding, message: `${finding.message} ${note}` });
    },
    checkDeadline(): void {
      context.checkDeadline();
    },
  };
}

/**
 * The next `cap` bytes of a reader, read ahead on demand without moving its cursor (nothing is consumed; the
 * reader's window grows by at most `cap`).
 */
class PeekSource implements ByteSource {
  readonly size = undefined;
  position = 0;

  constructor(
    private readonly reader: BufferedReader,
    private readonly cap: number,
    readonly description: string,
  ) {}

  async read(max: number): Promise<Uint8Array> {
    const r = this.reader;
    const want = Math.min(max, this.cap - this.position);
    if (want <= 0) return new Uint8Array(0);
    await r.ensure(this.position + want);
    const start = r.cursor + this.position;
    const end = Math.min(r.limit, start + want);
    if (end <= start) return new Uint8Array(0);
    this.position = end - r.cursor;
    return r.buffer.subarray(start, end);
  }

  async skip(count: number): Promise<number> {
    const r = this.reader;
    const want = Math.max(0, Math.min(count, this.cap - this.position));
    await r.ensure(this.position + want);
    const skipped = Math.max(0, Math.min(want, r.limit - r.cursor - this.position));
    this.position += skipped;
    return skipped;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
