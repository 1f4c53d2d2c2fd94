import { ParseError } from '../../core/errors.js';
import { decompress, type Codec } from '../../targets/decompress.js';
import { ReaderSource } from '../../targets/reader-source.js';
import { JOBLIB_ZF_HEADER_BYTES, withoutCompressionExtension } from './classify.js';
import { contentFromSource, type Content } from './content.js';
import { decompressLimits } from './decompression-budget.js';
import type { Scope } from './scope.js';

export type CompressedKind = 'gzip' | 'bz2' | 'xz' | 'lzma' | 'zlib' | 'joblib-zf' | 'lz4';

const CODECS: Readonly<Record<Exclude<CompressedKind, 'lz4'>, Codec>> = {
  gzip: 'gzip',
  bz2: 'bz2',
  xz: 'xz',
  lzma: 'lzma',
  zlib: 'zlib',
  'joblib-zf': 'zlib',
};

/**
 * A compression layer (`.pkl.gz`, compressed joblib, `.tar.xz`): the decompressed stream is classified and
 * scanned like any content, one container level deeper, under the same member label. Returns
 * `<layer>/<inner format>`.
 *
 * lz4 (joblib's lz4 compressor) is reported unscannable: the npm lz4 packages either build a native addon at
 * install time (`lz4`, which needs node-gyp and network) or decode whole buffers only, without streaming or a
 * size bound (`lz4js`), so neither can be used under the decompression limits.
 */
export async function scanCompressed(scope: Scope, content: Content, kind: CompressedKind): Promise<string> {
  if (kind === 'lz4') {
    throw new ParseError('UNSUPPORTED', 'lz4-compressed data (joblib lz4) cannot be decompressed by mlsec');
  }
  if (kind === 'joblib-zf') {
    // joblib's reader skips the length field and one optional space written by older versions.
    await content.reader.skip(JOBLIB_ZF_HEADER_BYTES);
    if ((await content.reader.ensure(1)) && content.reader.buffer[content.reader.cursor] === 0x20) {
      await content.reader.skip(1);
    }
  }
  const description = `${content.member ?? content.name} (${kind})`;
  const source = decompress(
    CODECS[kind],
    new ReaderSource(content.reader, content.size),
    decompressLimits(scope.context),
    description,
  );
  try {
    const inner = contentFromSource(
      source,
      content.member,
      withoutCompressionExtension(content.name),
      content.depth + 1,
    );
    return `${kind}/${await scope.scan(inner)}`;
  } finally {
    await source.close();
  }
}
