import { ParseError } from '../../core/errors.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import { isRecordPath, RECORD_FORMAT, scanRecord } from './integrity.js';
import { scanPth } from './pth.js';
import { ENV_RULES } from './rules.js';

/** The environment files this scanner reads, by name. */
type EnvFileKind = 'pth' | 'record';

function envFileKind(path: string): EnvFileKind | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name.toLowerCase().endsWith('.pth')) return 'pth';
  if (isRecordPath(path)) return 'record';
  return undefined;
}

function detect(probe: Probe): string | undefined {
  switch (envFileKind(probe.path)) {
    case 'pth':
      return 'pth';
    case 'record':
      return RECORD_FORMAT;
    default:
      return undefined;
  }
}

async function scan(absolutePath: string, probe: Probe, context: ScanContext): Promise<ScanOutcome> {
  switch (envFileKind(probe.path)) {
    case 'pth':
      return scanPth(absolutePath, probe, context);
    case 'record':
      return scanRecord(absolutePath, probe, context);
    default:
      throw new ParseError('UNSUPPORTED', `not an environment file: ${probe.path}`);
  }
}

/**
 * Python environment files that run code at interpreter start-up (`.pth` files in site folders). The model
 * scanner comes first and keeps `.pth` files that are PyTorch checkpoints.
 */
export const envScanner: FileScanner = { rules: ENV_RULES, detect, scan };
