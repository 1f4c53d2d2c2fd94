import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { messageOf, MlsecError } from '../core/errors.js';
import { cacheDirectory, loadIndex } from '../scanners/deps/osv/cache.js';

/** OSV.dev's export of every PyPI record (PYSEC, GHSA, MAL) as one zip of `<ID>.json` files. */
export const OSV_PYPI_URL = 'https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip';
/** The export is some tens of megabytes; the cap stops a misbehaving mirror from filling the disk. */
const MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024;
const TIMEOUT_MS = 300_000;

export type DownloadErrorCode = 'DOWNLOAD_FAILED';
export class DownloadError extends MlsecError<DownloadErrorCode> {}

function causeOf(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? `: ${messageOf(error.cause)}` : '';
  return `${messageOf(error)}${cause}`;
}

/** Streams the response body to `file`, refusing more than {@link MAX_DOWNLOAD_BYTES}. */
async function download(url: string, file: string): Promise<number> {
  const failed = (reason: string): DownloadError =>
    new DownloadError(
      'DOWNLOAD_FAILED',
      `cannot download ${url}: ${reason}. Without network access, copy all.zip from a connected machine and pass it with --db`,
    );
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw failed(causeOf(error));
  }
  if (!response.ok || response.body === null) throw failed(`HTTP ${response.status} ${response.statusText}`);
  const out = createWriteStream(file);
  // Node 20's lib types leave the body's chunk type open; fetch bodies are bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let written = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      written += value.length;
      if (written > MAX_DOWNLOAD_BYTES) throw failed(`more than ${MAX_DOWNLOAD_BYTES} bytes`);
      if (!out.write(value))
        await new Promise<void>((drained) =>
          out.once('drain', () => {
            drained();
          }),
        );
    }
  } catch (error) {
    throw error instanceof DownloadError ? error : failed(causeOf(error));
  } finally {
    await new Promise<void>((closed) =>
      out.end(() => {
        closed();
      }),
    );
  }
  return written;
}

/**
 * `mlsec db update`: downloads OSV.dev's PyPI `all.zip` into the cache folder (or `--dir`), checks that it loads,
 * builds its index cache, and only then replaces the previous copy, so a failed update leaves the old one usable.
 */
export function dbCommand(): Command {
  const db = new Command('db').description('Manage the offline OSV vulnerability database.');
  db.command('update')
    // Subcommands do not inherit the program's exitOverride: errors must reach main's handler, not process.exit.
    .exitOverride()
    .description(`Download OSV.dev's PyPI database (${OSV_PYPI_URL}) for --db.`)
    .option('--dir <dir>', 'folder to store PyPI-all.zip in (default: the mlsec cache folder)')
    .option('--url <url>', 'download from this URL instead (a mirror); also MLSEC_OSV_URL')
    .action(async (flags: { dir?: string; url?: string }) => {
      const directory = flags.dir === undefined ? cacheDirectory() : resolve(flags.dir);
      const url = flags.url ?? process.env.MLSEC_OSV_URL ?? OSV_PYPI_URL;
      await mkdir(directory, { recursive: true });
      const target = join(directory, 'PyPI-all.zip');
      // Named .zip so that the loader reads it as one; renamed over the target only once it loads.
      const partial = join(directory, `.PyPI-all.${process.pid}.download.zip`);
      try {
        const bytes = await download(url, partial);
        const index = await loadIndex(partial, { cacheDir: false }).catch((error: unknown) => {
          throw new DownloadError(
            'DOWNLOAD_FAILED',
            `the download from ${url} is not an OSV database: ${messageOf(error)}`,
          );
        });
        await rename(partial, target);
        await loadIndex(target);
        process.stdout.write(
          `${target}: ${bytes} bytes, ${index.records} records, newest ${index.newestModified.slice(0, 10)}\nUse it with: mlsec scan PATH --db ${target}\n`,
        );
      } finally {
        await rm(partial, { force: true });
      }
    });
  return db;
}
