import { PassThrough, Readable, pipeline, type Duplex } from 'node:stream';
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { LimitError, MlsecError, ParseError, messageOf } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { ByteSource } from './source.js';
import { IterableSource } from './stream-source.js';

/**
 * Stream codecs mlsec reads. `zlib` is a bare RFC 1950 stream (joblib's zlib compressor), `deflate-raw` an
 * RFC 1951 stream (zip members), `lzma` the legacy `.lzma` "alone" format (joblib's lzma compressor).
 */
export type Codec = 'gzip' | 'zlib' | 'deflate-raw' | 'bz2' | 'xz' | 'lzma';

export type DecompressLimits = Pick<Limits, 'maxDecompressedBytes' | 'maxCompressionRatio'>;

/** The ratio limit applies only past this much output, so tiny highly compressible streams are not flagged. */
export const RATIO_GRACE_BYTES = 1024 * 1024;
const INPUT_CHUNK_BYTES = 256 * 1024;
/** liblzma allocates the dictionary the header asks for; refuse absurd ones rather than exhaust memory. */
const LZMA_MEMORY_LIMIT = 1024 * 1024 * 1024;

/** bz2 and xz decoders are loaded on first use: most scans never meet them, and loading costs every start. */
async function decoderFor(codec: Codec): Promise<Duplex> {
  switch (codec) {
    case 'gzip':
      return createGunzip();
    case 'zlib':
      return createInflate();
    case 'deflate-raw':
      return createInflateRaw();
    case 'bz2':
      // unbzip2-stream is a classic `through` stream; the PassThrough after it in the pipeline gives the output
      // an async iterator.
      return (await import('unbzip2-stream')).default();
    case 'xz':
      return (await import('lzma-native')).default.createStream('streamDecoder', {
        memlimit: LZMA_MEMORY_LIMIT,
        flags: 'CONCATENATED',
      });
    case 'lzma':
      return (await import('lzma-native')).default.createStream('aloneDecoder', {
        memlimit: LZMA_MEMORY_LIMIT,
      });
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

/**
 * Decompresses `input` as a stream, never holding more than a few chunks in memory. Throws (from `read`)
 * `LimitError('DECOMPRESSED_SIZE' | 'COMPRESSION_RATIO')` on bombs and `ParseError` on corrupt or truncated data.
 * Closing the returned source stops the decoder; it does not close `input`.
 */
export function decompress(
  codec: Codec,
  input: ByteSource,
  limits: DecompressLimits,
  description: string,
): ByteSource {
  let consumed = 0;
  let produced = 0;
  async function* compressedChunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = await input.read(INPUT_CHUNK_BYTES);
      if (chunk.length === 0) return;
      consumed += chunk.length;
      // The source may reuse its buffer on the next read while the decoder still holds this chunk.
      yield Buffer.from(chunk);
    }
  }
  async function* decompressedChunks(): AsyncGenerator<Uint8Array> {
    const output = pipeline(
      Readable.from(compressedChunks(), { objectMode: false }),
      await decoderFor(codec),
      new PassThrough(),
      () => {
        // Errors surface through the output's async iterator.
      },
    );
    yield* output as AsyncIterable<Uint8Array>;
  }
  return new IterableSource(decompressedChunks(), description, {
    onChunk: (chunk) => {
      produced += chunk.length;
      if (produced > limits.maxDecompressedBytes) {
        throw new LimitError(
          'DECOMPRESSED_SIZE',
          `${description}: more than ${limits.maxDecompressedBytes} bytes after decompression`,
          produced,
        );
      }
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
