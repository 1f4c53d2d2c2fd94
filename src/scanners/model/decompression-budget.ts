import type { ScanContext } from '../../core/scanner.js';
import { DecompressionBudget, type DecompressLimits } from '../../targets/decompress.js';

/** One budget per file: a context belongs to one file's scan, and is dropped with it. */
const budgets = new WeakMap<ScanContext, DecompressLimits>();

/**
 * Decompression limits for the file `context` scans, with a budget all its streams share: a bundle of many
 * members, or archives nested in archives, cannot decompress more than `maxDecompressedBytes` in total.
 */
export function decompressLimits(context: ScanContext): DecompressLimits {
  let limits = budgets.get(context);
  if (limits === undefined) {
    const { maxDecompressedBytes, maxCompressionRatio } = context.settings.limits;
    limits = {
      maxDecompressedBytes,
      maxCompressionRatio,
      budget: new DecompressionBudget(maxDecompressedBytes),
    };
    budgets.set(context, limits);
  }
  return limits;
}
