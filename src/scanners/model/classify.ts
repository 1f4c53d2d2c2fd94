import { looksLikePickle } from './pickle/index.js';

/**
 * What the first bytes of some content say it is. Classification never trusts a name: `.bin`, `.pt`, `.pkl`
 * hold any of these. Order matters where magics overlap with pickle opcodes: `PK` starts with PERSID, `BZh`
 * with BINBYTES, `\x93NUMPY` with STACK_GLOBAL and `]` (the usual `.lzma` header byte) is EMPTY_LIST.
 */
export type ContentKind =
  | 'zip'
  | 'numpy'
  | 'safetensors'
  | 'gguf'
  | 'hdf5'
  | 'gzip'
  | 'bz2'
  | 'xz'
  | 'lz4'
  | 'joblib-zf'
  | 'tar'
  | 'lzma'
  | 'pytorch-legacy'
  | 'pickle'
  | 'zlib'
  | 'unknown';

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((byte, index) => head[at + index] === byte);
}

const ZIP_LOCAL = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY = [0x50, 0x4b, 0x05, 0x06];
const NUMPY = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** `GGUF`: llama.cpp's model format. */
const GGUF = [0x47, 0x47, 0x55, 0x46];
/** `GGUF` then a little-endian u32 version whose high bytes are zero (text that starts with `GGUF` has none). */
function isGguf(head: Uint8Array): boolean {
  return startsWith(head, GGUF) && head.length >= 8 && head[6] === 0 && head[7] === 0;
}
/** The HDF5 superblock signature `\x89HDF\r\n\x1a\n`, at 0 or after a user block of 512, 1024, 2048… bytes. */
const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
function hasHdf5AfterUserBlock(head: Uint8Array): boolean {
  for (let offset = 512; offset + HDF5.length <= head.length; offset *= 2) {
    if (startsWith(head, HDF5, offset)) return true;
  }
  return false;
}
const GZIP = [0x1f, 0x8b];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const LZ4_FRAME = [0x04, 0x22, 0x4d, 0x18];
const BZ2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZ2_END = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

function isBz2(head: Uint8Array): boolean {
  const level = head[3] ?? 0;
  return (
    startsWith(head, [0x42, 0x5a, 0x68]) &&
    level >= 0x31 &&
    level <= 0x39 &&
    (startsWith(head, BZ2_BLOCK, 4) || startsWith(head, BZ2_END, 4))
  );
}

/** joblib < 0.10 `ZF` files: `ZF`, the data length in hex padded to 19 characters, then a zlib stream. */
export const JOBLIB_ZF_HEADER_BYTES = 21;

function isJoblibZf(head: Uint8Array): boolean {
  if (head.length < JOBLIB_ZF_HEADER_BYTES || head[0] !== 0x5a || head[1] !== 0x46) return false;
  const length = new TextDecoder('latin1').decode(head.subarray(2, JOBLIB_ZF_HEADER_BYTES));
  return /^0x[0-9a-fA-F]+L? *$/.test(length);
}

/** A `.lzma` ("alone") header: the default properties byte, a dictionary size of 2^n or 2^n + 2^(n-1). */
function isLzmaAlone(head: Uint8Array): boolean {
  if (head.length < 13 || head[0] !== 0x5d) return false;
  const data = new DataView(head.buffer, head.byteOffset, 13);
  const dictionary = data.getUint32(1, true);
  const plausibleDictionary = [...Array(20).keys()].some((index) => {
    const power = 2 ** (index + 12);
    return dictionary === power || dictionary === power + power / 2;
  });
  const size = data.getBigUint64(5, true);
  return plausibleDictionary && (size === 0xffffffffffffffffn || size < 2n ** 48n);
}

/** A bare zlib stream (RFC 1950) with a 32 KiB window: what joblib's zlib compressor writes. */
function isZlib(head: Uint8Array): boolean {
  const method = head[0] ?? 0;
  const flags = head[1] ?? 0;
  return method === 0x78 && (method * 256 + flags) % 31 === 0 && (flags & 0x20) === 0;
}

