import { PassThrough, Readable, pipeline, type Duplex } from 'node:stream';
import {
  createGunzip,
  createInflate,
  createInflateRaw,
  type Gunzip,
  type Inflate,
  type InflateRaw,
} from 'node:zlib';
import type { JSLzmaStream } from 'lzma-native';
import { LimitError, MlsecError, ParseError, messageOf } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { ByteSource } from './source.js';
import { IterableSource } from './stream-source.js';

/**
 * Stream codecs mlsec reads. `zlib` is a bare RFC 1950 stream (joblib's zlib compressor), `deflate-raw` an
 * RFC 1951 stream (zip members), `lzma` the legacy `.lzma` "alone" format (joblib's lzma compressor).
 */
export type Codec = 'gzip' | 'zlib' | 'deflate-raw' | 'bz2' | 'xz' | 'lzma';

/**
 * `budget` is shared by every stream of one file, so that the file's decompressed bytes together stay within
 * `maxDecompressedBytes`; without one, each stream has a budget of its own.
 */
export type DecompressLimits = Pick<Limits, 'maxDecompressedBytes' | 'maxCompressionRatio'> & {
  readonly budget?: DecompressionBudget;
};

/** The decompressed bytes all streams of one file (members, layers, nested archives) may still produce. */
export class DecompressionBudget {
  private used = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Counts `bytes` more output of the stream `description`; throws once the total passes the maximum. */
  spend(bytes: number, description: string): void {
    this.used += bytes;
    if (this.used > this.max) {
      throw new LimitError(
        'DECOMPRESSED_SIZE',
        `${description}: more than ${this.max} bytes after decompression (all streams of the file together)`,
        this.used,
      );
    }
  }
}

/** The ratio limit applies only past this much output, so tiny highly compressible streams are not flagged. */
export const RATIO_GRACE_BYTES = 1024 * 1024;
const INPUT_CHUNK_BYTES = 256 * 1024;
/** liblzma allocates the dictionary the header asks for; refuse absurd ones rather than exhaust memory. */
const LZMA_MEMORY_LIMIT = 1024 * 1024 * 1024;

/**
 * A decoder, and how many compressed bytes it used once its output has ended: the input left after that is
 * trailing data no decoder of the format reads. undefined for bz2 and xz, whose decoders go on after a stream
 * ends (to the next concatenated stream, as Python's readers do) and fail on anything after it that is neither
 * another stream nor xz stream padding.
 */
interface Decoder {
  readonly stream: Duplex;
  readonly inputUsed: () => number | undefined;
}

/** What @types/lzma-native misspells as `totalInt`: the compressed bytes liblzma has consumed. */
interface LzmaInputCount {
  totalIn(): number;
}

function zlibDecoder(stream: Gunzip | Inflate | InflateRaw): Decoder {
  // A zlib stream's bytesWritten counts the bytes zlib consumed, not the bytes written to it.
  return { stream, inputUsed: () => stream.bytesWritten };
}

/** bz2 and xz decoders are loaded on first use: most scans never meet them, and loading costs every start. */
async function decoderFor(codec: Codec): Promise<Decoder> {
  switch (codec) {
    case 'gzip':
      // Reads concatenated members as Python's gzip module does, and stops at the first zero byte after one.
      return zlibDecoder(createGunzip());
    case 'zlib':
      return zlibDecoder(createInflate());
    case 'deflate-raw':
      return zlibDecoder(createInflateRaw());
    case 'bz2':
      // unbzip2-stream is a classic `through` stream; the PassThrough after it in the pipeline gives the output
      // an async iterator.
      return { stream: (await import('unbzip2-stream')).default(), inputUsed: () => undefined };
    case 'xz':
      return {
        stream: (await import('lzma-native')).default.createStream('streamDecoder', {
          memlimit: LZMA_MEMORY_LIMIT,
          flags: 'CONCATENATED',
        }),
        inputUsed: () => undefined,
      };
    case 'lzma': {
      const stream = (await import('lzma-native')).default.createStream('aloneDecoder', {
        memlimit: LZMA_MEMORY_LIMIT,
      }) as JSLzmaStream & LzmaInputCount;
      return { stream, inputUsed: () => stream.totalIn() };
    }
  }
}

