import { ParseError, messageOf } from '../../core/errors.js';
import type { Content } from './content.js';
import { scanOnePickle, scanPickleStream, type PyConst, type TorchStorageRef } from './pickle/index.js';
import { isFileWide, pickleOptions, type Scope } from './scope.js';
import { readLittleEndian, skipRaw, storageElementBytes } from './torch-storage.js';

const LEGACY_PROTOCOL_VERSION = 1001;

/**
 * A legacy (non-zip) `torch.save` file, as `torch.serialization._legacy_load` reads it: five pickles (magic
 * number, protocol version, sys_info, the data, the sorted storage keys), then for each key an int64 element
 * count and the raw elements. Every pickle is scanned. The storages are skipped, never interpreted: torch copies
 * them into tensor memory and nothing in them runs. They are still checked against the data pickle's storage
 * references so that a file with unexplained bytes (a hidden payload for another reader) is not called clean.
 * When the sizes cannot be worked out (a storage type this table does not know, keys that are not constants)
 * the bytes after the pickles cannot be told apart from storage data: they are scanned as pickles as far as
 * they parse, so that a payload hidden there is named, and the file is unscannable.
 */
export async function scanLegacyTorch(scope: Scope, content: Content): Promise<void> {
  const { context } = scope;
  const reader = content.reader;
  const options = pickleOptions(scope, content);
  await scanOnePickle(reader, context, options);
  const protocol = await scanOnePickle(reader, context, options);
  if (protocol.value !== LEGACY_PROTOCOL_VERSION && protocol.value !== BigInt(LEGACY_PROTOCOL_VERSION)) {
    // torch stops here ("Invalid protocol version"); other unpicklers may go on, so read on as pickles.
    if (!(await reader.atEnd())) await scanPickleStream(reader, context, options);
    return;
  }
  await scanOnePickle(reader, context, options);
  const data = await scanOnePickle(reader, context, options);
  const keys = await scanOnePickle(reader, context, options);
  scope.describe({
    ...(content.member !== undefined && { member: content.member }),
    format: 'pytorch-legacy',
    framework: 'pytorch',
    // The last pickle lists the storage keys; tensors may share storages, so this is not a tensor count.
    ...(Array.isArray(keys.value) && { properties: { storages: String(keys.value.length) } }),
  });
  const plan = storagePlan(keys.value, data.storages);
  if (plan === undefined) {
    await scanUnaccountedBytes(scope, content);
    return;
  }
  for (const { key, elementBytes, numel } of plan) {
    context.checkDeadline();
    const what = `storage '${key}'`;
    const count = await readLittleEndian(reader, 8, `${what} element count`);
    if (numel !== undefined && count !== BigInt(numel)) {
      throw new ParseError(
        'BAD_STRUCTURE',
        `${what} holds ${count} elements, the data pickle says ${numel}`,
        reader.offset,
      );
    }
    await skipRaw(reader, count * BigInt(elementBytes), what);
  }
  if (!(await reader.atEnd())) {
    throw new ParseError(
      'BAD_STRUCTURE',
      'data after the last storage, which torch never reads',
      reader.offset,
    );
  }
}

/** The bytes after the pickles when storage sizes are unknown: read as pickles where they parse, never clean. */
async function scanUnaccountedBytes(scope: Scope, content: Content): Promise<void> {
  const reader = content.reader;
  if (await reader.atEnd()) return;
  const start = reader.offset;
  let stoppedBy = '';
  try {
    await scanPickleStream(reader, scope.context, pickleOptions(scope, content));
  } catch (error) {
    if (isFileWide(error)) throw error;
    // Expected for raw storage bytes; whatever parsed before the error has been reported.
    stoppedBy = ` (${messageOf(error)})`;
  }
  throw new ParseError(
    'UNSUPPORTED',
    `storage sizes unknown: the bytes after the pickles could not be checked against the storages, and were scanned as pickles where possible${stoppedBy}`,
    start,
  );
}

interface StorageSlot {
  readonly key: string;
  readonly elementBytes: number;
  readonly numel: number | undefined;
}

/** The storages in file order with their element sizes, or undefined when they cannot all be determined. */
function storagePlan(keys: PyConst | undefined, refs: readonly TorchStorageRef[]): StorageSlot[] | undefined {
  if (!Array.isArray(keys)) return undefined;
  const byKey = new Map<string, TorchStorageRef>();
  for (const ref of refs) if (!byKey.has(ref.key)) byKey.set(ref.key, ref);
  const plan: StorageSlot[] = [];
  for (const key of keys as readonly PyConst[]) {
    if (typeof key !== 'string') return undefined;
    const ref = byKey.get(key);
    const elementBytes = ref === undefined ? undefined : storageElementBytes(ref.storageType);
    if (ref === undefined || elementBytes === undefined) return undefined;
    plan.push({ key, elementBytes, numel: ref.numel });
  }
  return plan;
}
