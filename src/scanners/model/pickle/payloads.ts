/**
 * The decoder's slow paths for opcodes with arguments the hot loop does not decode in place: length-prefixed
 * payloads that are large, not yet in the window or touching a frame end, and protocol-0 text opcodes (one or
 * two `\n`-terminated lines).
 *
 * Which payloads are kept: payloads are kept for what the analysis does with their content (names, folding,
 * nested pickles handed to a loader), and kept content stays as long as anything refers to it. So content longer
 * than {@link UNCHARGED_BYTES} is charged to the scan's {@link PayloadBudget}; once it is spent, payloads are
 * skipped and left as values of known length without content, which a nested load reports as unresolved.
 */
import { ParseError } from '../../../core/errors.js';
import { PROBE_BYTES } from '../../../core/scanner.js';
import { classifyHead } from '../classify.js';
import { FrameDecoder } from './frames.js';
import type { PayloadBudget } from './host.js';
import { ArgKind, FIXED_ARG_BYTES, OP, opcodeName } from './opcodes.js';
import { truncated, type Step } from './stream.js';
import { latin1, parseQuotedString, parseRawUnicodeEscape, textFloat, textInt, utf8 } from './text.js';
import { BigStr, PyBytes, UNKNOWN, type Value } from './values.js';

/** Payloads shorter than this are kept without charge: names and small constants (a SHORT_* opcode's 255 bytes). */
const UNCHARGED_BYTES = 256;
/** Payloads up to this size are kept while the budget lasts; larger ones are skipped without being read. */
export const RETAIN_BYTES = 64 * 1024;
/**
 * A larger bytes payload is kept anyway (budget permitting) when its first bytes are content the model scanner
 * recognises (a pickle, zip, npy, compressed stream …): a loader may load it as a nested model. Large str
 * payloads never are: no loader takes a str, and folding one into bytes stops at 64 KiB (fold.ts).
 */
const NESTED_RETAIN_BYTES = 16 * 1024 * 1024;
/** Longest protocol-0 text line accepted. */
const MAX_LINE = 1024 * 1024;
/** How far the line search reads ahead at a time. */
const LINE_STEP = 4096;

/** Opcodes whose payload CPython reads with `_Unpickler_ReadInto` (load_counted_binbytes / _bytearray). */
const READ_INTO: ReadonlySet<number> = new Set([OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8, OP.BYTEARRAY8]);
const TEXT: ReadonlySet<number> = new Set([OP.BINUNICODE, OP.SHORT_BINUNICODE, OP.BINUNICODE8]);

/** A protocol-0 line: its bytes without the newline and the reader position after it; or decode again. */
type Line =
  { readonly kind: 'line'; readonly bytes: Uint8Array; readonly end: number } | { readonly kind: 'again' };

function readLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  if (((bytes[bytes.length - 1] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** Whether a payload of `length` bytes is kept, charging `budget` for it. */
export function affordable(length: number, budget: PayloadBudget): boolean {
  return length < UNCHARGED_BYTES || budget.take(length);
}

export abstract class PayloadDecoder extends FrameDecoder {
  // ----- payloads ------------------------------------------------------------------------------------------

  /**
   * A length-prefixed opcode whose payload is not in the window, is large, or touches the frame end. The reader
   * is at the opcode.
   */
  protected async counted(op: number, at: number, length: number): Promise<Step> {
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
      } else if ((await this.straddle(at, payload)) === 'again') return 'again';
    } else if (payload >= this.frameEnd) {
      this.frameEnd = Infinity;
    }
    r.cursor += header;
    const value = await this.payload(op, length, at);
    this.machine.stack.push(value);
    return 'done';
  }

  private async payload(op: number, length: number, at: number): Promise<Value> {
    const r = this.reader;
    if (!(await this.keeps(op, length))) {
      if ((await r.skip(length)) < length) throw truncated(this.offsetOf(at));
      if (op === OP.LONG4) return UNKNOWN;
      return TEXT.has(op) ? new BigStr(length) : new PyBytes(undefined, length, op === OP.BYTEARRAY8);
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

  /** Whether to read and keep the payload of `length` bytes at the reader's cursor (charged when kept). */
  private async keeps(op: number, length: number): Promise<boolean> {
    if (length <= RETAIN_BYTES) return affordable(length, this.host.payloads);
    if (length > NESTED_RETAIN_BYTES || !READ_INTO.has(op)) return false;
    const r = this.reader;
    await r.ensure(PROBE_BYTES);
    const head = r.buffer.subarray(r.cursor, Math.min(r.limit, r.cursor + PROBE_BYTES));
    return classifyHead(head)[0] !== 'unknown' && this.host.payloads.take(length);
  }

  // ----- protocol-0 text opcodes ---------------------------------------------------------------------------

  /**
   * Finds the `\n`-terminated line starting at reader position `from` (the reader stays at the opcode `at`, so
   * nothing before the opcode is compacted away).
   */
  private async line(at: number, from: number): Promise<Line> {
    const r = this.reader;
    // Reader position up to which the line is known to hold no newline: each read-ahead is searched once.
    let searched = from;
    for (;;) {
      const windowBase = r.offset - r.cursor;
      const found = r.buffer.subarray(searched - windowBase, r.limit).indexOf(0x0a);
      if (found >= 0) {
        const end = searched + found + 1;
        if (from < this.frameEnd && end > this.frameEnd) {
          if ((await this.straddle(at, from)) === 'again') return { kind: 'again' };
        } else if (from >= this.frameEnd) this.frameEnd = Infinity;
        const base = r.offset - r.cursor;
        return { kind: 'line', bytes: r.buffer.slice(from - base, end - 1 - base), end };
      }
      searched = windowBase + r.limit;
      const available = r.limit - r.cursor;
      if (available > MAX_LINE)
        throw new ParseError('INVALID_LENGTH', 'text line longer than 1 MiB', this.offsetOf(at));
      await r.ensure(available + LINE_STEP);
      if (r.limit - r.cursor === available) throw truncated(this.offsetOf(at));
    }
  }

  private invalid(op: number, at: number): ParseError {
    return new ParseError('INVALID_VALUE', `invalid ${opcodeName(op)} argument`, this.offsetOf(at));
  }

  protected async textOp(op: number, kind: ArgKind, at: number): Promise<Step> {
    const r = this.reader;
    const m = this.machine;
    const offset = this.offsetOf(at);
    if (kind !== ArgKind.Line && kind !== ArgKind.TwoLines) {
      throw new ParseError('UNKNOWN_OPCODE', `unhandled opcode ${opcodeName(op)}`, offset);
    }
    const line = await this.line(at, at + 1);
    if (line.kind === 'again') return 'again';
    if (kind === ArgKind.TwoLines) {
      const second = await this.line(at, line.end);
      if (second.kind === 'again') return 'again';
      r.cursor += second.end - r.offset;
      const module = utf8(line.bytes);
      const name = utf8(second.bytes);
      if (op === OP.GLOBAL) m.stack.push(m.findClass(module, name, offset));
      else m.inst(module, name, offset);
      return 'done';
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
      case OP.STRING:
      case OP.UNICODE: {
        const value = op === OP.STRING ? parseQuotedString(first) : parseRawUnicodeEscape(first);
        if (value === undefined) throw this.invalid(op, at);
        m.stack.push(affordable(value.length, this.host.payloads) ? value : new BigStr(value.length));
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
    return 'done';
  }
}
