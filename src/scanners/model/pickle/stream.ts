/**
 * The decoder's stream state and slow paths, in layers, each file extending the one before:
 *
 * - stream.ts (this file): what a decoder works on (reader, machine, host), stream offsets, the views of the
 *   window that the hot loop reads, limits, nested payloads and joblib array data;
 * - frames.ts: FRAME opcodes, and the alternative reading when an opcode straddles a frame end;
 * - payloads.ts: length-prefixed payloads (kept or skipped) and protocol-0 text opcodes;
 * - decoder.ts: the hot loop.
 *
 * Anything here runs at most once per frame, large payload, text opcode, call or window refill.
 */
import { LimitError, ParseError } from '../../../core/errors.js';
import type { ScanContext } from '../../../core/scanner.js';
import type { BufferedReader } from '../../../targets/reader.js';
import type { Host } from './host.js';
import { readArrayAsPickle } from './joblib-plain.js';
import { arraySpec } from './joblib.js';
import type { Machine } from './machine.js';
import { reportUncleanNested } from './resolve.js';
import type { Value } from './values.js';

export type Mode = 'linear' | 'cfile';

export interface DecoderOptions {
  readonly mode: Mode;
  /** Stream offset of the reader's offset 0 (the alternative reading runs over a copy). */
  readonly origin: number;
  /** Frame end (reader coordinates) in force when decoding starts. */
  readonly frameEnd: number;
}

/**
 * How a slow path left the opcode it was handed: decoded, or to be decoded again from the same position
 * (cfile mode dropped the rest of a frame under it).
 */
export type Step = 'done' | 'again';

const DEADLINE_EVERY = 65_536;

export function truncated(offset: number): ParseError {
  return new ParseError(
    'TRUNCATED',
    'pickle data was truncated (no STOP opcode before the end of the data)',
    offset,
  );
}

export abstract class DecoderBase {
  /** End of the FRAME in force, in reader positions; Infinity outside frames. */
  protected frameEnd: number;
  /** cfile mode: (position, bytes removed there) for mapping offsets back to the original stream. */
  protected readonly splices: [number, number][] = [];
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

  /** Re-derives the text and number views of the window when an await replaced the reader's buffer. */
  protected views(): void {
    const buffer = this.reader.buffer;
    if (this.textView.buffer !== buffer.buffer || this.textView.byteOffset !== buffer.byteOffset) {
      this.textView = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      this.dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
  }

  /** Before a slow path: hands the hot loop's window position and opcode count back to the reader and host. */
  protected park(cursor: number, ops: number): void {
    this.reader.cursor = cursor;
    this.host.ops = ops;
  }

  /** After a slow path: an opcode that will be decoded again must not be counted twice. */
  protected settle(step: Step): void {
    if (step === 'again') this.host.ops--;
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

  // ----- nested data ---------------------------------------------------------------------------------------

  protected async runNested(): Promise<void> {
    const loads = this.machine.nested.splice(0);
    for (const load of loads) {
      const label = this.host.labels.next(load.name);
      const clean = await this.host.scanNested(load, label);
      if (!clean && load.loader.verdict.level === 'allow') {
        reportUncleanNested(this.machine, load.loader, label, load.offset);
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
      await readArrayAsPickle(r, m, this.host, this.offsetOf(r.offset), (reader, machine, options, host) =>
        this.spawn(reader, machine, options, host).run(),
      );
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
}