/** A POSIX, GNU or v7 tar header: the checksum must match, as Python's tarfile requires. */
function isTarHeader(head: Uint8Array): boolean {
  if (head.length < 512 || head.subarray(0, 512).every((byte) => byte === 0)) return false;
  const field = new TextDecoder('latin1').decode(head.subarray(148, 156));
  const digits = /^ *([0-7]+)[ \0]*$/.exec(field)?.[1];
  if (digits === undefined) return false;
  const stored = Number.parseInt(digits, 8);
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < 512; index += 1) {
    const byte = index >= 148 && index < 156 ? 0x20 : (head[index] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return stored === unsigned || stored === signed;
}

/**
 * The first pickle of a legacy `torch.save` file is the magic number 0x1950a86a20f9469cfc6c, which every
 * protocol encodes canonically as below (LONG1 for protocols 2-5 behind an optional FRAME, text LONG for 0-1).
 * A magic produced any other way is not what torch writes; such a file is scanned as a pickle stream, which
 * still reads every pickle and stops, unreadable, at the raw storages.
 */
const MAGIC_LONG1 = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
const MAGIC_TEXT = new TextEncoder().encode('L119547037146038801333356L\n.');

export function isLegacyTorchMagic(head: Uint8Array): boolean {
  if (startsWith(head, [...MAGIC_TEXT])) return true;
  if (head[0] !== 0x80) return false;
  if (startsWith(head, MAGIC_LONG1, 2)) return true;
  return head[2] === 0x95 && startsWith(head, MAGIC_LONG1, 11);
}

/** The Rust loader refuses safetensors headers longer than this. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * safetensors: an 8-byte little-endian header length N, then N bytes of JSON object. The length must fit in the
 * content (when its size is known; otherwise within the loader's 100 MB cap, which also means binary zero high
 * bytes that text never has) and the JSON must open right after it.
 */
function isSafetensors(head: Uint8Array, size: number | undefined): boolean {
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const length = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  const bound = size === undefined ? SAFETENSORS_MAX_HEADER_BYTES : size - 8;
  return length >= 2n && length <= BigInt(bound);
}

/**
 * The kinds the head can be read as, most specific first. Usually one; two for a tar header whose bytes also
 * start a pickle (torch tries tarfile before pickle, `pickle.load` reads the pickle). `size` is the content's
 * total size when known (it bounds a safetensors header length).
 */
export function classifyHead(head: Uint8Array, size?: number): ContentKind[] {
  const kinds = classifyStart(head, size);
  // A user block before an HDF5 superblock holds anything: both what it starts as and the HDF5 file are read.
  if (!hasHdf5AfterUserBlock(head)) return kinds;
  return kinds[0] === 'unknown' ? ['hdf5'] : [...kinds, 'hdf5'];
}

function classifyStart(head: Uint8Array, size?: number): ContentKind[] {
  if (startsWith(head, ZIP_LOCAL) || startsWith(head, ZIP_EMPTY)) return ['zip'];
  if (startsWith(head, NUMPY)) return ['numpy'];
  if (isGguf(head)) return ['gguf'];
  if (startsWith(head, HDF5)) return ['hdf5'];
  if (startsWith(head, GZIP)) return ['gzip'];
  if (isBz2(head)) return ['bz2'];
  if (startsWith(head, XZ)) return ['xz'];
  if (startsWith(head, LZ4_FRAME)) return ['lz4'];
  if (isJoblibZf(head)) return ['joblib-zf'];
  if (isLzmaAlone(head)) return ['lzma'];
  // Before pickle: a header length such as 0x0280 starts like a protocol-2 pickle.
  if (isSafetensors(head, size)) return ['safetensors'];
  const pickle: ContentKind[] = looksLikePickle(head)
    ? [isLegacyTorchMagic(head) ? 'pytorch-legacy' : 'pickle']
    : [];
  if (isTarHeader(head)) return ['tar', ...pickle];
  if (pickle.length > 0) return pickle;
  if (isZlib(head)) return ['zlib'];
  return ['unknown'];
}

const DOTTED_NAME = String.raw`[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*`;
/**
 * Well-formed protocol 0/1 opcodes that may open a pickle before its first import: marks, empty containers,
 * None, quoted strings, decimal ints, memo puts and gets (text, or binary with a small index).
 */
const OPENING_OPCODE = String.raw`(?:[()\]}N]|S'[^'\n]*'\n|S"[^"\n]*"\n|I-?\d+\n|[pg]\d+\n|[qh][\x00-\x1f])`;
/** What follows an import in a pickle (a mark, a container or memo opcode, STOP) and rarely a line of text. */
const AFTER_IMPORT = String.raw`(?:[()\]}.\x81\x85-\x87]|[pg]\d+\n|[qh][\x00-\x1f]|S['"])`;
/** GLOBAL (`c`) or INST (`i`): the module and the name on lines of their own. */
const EARLY_IMPORT = new RegExp(
  `^${OPENING_OPCODE}{0,16}[ci]${DOTTED_NAME}\n${DOTTED_NAME}\n${AFTER_IMPORT}`,
);

/**
 * Whether a protocol 0/1 pickle imports a global within its first opcodes, as payloads do
 * (`cos\nsystem\n(S'…'\ntR.`). This tells such a pickle from text that merely starts like one, so that it is
 * claimed under any name (`weights.dat`) while README files, sources and `.pth` path files are not.
 */
export function importsGlobalEarly(head: Uint8Array): boolean {
  // Node's latin1 maps every byte to the code point of its value; TextDecoder's 'latin1' is windows-1252.
  return EARLY_IMPORT.test(Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1'));
}

/** joblib's own pickles name its array wrapper early; other pickle streams are plain `pickle`. */
export function pickleFlavour(head: Uint8Array): 'joblib' | 'pickle' {
  return new TextDecoder('latin1').decode(head).includes('joblib.numpy_pickle') ? 'joblib' : 'pickle';
}

/**
 * Extensions under which people store models (pickle-based, safetensors, GGUF and ONNX). A file with one of these whose content is none of
 * the formats above is reported unrecognised rather than ignored.
 */
const MODEL_EXTENSIONS = [
  '.pt',
  '.pth',
  '.bin',
  '.ckpt',
  '.pkl',
  '.pickle',
  '.joblib',
  '.jl',
  '.npy',
  '.npz',
  '.dill',
  '.sav',
  '.safetensors',
  '.gguf',
  '.onnx',
  '.h5',
  '.hdf5',
  '.keras',
];
const COMPRESSION_EXTENSIONS = ['.gz', '.bz2', '.xz', '.lzma', '.z', '.zlib', '.lz4'];

/** The name without one trailing compression extension (`model.pkl.gz` → `model.pkl`). */
export function withoutCompressionExtension(name: string): string {
  const lower = name.toLowerCase();
  const suffix = COMPRESSION_EXTENSIONS.find((extension) => lower.endsWith(extension));
  return suffix === undefined ? name : name.slice(0, -suffix.length);
}

/**
 * ONNX models are protobuf without a magic, so they are recognised by name only (`model.onnx`); the content is
 * then checked to decode as a ModelProto.
 */
export function isOnnxName(name: string): boolean {
  return name.toLowerCase().endsWith('.onnx');
}

export function hasModelExtension(name: string): boolean {
  const lower = withoutCompressionExtension(name).toLowerCase();
  return MODEL_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/**
 * Some model extensions also name files that are not pickle-based models: `.bin` raw tensor shards (ONNX
 * external data, GGML), `.pth` site-packages path configuration files (whose `import` lines are code for a later
 * environment scan to judge, not a model), and `.sav` IDL and SPSS data files (scikit-learn tutorials also save
 * pickles as `.sav`). For these, only recognised content is claimed; unrecognised content is not reported as an
 * unscannable model.
 */
const AMBIGUOUS_EXTENSIONS = ['.bin', '.pth', '.sav'];

/** A file with this name whose content is unrecognised is reported (SCAN-003) rather than ignored. */
export function expectsModelContent(name: string): boolean {
  const lower = withoutCompressionExtension(name).toLowerCase();
  return hasModelExtension(name) && !AMBIGUOUS_EXTENSIONS.some((extension) => lower.endsWith(extension));
}