function isTruncation(error: unknown): boolean {
  const message = messageOf(error);
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return (
    code === 'Z_BUF_ERROR' ||
    /unexpected end of file|ended prematurely|no progress is possible/i.test(message)
  );
}

/** Offset just past the last non-zero byte of `chunk`, or 0 when it is all zeros. */
function nonZeroEnd(chunk: Uint8Array): number {
  let end = chunk.length;
  while (end > 0 && chunk[end - 1] === 0) end -= 1;
  return end;
}

/**
 * Decompresses `input` as a stream, never holding more than a few chunks in memory. Throws (from `read`)
 * `LimitError('DECOMPRESSED_SIZE' | 'COMPRESSION_RATIO')` on bombs and `ParseError` on corrupt or truncated data,
 * and on input left after the compressed data ends (a payload there is read by no decoder, so it would never be
 * scanned; only the zero padding Python's gzip reader skips is allowed). Closing the returned source stops the
 * decoder; it does not close `input`.
 */
export function decompress(
  codec: Codec,
  input: ByteSource,
  limits: DecompressLimits,
  description: string,
): ByteSource {
  const budget = limits.budget ?? new DecompressionBudget(limits.maxDecompressedBytes);
  let consumed = 0;
  let produced = 0;
  /** Input offset just past the last non-zero byte read. */
  let lastNonZero = 0;
  async function* compressedChunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = await input.read(INPUT_CHUNK_BYTES);
      if (chunk.length === 0) return;
      const end = nonZeroEnd(chunk);
      if (end > 0) lastNonZero = consumed + end;
      consumed += chunk.length;
      // The source may reuse its buffer on the next read while the decoder still holds this chunk.
      yield Buffer.from(chunk);
    }
  }
  function checkNothingTrails(decoder: Decoder): void {
    const used = decoder.inputUsed();
    if (used === undefined || used >= consumed) return;
    if (codec === 'gzip' && lastNonZero <= used) return;
    throw new ParseError(
      'BAD_STRUCTURE',
      `${description}: ${consumed - used} bytes of trailing data after the compressed stream (at compressed offset ${used})`,
    );
  }
  async function* decompressedChunks(): AsyncGenerator<Uint8Array> {
    const decoder = await decoderFor(codec);
    let settle: (error: Error | null | undefined) => void = () => undefined;
    const finished = new Promise<Error | null | undefined>((resolve) => {
      settle = resolve;
    });
    const output = pipeline(
      Readable.from(compressedChunks(), { objectMode: false }),
      decoder.stream,
      new PassThrough(),
      // Errors before the output ends surface through its async iterator; `finished` reports the rest.
      (error) => {
        settle(error);
      },
    );
    yield* output as AsyncIterable<Uint8Array>;
    // The output can end before all input is read (zlib stops at the end of its stream): the pipeline still
    // drains the input, and only then is it known what follows the stream.
    const error = await finished;
    if (error) throw error;
    checkNothingTrails(decoder);
  }
  return new IterableSource(decompressedChunks(), description, {
    onChunk: (chunk) => {
      produced += chunk.length;
      budget.spend(chunk.length, description);
      if (produced > RATIO_GRACE_BYTES && produced > limits.maxCompressionRatio * consumed) {
        throw new LimitError(
          'COMPRESSION_RATIO',
          `${description}: ${produced} bytes from ${consumed} compressed bytes exceeds ratio ${limits.maxCompressionRatio}`,
          produced,
        );
      }
    },
    mapError: (error, position) => {
      if (error instanceof MlsecError) return error;
      if (/memory usage limit/i.test(messageOf(error))) {
        return new LimitError('DECOMPRESSED_SIZE', `${description}: decoder needs too much memory`, position);
      }
      return isTruncation(error)
        ? new ParseError('TRUNCATED', `${description}: compressed data ends early`, position)
        : new ParseError(
            'BAD_STRUCTURE',
            `${description}: corrupt ${codec} data (${messageOf(error)})`,
            position,
          );
    },
  });
}
