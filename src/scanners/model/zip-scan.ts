import { LimitError } from '../../core/errors.js';
import { reportUnreadable } from '../../core/unreadable.js';
import { Crc32Source } from '../../targets/crc-source.js';
import { RATIO_GRACE_BYTES } from '../../targets/decompress.js';
import { RangeAccess } from '../../targets/memory.js';
import { BufferedReader } from '../../targets/reader.js';
import type { RandomAccess } from '../../targets/source.js';
import { READABLE_METHODS, openZipEntry, storedRange } from '../../targets/zip-entry.js';
import {
  METHOD_DEFLATED,
  METHOD_STORED,
  SECURITY_FLAGS,
  isZipSymlink,
  localHeaderMismatches,
  readLocalHeader,
  type LocalHeader,
  type ZipDirectory,
  type ZipEntry,
} from '../../targets/zip.js';
import { joinMember, type Content } from './content.js';
import { ArchiveReporter } from './archive-report.js';
import { checkLinkTarget, checkMemberName, zipLinkTarget } from './archive-names.js';
import { decompressLimits } from './decompression-budget.js';
import { isFileWide, type Scope } from './scope.js';
import { scanKerasConfig } from './keras.js';
import { TorchScriptCode, describeTorchArchive, isTorchScriptCode } from './torchscript-code.js';

export type ZipFlavour = 'pytorch-zip' | 'torchscript' | 'npz' | 'keras' | 'zip';

/** `<root>/data.pkl`, the pickle `torch.save` writes into its zip archive. */
export function isTorchDataPickle(name: string): boolean {
  return /^[^/]+\/data\.pkl$/.test(name);
}

/**
 * What the member names say the archive is. torch.load treats a zip with `constants.pkl` under its root folder
 * as TorchScript (`_is_torchscript_zip`), one with `data.pkl` as a `torch.save` archive; numpy writes `.npz`
 * as a zip of `.npy` members. Keras 3 writes `.keras` archives with `config.json` and `metadata.json` at the
 * root (and `model.weights.h5`); a root `config.json` under a `.keras` name is Keras too.
 */
function zipFlavour(entries: readonly ZipEntry[], name: string): ZipFlavour {
  const names = new Set(entries.map((entry) => entry.name));
  if (names.has('config.json') && (names.has('metadata.json') || name.toLowerCase().endsWith('.keras'))) {
    return 'keras';
  }
  if (entries.some((entry) => /^[^/]+\/constants\.pkl$/.test(entry.name))) return 'torchscript';
  if (entries.some((entry) => isTorchDataPickle(entry.name))) return 'pytorch-zip';
  if (entries.length > 0 && entries.every((entry) => entry.name.endsWith('.npy'))) return 'npz';
  return 'zip';
}

/** Tensor storages (`<root>/data/<key>`) and `.data/` records, which torch reads as raw bytes, never as pickles. */
function isTensorStorage(name: string): boolean {
  return /^[^/]+\/(?:data\/\d+|\.data\/.*)$/.test(name);
}

function reportDirectoryProblems(
  scope: Scope,
  reporter: ArchiveReporter,
  parent: Content,
  directory: ZipDirectory,
): void {
  if (directory.truncated) {
    const limit = scope.context.settings.limits.maxArchiveMembers;
    reportUnreadable(
      scope.context,
      new LimitError(
        'MEMBER_COUNT',
        `archive lists more than ${limit} members; only the first ${limit} were scanned`,
      ),
      parent.member,
    );
  } else if (directory.declaredEntries !== directory.entries.length) {
    reporter.report(
      parent.member,
      'ENTRY_COUNT',
      `End record declares ${directory.declaredEntries} members, the central directory lists ${directory.entries.length}`,
    );
  }
  const seen = new Map<string, number>();
  for (const entry of directory.entries) seen.set(entry.name, (seen.get(entry.name) ?? 0) + 1);
  for (const [name, count] of seen) {
    if (count > 1) {
      reporter.report(
        joinMember(parent.member, name),
        'DUPLICATE_NAME',
        `Member name appears ${count} times`,
      );
    }
  }
}

/**
 * Scans every member of a zip whose central directory has been read, the way torch's miniz reader reads it:
 * whatever the headers claim about CRC, flags or names, the data the central directory points to is scanned.
 * Each disagreement between what loaders and `zipfile`-based tools would see is reported (MODEL-ARCHIVE-001),
 * and each member name or symlink that extraction would place outside the target folder (MODEL-BUNDLE-001).
 */
export async function scanZipMembers(
  scope: Scope,
  parent: Content,
  access: RandomAccess,
  directory: ZipDirectory,
): Promise<ZipFlavour> {
  const flavour = zipFlavour(directory.entries, parent.name);
  const reporter = new ArchiveReporter(scope, parent.member);
  const code = flavour === 'torchscript' ? new TorchScriptCode(scope) : undefined;
  try {
    reportDirectoryProblems(scope, reporter, parent, directory);
    await scanEntries(scope, reporter, parent, access, directory.entries, flavour, code);
  } finally {
    reporter.summarise();
  }
  if (flavour === 'pytorch-zip' || flavour === 'torchscript') {
    describeTorchArchive(scope, parent.member, flavour, directory.entries, code);
  }
  return flavour;
}

