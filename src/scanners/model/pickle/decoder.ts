/**
 * The opcode decoder's hot loop: a byte switch over `reader.buffer` that pushes plain data (ints, floats, short
 * strings and bytes, tuples, empty containers, memo traffic) straight onto the machine's stack without
 * allocating per opcode, and hands everything else to machine.ts or to the slow paths (stream.ts and the layers
 * above it). It reads one pickle, through its STOP.
 *
 * The window is read through locals. Anything that awaits may refill, compact or replace the reader's buffer,
 * so an opcode that takes a slow path parks its position in the reader (`park`), awaits, and `continue window`
 * starts a new pass that loads the locals again: the only place where they are loaded.
 */
import { ParseError } from '../../../core/errors.js';
import type { BufferedReader } from '../../../targets/reader.js';
import type { Host } from './host.js';
import { i32le, u32le, u64le } from './little-endian.js';
import type { Machine } from './machine.js';
import { ARG_KIND, FIXED_ARG_BYTES, OP, opcodeName } from './opcodes.js';
import { affordable, PayloadDecoder, RETAIN_BYTES } from './payloads.js';
import { truncated, type DecoderOptions } from './stream.js';
import { PyBytes, PyDict, PyList, PySet, type Value } from './values.js';

/** Bytes the window must hold before an opcode is decoded in place (the longest fixed argument is 9). */
const HOT_WINDOW = 16;

export class Decoder extends PayloadDecoder {
  protected spawn(
    reader: BufferedReader,
    machine: Machine,
    options: DecoderOptions,
    host: Host = this.host,
  ): Decoder {
    return new Decoder(reader, machine, host, options);
  }

