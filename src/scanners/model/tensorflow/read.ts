import { LimitError } from '../../../core/errors.js';
import type { Content } from '../content.js';

/**
 * The whole of a protobuf file, which has to be in memory to decode: over `maxBytes` fails closed before any
 * byte is buffered when the size is known, and after `maxBytes + 1` bytes otherwise.
 */
export async function readWhole(content: Content, maxBytes: number, what: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new LimitError('MEMORY', `${what} is larger than the ${maxBytes} bytes that are decoded`);
  if (content.size !== undefined && content.size > maxBytes) throw tooLarge();
  const bytes = await content.reader.take(maxBytes + 1);
  if (bytes.length > maxBytes) throw tooLarge();
  return bytes;
}
