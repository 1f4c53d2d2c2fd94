import { ParseError } from '../../core/errors.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import { isRecordPath, RECORD_FORMAT, scanRecord } from './integrity.js';
import { scanPth } from './pth.js';
import { ENV_RULES } from './rules.js';
import { scanShadowFile, shadowFormat } from './shadow.js';
import { isStartFile, scanStartFile, scanStartupModule, startupModuleOf } from './startup.js';
import { codeScanner } from '../code/index.js';

/** The environment files this scanner reads, by name. */
type EnvFileKind = 'pth' | 'record' | 'startup-module' | 'start' | 'shadow';

function envFileKind(path: string): EnvFileKind | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name.toLowerCase().endsWith('.pth')) return 'pth';
  if (isRecordPath(path)) return 'record';
  if (startupModuleOf(path) !== undefined) return 'startup-module';
  if (isStartFile(path)) return 'start';
  if (shadowFormat(path) !== undefined) return 'shadow';
  return undefined;
}

function detect(probe: Probe): string | undefined {
  switch (envFileKind(probe.path)) {
    case 'pth':
      return 'pth';
    case 'record':
      return RECORD_FORMAT;
    case 'startup-module':
      return 'sitecustomize';
    case 'start':
      return 'pep829-start';
    case 'shadow':
      return probe.installed === true ? undefined : shadowFormat(probe.path);
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
    case 'startup-module': {
      // The env scanner comes before the code scanner: the code rules still run on these modules when they apply.
      if (codeScanner.detect(probe, context.settings) !== undefined)
        await codeScanner.scan(absolutePath, probe, context);
      return scanStartupModule(absolutePath, probe, context);
    }
    case 'start':
      return scanStartFile(absolutePath, probe, context);
    case 'shadow':
      return scanShadowFile(absolutePath, probe, context);
    default:
      throw new ParseError('UNSUPPORTED', `not an environment file: ${probe.path}`);
  }
}

/**
 * Python environment files that run code at interpreter start-up (`.pth` and PEP 829 `.start` files in site
 * folders, `sitecustomize`/`usercustomize` modules) and RECORD files. The model scanner comes first and keeps `.pth`
 * files that are PyTorch checkpoints; this scanner comes before the code scanner and runs it on startup modules.
 */
export const envScanner: FileScanner = { rules: ENV_RULES, detect, scan };
