/**
 * FRAME handling (protocol 4+). It models two loaders at once. The main reading is linear, like `pickle.loads`
 * and genops. It also tracks where CPython's C unpickler reading a file without `peek` would end its buffered
 * frame. Legitimate picklers never let a read cross a frame end; when one does (a "straddle"), the stream is
 * reported (MODEL-PICKLE-005) and, at the first straddle, an alternative reading is forked: from the straddling
 * opcode, with a copy of the machine state, the bytes of the rest of the frame are discarded and reading resumes
 * after the frame, as `_Unpickler_ReadImpl` / `_Unpickler_ReadFromFile` / `load_frame` in Modules/_pickle.c do.
 * That reading runs over a bounded in-memory look-ahead ("cfile" mode) and reports into the same findings.
 */
import { LimitError, ParseError } from '../../../core/errors.js';
import { reportUnreadable } from '../../../core/unreadable.js';
import { BufferedReader } from '../../../targets/reader.js';
import { MemorySource } from '../../../targets/memory.js';
import { Machine } from './machine.js';
import { DecoderBase, type Step } from './stream.js';

/** Look-ahead for the alternative reading after a FRAME straddle. */
const LOOKAHEAD = 16 * 1024 * 1024;

export abstract class FrameDecoder extends DecoderBase {
  private forked = false;

  /**
   * The fixed-size argument of the opcode at `start` (reader at `start`) starts at `readStart` and ends past the
   * frame end. After this no frame is in force, and the caller decodes the opcode again from the reader's cursor
   * (in cfile mode, over what is left once the rest of the frame is dropped).
   */
  protected async frameBoundary(start: number, readStart: number): Promise<void> {
    // A read that starts at the frame end is a fresh read, as after a committed frame.
    if (readStart < this.frameEnd) await this.straddle(start, readStart);
    this.frameEnd = Infinity;
  }

  /** A read from `readStart` crosses the frame end. Returns 'again' when cfile mode discarded bytes under it. */
  protected async straddle(start: number, readStart: number): Promise<Step> {
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
      return 'again';
    }
    if (!this.forked) {
      this.forked = true;
      await this.fork(start);
    }
    this.frameEnd = Infinity;
    return 'done';
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
}
