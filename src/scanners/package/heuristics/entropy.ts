/** Shannon entropy in bits per symbol of a text (its characters) or of a list of symbols. */
export function shannonEntropy(symbols: string | readonly string[]): number {
  const list = typeof symbols === 'string' ? Array.from(symbols) : symbols;
  if (list.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const symbol of list) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / list.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

export type BlobAlphabet = 'base64' | 'hex' | 'escaped bytes';

export interface Blob {
  readonly alphabet: BlobAlphabet;
  /** Bits per character (for escaped bytes: per byte). */
  readonly entropy: number;
  /** Characters of encoded text (whitespace left out) or bytes. */
  readonly length: number;
}

/** Strings at least this long are examined. */
export const MIN_BLOB_CHARS = 512;
/**
 * Random data written in base64 carries close to 6 bits per character, in hex close to 4, as bytes close to 8;
 * prose, code and identifiers in the same alphabets stay well below (English text ~4.2, hex of ASCII text ~3.3).
 */
const THRESHOLDS: Readonly<Record<BlobAlphabet, number>> = { base64: 5.2, hex: 3.7, 'escaped bytes': 6.0 };

/** Magic numbers of media and fonts that libraries embed as base64 (icons, test images, web fonts). */
const MEDIA_MAGIC: readonly number[][] = [
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0xff, 0xd8, 0xff], // JPEG
  [0x47, 0x49, 0x46, 0x38], // GIF
  [0x00, 0x00, 0x01, 0x00], // ICO
  [0x42, 0x4d], // BMP
  [0x52, 0x49, 0x46, 0x46], // RIFF: WEBP, WAV
  [0x77, 0x4f, 0x46, 0x46], // WOFF
  [0x77, 0x4f, 0x46, 0x32], // WOFF2
  [0x00, 0x01, 0x00, 0x00], // TrueType
  [0x4f, 0x54, 0x54, 0x4f], // OpenType
  [0x25, 0x50, 0x44, 0x46], // PDF
  [0x49, 0x44, 0x33], // MP3
  [0x4f, 0x67, 0x67, 0x53], // Ogg
];

function isMedia(bytes: Buffer): boolean {
  return MEDIA_MAGIC.some((magic) => magic.every((byte, index) => bytes[index] === byte));
}

/**
 * A high-entropy blob: a long string in the base64 or hex alphabet, or of `\xNN` escapes, whose entropy is that
 * of compressed or encrypted data. Base64 that decodes to an image, a sound or a font, and `data:` URIs, are media,
 * not hidden code.
 */
export function highEntropyBlob(content: string): Blob | undefined {
  if (content.length < MIN_BLOB_CHARS) return undefined;
  if (/^data:[\w.+-]+\/[\w.+-]+;base64,/.test(content)) return undefined;
  const escapes = content.match(/\\x[0-9a-fA-F]{2}/g);
  if (escapes !== null && escapes.length * 4 >= content.length * 0.9) {
    const entropy = shannonEntropy(escapes.map((escape) => escape.slice(2).toLowerCase()));
    return entropy >= THRESHOLDS['escaped bytes']
      ? { alphabet: 'escaped bytes', entropy, length: escapes.length }
      : undefined;
  }
  const compact = content.replace(/\\n|\s+/g, '');
  if (compact.length < MIN_BLOB_CHARS) return undefined;
  const alphabet: BlobAlphabet | undefined = /^[0-9a-fA-F]+$/.test(compact)
    ? 'hex'
    : /^={0,2}[A-Za-z0-9+/_-]+={0,2}$/.test(compact)
      ? 'base64'
      : undefined;
  if (alphabet === undefined) return undefined;
  const entropy = shannonEntropy(compact);
  if (entropy < THRESHOLDS[alphabet]) return undefined;
  if (alphabet === 'base64' && isMedia(Buffer.from(compact.slice(0, 64), 'base64'))) return undefined;
  if (alphabet === 'hex' && isMedia(Buffer.from(compact.slice(0, 64), 'hex'))) return undefined;
  return { alphabet, entropy, length: compact.length };
}
