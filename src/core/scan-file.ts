import type { PackageRecord } from './package-record.js';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { readFully } from '../targets/file.js';
import { CollectingContext } from './context.js';
import { LimitError } from './errors.js';
import type { RawFinding } from './finding.js';
import type { ModelPart } from './model-part.js';
import { PROBE_BYTES, type FileScanner, type Probe, type ScanSettings } from './scanner.js';
import { reportUnreadable } from './unreadable.js';

/** What scanning one file produced. Plain data: it crosses the worker-thread boundary. */
export interface FileOutcome {
  readonly absolutePath: string;
  readonly displayPath: string;
  readonly format: string;
  readonly size: number;
  readonly findings: readonly RawFinding[];
  /** What the scanner learnt about the models in the file (ML-BOM, `inspect`). */
  readonly models?: readonly ModelPart[];
  /** The dependencies the file declares (SBOM). */
  readonly packages?: readonly PackageRecord[];
  /** Lower-case hex SHA-256 of the whole file, when {@link ScanSettings.hashes} asked for it. */
  readonly sha256?: string;
}

export interface FileTask {
  readonly absolutePath: string;
  readonly displayPath: string;
  /** In an environment's `site-packages` below the scan argument (see `WalkedFile.installed`). */
  readonly installed?: true;
}

/**
 * Classifies one file by content and runs the first scanner that claims it. Returns undefined when no scanner
 * claims the file (it is not examined). Never throws for problems with the file's content: those become
 * findings, so every examined file gets a verdict.
 */
export async function scanFile(
  task: FileTask,
  scanners: readonly FileScanner[],
  settings: ScanSettings,
): Promise<FileOutcome | undefined> {
  let probe: Probe;
  try {
    probe = readProbe(task);
  } catch (error) {
    // A file we cannot even open is examined but unread: fail closed rather than skip it silently.
    const context = new CollectingContext(settings);
    reportUnreadable(context, error);
    return { ...task, format: 'unknown', size: 0, findings: context.findings };
  }
  for (const scanner of scanners) {
    const detected = scanner.detect(probe, settings);
    if (detected === undefined) continue;
    const context = new CollectingContext(settings);
    let format = detected;
    let models: readonly ModelPart[] = [];
    let packages: readonly PackageRecord[] = [];
    if (probe.size > settings.limits.maxFileBytes) {
      reportUnreadable(
        context,
        new LimitError(
          'FILE_SIZE',
          `file has ${probe.size} bytes, more than the limit of ${settings.limits.maxFileBytes}`,
        ),
      );
    } else {
      try {
        const outcome = await scanner.scan(task.absolutePath, probe, context);
        format = outcome.format;
        models = outcome.models ?? [];
        packages = outcome.packages ?? [];
      } catch (error) {
        reportUnreadable(context, error);
      }
    }
    const sha256 = settings.hashes === true ? await hashFile(task.absolutePath) : undefined;
    return {
      ...task,
      format,
      size: probe.size,
      findings: context.findings,
      ...(models.length > 0 && { models }),
      ...(packages.length > 0 && { packages }),
      ...(sha256 !== undefined && { sha256 }),
    };
  }
  return undefined;
}

/** SHA-256 of the file, streamed so memory stays flat; undefined when the file cannot be read again. */
async function hashFile(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
    }
  } catch {
    // The scan itself already reported why the file is unreadable; the BOM just lacks the hash.
    return undefined;
  }
  return hash.digest('hex');
}

function readProbe(task: FileTask): Probe {
  // Synchronous for the same reason as FileAccess: see src/targets/file.ts.
  const fd = openSync(task.absolutePath, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, PROBE_BYTES));
    const bytesRead = readFully(fd, head, 0, head.length, 0);
    return {
      path: task.displayPath,
      head: head.subarray(0, bytesRead),
      size,
      ...(task.installed === true && { installed: true }),
    };
  } finally {
    closeSync(fd);
  }
}