  /** Decodes through STOP and returns the unpickled (symbolic) value. */
  async run(): Promise<Value> {
    const r = this.reader;
    const m = this.machine;
    const stack = m.stack;
    window: for (;;) {
      if (r.limit - r.cursor < HOT_WINDOW) {
        await r.ensure(HOT_WINDOW);
        if (r.cursor >= r.limit) throw truncated(this.offsetOf(r.offset));
      }
      this.views();
      const buf = r.buffer;
      const lim = r.limit;
      const base = r.offset - r.cursor;
      const text = this.textView;
      const data = this.dataView;
      let cur = r.cursor;
      let ops = this.host.ops;
      let check = this.nextCheck(ops);
      for (;;) {
        const op = buf[cur] as number;
        const kind = ARG_KIND[op];
        if (kind === undefined) {
          throw new ParseError(
            'UNKNOWN_OPCODE',
            `unknown opcode 0x${op.toString(16).padStart(2, '0')}`,
            this.offsetOf(base + cur),
          );
        }
        const need = 1 + (FIXED_ARG_BYTES[op] as number);
        if (cur + need > lim) throw truncated(this.offsetOf(base + cur));
        if (base + cur + need > this.frameEnd) {
          this.park(cur, ops);
          await this.frameBoundary(base + cur, base + cur + 1);
          continue window;
        }
        if (++ops >= check) {
          this.checkLimits(ops, base + cur);
          check = this.nextCheck(ops);
        }
        const at = base + cur;
        switch (op) {
          case OP.BININT1:
            stack.push(buf[cur + 1] as number);
            cur += 2;
            break;
          case OP.BININT2:
            stack.push((buf[cur + 1] as number) | ((buf[cur + 2] as number) << 8));
            cur += 3;
            break;
          case OP.BININT:
            stack.push(i32le(buf, cur + 1));
            cur += 5;
            break;
          case OP.BINFLOAT:
            stack.push(data.getFloat64(cur + 1, false));
            cur += 9;
            break;
          case OP.NONE:
            stack.push(null);
            cur += 1;
            break;
          case OP.NEWTRUE:
            stack.push(true);
            cur += 1;
            break;
          case OP.NEWFALSE:
            stack.push(false);
            cur += 1;
            break;
          case OP.EMPTY_TUPLE:
            stack.push([]);
            cur += 1;
            break;
          case OP.EMPTY_LIST:
            stack.push(new PyList());
            cur += 1;
            break;
          case OP.EMPTY_DICT:
            stack.push(new PyDict());
            cur += 1;
            break;
          case OP.EMPTY_SET:
            stack.push(new PySet(false));
            cur += 1;
            break;
          case OP.MARK:
            m.mark();
            cur += 1;
            break;
          case OP.TUPLE1: {
            if (stack.length < m.fence + 1) throw m.underflow(this.offsetOf(at));
            const a = stack.pop() as Value;
            stack.push([a]);
            cur += 1;
            break;
          }
          case OP.TUPLE2: {
            if (stack.length < m.fence + 2) throw m.underflow(this.offsetOf(at));
            const b = stack.pop() as Value;
            const a = stack.pop() as Value;
            stack.push([a, b]);
            cur += 1;
            break;
          }
          case OP.TUPLE3: {
            if (stack.length < m.fence + 3) throw m.underflow(this.offsetOf(at));
            const c = stack.pop() as Value;
            const b = stack.pop() as Value;
            const a = stack.pop() as Value;
            stack.push([a, b, c]);
            cur += 1;
            break;
          }
          case OP.MEMOIZE:
            if (stack.length <= m.fence) throw m.underflow(this.offsetOf(at));
            m.memo.put(m.memo.size, stack[stack.length - 1] as Value);
            cur += 1;
            break;
          case OP.BINPUT:
            if (stack.length <= m.fence) throw m.underflow(this.offsetOf(at));
            m.memo.put(buf[cur + 1] as number, stack[stack.length - 1] as Value);
            cur += 2;
            break;
          case OP.LONG_BINPUT:
            if (stack.length <= m.fence) throw m.underflow(this.offsetOf(at));
            m.memo.put(u32le(buf, cur + 1), stack[stack.length - 1] as Value);
            cur += 5;
            break;
          case OP.BINGET:
            stack.push(m.get(buf[cur + 1] as number, this.offsetOf(at)));
            cur += 2;
            break;
          case OP.LONG_BINGET:
            stack.push(m.get(u32le(buf, cur + 1), this.offsetOf(at)));
            cur += 5;
            break;
          case OP.SHORT_BINUNICODE:
          case OP.SHORT_BINBYTES:
          case OP.SHORT_BINSTRING: {
            const n = buf[cur + 1] as number;
            const start = cur + 2;
            if (start + n <= lim && base + start + n <= this.frameEnd) {
              if (op === OP.SHORT_BINUNICODE) stack.push(text.toString('utf8', start, start + n));
              else if (op === OP.SHORT_BINSTRING) stack.push(text.toString('latin1', start, start + n));
              else stack.push(new PyBytes(buf.slice(start, start + n), n, false));
              cur = start + n;
              break;
            }
            this.park(cur, ops);
            this.settle(await this.counted(op, at, n));
            continue window;
          }
          case OP.BINUNICODE:
          case OP.BINBYTES:
          case OP.BINSTRING:
          case OP.LONG4: {
            const n = i32le(buf, cur + 1);
            const start = cur + 5;
            if (
              op === OP.BINUNICODE &&
              n >= 0 &&
              start + n <= lim &&
              n <= RETAIN_BYTES &&
              base + start + n <= this.frameEnd &&
              affordable(n, this.host.payloads)
            ) {
              stack.push(text.toString('utf8', start, start + n));
              cur = start + n;
              break;
            }
            this.park(cur, ops);
            // BINUNICODE and BINBYTES lengths are unsigned; BINSTRING and LONG4 are signed.
            const length = op === OP.BINUNICODE || op === OP.BINBYTES ? n >>> 0 : n;
            this.settle(await this.counted(op, at, length));
            continue window;
          }
          case OP.BINUNICODE8:
          case OP.BINBYTES8:
          case OP.BYTEARRAY8: {
            const length = u64le(buf, cur + 1);
            if (length < 0) {
              throw new ParseError(
                'INVALID_LENGTH',
                `${opcodeName(op)} length exceeds 2^53`,
                this.offsetOf(at),
              );
            }
            this.park(cur, ops);
            this.settle(await this.counted(op, at, length));
            continue window;
          }
          case OP.LONG1:
            this.park(cur, ops);
            this.settle(await this.counted(op, at, buf[cur + 1] as number));
            continue window;
          case OP.APPEND:
            m.appendOne(this.offsetOf(at));
            cur += 1;
            break;
          case OP.APPENDS:
            m.extendFromMark('append', this.offsetOf(at));
            cur += 1;
            break;
          case OP.SETITEM:
            m.setItem(this.offsetOf(at));
            cur += 1;
            break;
          case OP.SETITEMS:
            m.extendFromMark('setitem', this.offsetOf(at));
            cur += 1;
            break;
          case OP.ADDITEMS:
            m.extendFromMark('add', this.offsetOf(at));
            cur += 1;
            break;
          case OP.TUPLE:
            m.tupleFromMark(this.offsetOf(at));
            cur += 1;
            break;
          case OP.LIST:
            m.listFromMark(this.offsetOf(at));
            cur += 1;
            break;
          case OP.DICT:
            m.dictFromMark(this.offsetOf(at));
            cur += 1;
            break;
          case OP.FROZENSET:
            m.frozensetFromMark(this.offsetOf(at));
            cur += 1;
            break;
          case OP.POP:
            m.popOp(this.offsetOf(at));
            cur += 1;
            break;
          case OP.POP_MARK: {
            const start = m.popMark(this.offsetOf(at));
            stack.length = start;
            cur += 1;
            break;
          }
          case OP.DUP:
            stack.push(m.top(this.offsetOf(at)));
            cur += 1;
            break;
          case OP.PROTO: {
            const proto = buf[cur + 1] as number;
            if (proto > 5)
              throw new ParseError(
                'INVALID_VALUE',
                `unsupported pickle protocol: ${proto}`,
                this.offsetOf(at),
              );
            m.proto = proto;
            cur += 2;
            break;
          }
          case OP.FRAME: {
            const length = u64le(buf, cur + 1);
            if (length < 0)
              throw new ParseError('INVALID_LENGTH', 'FRAME length exceeds 2^53', this.offsetOf(at));
            this.park(cur + 9, ops);
            await this.frame(at, at + 9, length);
            continue window;
          }
          case OP.BINPERSID:
            m.persistent(m.pop(this.offsetOf(at)), this.offsetOf(at));
            cur += 1;
            break;
          case OP.NEXT_BUFFER:
            m.nextBuffer(this.offsetOf(at));
            cur += 1;
            break;
          case OP.READONLY_BUFFER:
            m.top(this.offsetOf(at));
            cur += 1;
            break;
          case OP.EXT1:
            m.extension(buf[cur + 1] as number, this.offsetOf(at));
            cur += 2;
            break;
          case OP.EXT2:
            m.extension((buf[cur + 1] as number) | ((buf[cur + 2] as number) << 8), this.offsetOf(at));
            cur += 3;
            break;
          case OP.EXT4:
            m.extension(u32le(buf, cur + 1), this.offsetOf(at));
            cur += 5;
            break;
          case OP.STACK_GLOBAL:
            m.stackGlobal(this.offsetOf(at));
            cur += 1;
            break;
          case OP.REDUCE:
          case OP.NEWOBJ:
          case OP.NEWOBJ_EX:
          case OP.OBJ:
            if (op === OP.REDUCE) m.reduce(this.offsetOf(at));
            else if (op === OP.NEWOBJ) m.newobj(this.offsetOf(at));
            else if (op === OP.NEWOBJ_EX) m.newobjEx(this.offsetOf(at));
            else m.obj(this.offsetOf(at));
            cur += 1;
            if (m.nested.length > 0) {
              this.park(cur, ops);
              await this.runNested();
              continue window;
            }
            break;
          case OP.BUILD:
            m.build(this.offsetOf(at));
            cur += 1;
            if (m.joblibWrapper !== undefined) {
              this.park(cur, ops);
              await this.joblibArray(at);
              continue window;
            }
            break;
          case OP.STOP: {
            const value = m.stop(this.offsetOf(at));
            this.park(cur + 1, ops);
            if (at + 1 < this.frameEnd && Number.isFinite(this.frameEnd)) {
              m.findings.anomaly(
                'The pickle stops before the end of its FRAME; loaders disagree on where the next pickle starts.',
                'STOP inside FRAME',
                this.offsetOf(at),
              );
            }
            return value;
          }
          default:
            // Text opcodes (protocol 0/1 forms) and INST/GLOBAL: rare, decoded on the slow path.
            this.park(cur, ops);
            this.settle(await this.textOp(op, kind, at));
            if (m.nested.length > 0) await this.runNested();
            continue window;
        }
        if (cur + HOT_WINDOW > lim) {
          this.park(cur, ops);
          continue window;
        }
      }
    }
  }
}
