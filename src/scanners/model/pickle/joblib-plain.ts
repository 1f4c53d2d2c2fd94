/**
 * joblib raw array data read as plain pickle. `joblib.load` skips those bytes, but the same file given to
 * `pickle.load` or `torch.load(weights_only=False)` is read linearly, so the padding byte and the array bytes are
 * executed as opcodes. That reading runs on an overlay copy of the machine state over a look-ahead of at most
 * {@link ARRAY_LOOKAHEAD} bytes read on demand, and reports deny-list hits only (MODEL-PICKLE-001/-004): real
 * array data decodes as garbage, which must not raise anything else. It stops silently at STOP, at the first
 * parse error or limit, or at the end of the look-ahead. A cheap walk over the opcodes decides first whether
 * the reading can matter at all, so real array data mostly costs neither a reading nor an await.
 */
import { LimitError, ParseError } from '../../../core/errors.js';
import type { RawFinding } from '../../../core/finding.js';
import type { ScanContext } from '../../../core/scanner.js';
import { BufferedReader } from '../../../targets/reader.js';
import type { ByteSource } from '../../../targets/source.js';
import { relayContext } from '../../../core/context.js';
import { DENY_RULE_IDS, Findings } from './findings.js';
import type { Host } from './host.js';
import { u64le } from './little-endian.js';
import { Machine } from './machine.js';
import { ARG_KIND, ArgKind, FIXED_ARG_BYTES, OP } from './opcodes.js';
import type { DecoderOptions } from './stream.js';
import type { Value } from './values.js';

/** Look-ahead of the reading (from the padding byte or the data). */
const ARRAY_LOOKAHEAD = 64 * 1024;
/** Window of the reading's reader: random data stops within a few bytes. */
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

/** Runs a decoder of the caller's kind to STOP (the reading uses the decoder that found the array). */
export type Decode = (
  reader: BufferedReader,
  machine: Machine,
  options: DecoderOptions,
  host: Host,
) => Promise<Value>;

/**
 * Before raw joblib array data is skipped: reads it as `pickle.load` does, from the reader's next byte (the
 * padding length when there is one, since plain pickle knows nothing of padding) at stream offset `origin`, on
 * an overlay copy of `main`, reporting deny-list hits only. The reader does not move.
 */
export async function readArrayAsPickle(
  r: BufferedReader,
  main: Machine,
  mainHost: Host,
  origin: number,
  decode: Decode,
): Promise<void> {
  let verdict = mayReachGlobal(r.buffer, r.cursor, Math.min(r.limit, r.cursor + ARRAY_LOOKAHEAD), false);
  if (verdict === undefined) {
    await r.ensure(ARRAY_LOOKAHEAD);
    verdict = mayReachGlobal(r.buffer, r.cursor, Math.min(r.limit, r.cursor + ARRAY_LOOKAHEAD), true);
  }
  if (!verdict) return;
  const context = denyOnlyContext(
    mainHost.context,
    `Found by reading the joblib array data at offset ${origin} as pickle opcodes, as pickle.load and ` +
      'torch.load(weights_only=False) read this file; joblib.load skips these bytes.',
  );
  const findings = new Findings(context, main.findings.member);
  const machine = new Machine(
    { policy: main.policy, findings, memoBudgetBytes: 0, denyOnly: true },
    main,
    true,
  );
  const host = mainHost.restricted(context);
  host.ops = mainHost.ops;
  const reader = new BufferedReader(
    new PeekSource(r, ARRAY_LOOKAHEAD, `${r.description} (joblib array data read as pickle)`),
    ARRAY_WINDOW,
  );
  try {
    await decode(reader, machine, { mode: 'linear', origin, frameEnd: Infinity }, host);
  } catch (error) {
    // Garbage (real array data) or the end of the look-ahead: nothing more to learn from this reading.
    if (!(error instanceof ParseError) && !(error instanceof LimitError)) throw error;
  } finally {
    findings.flush();
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
 * Cheap test before the reading: walks the opcodes of `bytes[from, to)` without a machine. False when the
 * reading certainly ends before an {@link EFFECTFUL} opcode can matter: at an undefined opcode (such as joblib's
 * padding length, 1-16), at STOP, at PROTO > 5, at a GLOBAL or INST whose lines are no dotted name (nothing
 * importable, so nothing on the deny list; CPython fails there), at a FRAME longer than 2^53 (the decoder
 * refuses it), or at the end of the look-ahead (an argument or payload reaching past it). Undefined when it
 * needs the bytes after `to`; `complete` says there are none the reading could use. Stack effects are not
 * modelled: true only means that the decoder must look.
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
    if (op === OP.FRAME) return u64le(bytes, position) >= 0;
    if (EFFECTFUL.has(op)) return true;
    if (op === OP.PROTO && (bytes[position] as number) > 5) return false;
    let length = 0;
    if (kind === ArgKind.Counted)
      for (let i = width - 1; i >= 0; i--) length = length * 256 + (bytes[position + i] as number);
    position += width + length;
  }
}

/** Passes on deny-list hits only (MODEL-PICKLE-001/-004), with `note` appended to their message. */
function denyOnlyContext(context: ScanContext, note: string): ScanContext {
  return relayContext(context, (finding: RawFinding) => {
    if (DENY_RULE_IDS.has(finding.ruleId))
      context.report({ ...finding, message: `${finding.message} ${note}` });
  });
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
