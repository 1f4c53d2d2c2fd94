import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readPth } from './pth-lines.js';

/**
 * What one site folder holds, read without importing anything: its installed distributions and its startup
 * hooks. A `.pth` file too large to read here counts as a hook, since it cannot be shown not to be one.
 */
export interface SiteFacts {
  readonly distributions: number;
  readonly startupHooks: number;
}

const STARTUP_MODULES = new Set(['sitecustomize', 'usercustomize']);

async function hasExecLines(path: string, maxBytes: number): Promise<boolean> {
  try {
    if ((await stat(path)).size > maxBytes) return true;
    return readPth(await readFile(path)).lines.some((line) => line.kind === 'exec');
  } catch {
    // Unreadable: the scan reports the file itself; here it cannot be ruled out.
    return true;
  }
}

export async function siteFacts(folder: string, maxBytes: number): Promise<SiteFacts> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return { distributions: 0, startupHooks: 0 };
  }
  let distributions = 0;
  let startupHooks = 0;
  for (const entry of entries) {
    const { name } = entry;
    if (/\.(?:dist|egg)-info$/.test(name)) distributions++;
    else if (name.toLowerCase().endsWith('.pth') && entry.isFile()) {
      if (await hasExecLines(join(folder, name), maxBytes)) startupHooks++;
    } else if (name.endsWith('.start') && name.length > '.start'.length && entry.isFile()) startupHooks++;
    else if (name.endsWith('.py') && STARTUP_MODULES.has(name.slice(0, -3))) startupHooks++;
    else if (entry.isDirectory() && STARTUP_MODULES.has(name)) startupHooks++;
  }
  return { distributions, startupHooks };
}

function majorMinor(text: string | undefined): string | undefined {
  const match = /^\s*(\d+)\.(\d+)/.exec(text ?? '');
  return match === null ? undefined : `${match[1] ?? ''}.${match[2] ?? ''}`;
}

/** `version` (venv, uv) or `version_info` (virtualenv) of a `pyvenv.cfg`, as `X.Y`. */
export async function venvPython(root: string): Promise<string | undefined> {
  let text;
  try {
    text = await readFile(join(root, 'pyvenv.cfg'), 'utf8');
  } catch {
    return undefined;
  }
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim());
  }
  return majorMinor(values.get('version') ?? values.get('version_info'));
}

/** The version of the `python` package a conda environment's `conda-meta/` records, as `X.Y`. */
export async function condaPython(root: string): Promise<string | undefined> {
  try {
    for (const name of await readdir(join(root, 'conda-meta'))) {
      const match = /^python-(\d+\.\d+)[^-]*-[^-]+\.json$/.exec(name);
      if (match !== null) return match[1];
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** `X.Y` from a site folder's path: `lib/python3.11/site-packages`, Windows user site `Python311/site-packages`. */
export function pathPython(segments: readonly string[]): string | undefined {
  const parent = segments.at(-2) ?? '';
  const unix = /^python(\d+\.\d+)t?$/.exec(parent);
  if (unix !== null) return unix[1];
  const windows = /^Python(\d)(\d+)t?$/.exec(parent);
  return windows === null ? undefined : `${windows[1] ?? ''}.${windows[2] ?? ''}`;
}