/** Checks and scans each member, reporting a member's problems without stopping at it. */
async function scanEntries(
  scope: Scope,
  reporter: ArchiveReporter,
  parent: Content,
  access: RandomAccess,
  entries: readonly ZipEntry[],
  flavour: ZipFlavour,
  code: TorchScriptCode | undefined,
): Promise<void> {
  const torch = flavour === 'pytorch-zip' || flavour === 'torchscript';
  for (const entry of entries) {
    scope.context.checkDeadline();
    const label = joinMember(parent.member, entry.name);
    checkMemberName(reporter, label, entry.name);
    if (entry.name.endsWith('/') && entry.uncompressedSize === 0) continue;
    try {
      const local = await readLocalHeader(access, entry);
      const mismatches = localHeaderMismatches(entry, local);
      if (mismatches.length > 0) {
        reporter.report(
          label,
          'LOCAL_HEADER_MISMATCH',
          `Local header disagrees with the central directory: ${mismatches.join('; ')}`,
        );
      }
      const flags = (entry.flags | local.flags) & SECURITY_FLAGS;
      if (flags !== 0) {
        reporter.report(
          label,
          `FLAG_BITS 0x${flags.toString(16)}`,
          `Encryption/patch flag bits 0x${flags.toString(16)} set: zipfile refuses the member, torch reads it as plain data`,
        );
      }
      if (isZipSymlink(entry)) {
        // Its data is the link target, which `unzip` turns into a link; Python's zipfile writes it as a file.
        const target = await zipLinkTarget(access, entry, local, decompressLimits(scope.context), label);
        checkLinkTarget(reporter, label, entry.name, 'symbolic', target);
        continue;
      }
      if (torch && isTensorStorage(entry.name)) continue;
      if (declaresBomb(entry, scope.context.settings.limits.maxCompressionRatio)) {
        // Said up front from the central directory, so a bomb gets a clear finding even when its content would
        // never be inflated (a member no scanner claims). Streaming decompression enforces the real ratio too.
        throw new LimitError(
          'COMPRESSION_RATIO',
          `member declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed bytes, a ratio above ${scope.context.settings.limits.maxCompressionRatio}`,
        );
      }
      // miniz reads stored and deflated members only; zipfile reads more. In a torch archive any other method
      // means torch and zip tools see different data; anywhere, a method nobody decodes hides the member.
      if (
        (torch && entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) ||
        !READABLE_METHODS.has(entry.method)
      ) {
        const readers = READABLE_METHODS.has(entry.method)
          ? 'zip tools read it, torch does not'
          : 'no loader can read it';
        reporter.report(
          label,
          `UNSUPPORTED_METHOD ${entry.method}`,
          `Compression method ${entry.method}: ${readers}`,
        );
      }
      await scanMember(scope, reporter, access, entry, local, label, parent.depth + 1, flavour, code);
    } catch (error) {
      if (isFileWide(error)) throw error;
      reportUnreadable(scope.context, error, label);
    }
  }
}

async function scanMember(
  scope: Scope,
  reporter: ArchiveReporter,
  access: RandomAccess,
  entry: ZipEntry,
  local: LocalHeader,
  label: string,
  depth: number,
  flavour: ZipFlavour,
  code: TorchScriptCode | undefined,
): Promise<void> {
  const source = new Crc32Source(
    await openZipEntry(access, entry, local, decompressLimits(scope.context), label),
  );
  const range = storedRange(entry, local);
  const content: Content = {
    member: label,
    name: entry.name,
    depth,
    reader: new BufferedReader(source, 64 * 1024),
    access: range === undefined ? undefined : new RangeAccess(access, range.offset, range.length, label),
    size: entry.uncompressedSize,
    torchScript: flavour === 'torchscript',
  };
  try {
    // The weights member (`model.weights.h5`) is classified like any member: HDF5, read by keras-h5.ts.
    if (flavour === 'keras' && entry.name === 'config.json') await scanKerasConfig(scope, content);
    // TorchScript source is text the loader compiles, not a model file: it is tokenised, never classified.
    else if (code !== undefined && isTorchScriptCode(entry.name)) await code.scan(content);
    else await scope.scan(content);
  } finally {
    await source.close();
  }
  // Only members read to the end can be checked; torch never checks, zipfile refuses on mismatch.
  if (!source.ended) return;
  if (source.position !== entry.uncompressedSize) {
    reporter.report(
      label,
      'SIZE_MISMATCH',
      `Member holds ${source.position} bytes, the central directory says ${entry.uncompressedSize}`,
    );
  } else if (source.value !== undefined && source.value !== entry.crc32) {
    reporter.report(
      label,
      'CRC_MISMATCH',
      `CRC-32 of the data is ${hex(source.value)}, the header says ${hex(entry.crc32)}`,
    );
  }
}

function declaresBomb(entry: ZipEntry, maxRatio: number): boolean {
  return (
    entry.uncompressedSize > RATIO_GRACE_BYTES && entry.uncompressedSize > maxRatio * entry.compressedSize
  );
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
