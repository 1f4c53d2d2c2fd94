import { existsSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import type { Severity } from '../../core/severity.js';
import { ENV_SHADOW_001 } from './shadow-rules.js';
import { targetsOf } from './python-target.js';
import { shadowedIn, type PythonVersion } from './shadow-stdlib.js';

/** How a file provides a module: source, sourceless bytecode, a package's `__init__.py`, or a compiled extension. */
export type ShadowKind = 'source' | 'bytecode' | 'package' | 'extension';

export interface ShadowCandidate {
  readonly module: string;
  readonly kind: ShadowKind;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SOURCE = /^([A-Za-z_][A-Za-z0-9_]*)\.py$/;
/** Only `name.pyc` beside its folder's modules is importable; `__pycache__/name.cpython-311.pyc` needs a source. */
const BYTECODE = /^([A-Za-z_][A-Za-z0-9_]*)\.pyc$/;
/** `importlib.machinery.EXTENSION_SUFFIXES` on Linux/macOS and on Windows. */
const EXTENSION =
  /^([A-Za-z_][A-Za-z0-9_]*)(?:(?:\.cpython-\d+[a-z]*-[A-Za-z0-9_-]+|\.abi3)?\.so|(?:\.cp\d+t?-[A-Za-z0-9_-]+)?\.pyd)$/;

/**
 * Modules every start has imported before `sys.path[0]` is consulted (`site` and what it needs; frozen since
 * 3.11), so a file of that name is only picked up by `python -S` on 3.10 or embedded interpreters.
 */
const IMPORTED_AT_STARTUP = new Set([
  'abc',
  'codecs',
  'encodings',
  'genericpath',
  'io',
  'ntpath',
  'os',
  'posixpath',
  'site',
  'stat',
  'zipimport',
  '_collections_abc',
  '_sitebuiltins',
]);

/** Modules whose replacement hands an attacker secrets, randomness, parsing, processes or the network. */
const SECURITY_RELEVANT = new Set([
  'base64',
  'binascii',
  'builtins',
  'ctypes',
  'hashlib',
  'hmac',
  'http',
  'importlib',
  'json',
  'logging',
  'marshal',
  'pickle',
  'platform',
  'random',
  'readline',
  'rlcompleter',
  'secrets',
  'select',
  'shlex',
  'shutil',
  'socket',
  'ssl',
  'subprocess',
  'tempfile',
  'typing',
  'enum',
  'urllib',
  'uuid',
  'zlib',
  'zipfile',
  'tarfile',
  'xml',
  'sqlite3',
  'ftplib',
  'smtplib',
  'getpass',
  'runpy',
  'pty',
  'copyreg',
  'warnings',
  're',
  'collections',
  'functools',
  'contextlib',
  'dataclasses',
  'pathlib',
  'threading',
  'asyncio',
  'email',
  'mimetypes',
  'webbrowser',
  '_json',
  '_pickle',
  '_ssl',
  '_hashlib',
  '_random',
  '_socket',
  '_posixsubprocess',
  '_sha1',
  '_sha2',
  '_sha256',
  '_sha512',
  '_sha3',
  '_md5',
  '_blake2',
  '_sqlite3',
  '_ctypes',
  '_struct',
  'struct',
]);

/** The module a file provides when its folder is on `sys.path`, judged by its name alone. */
export function shadowCandidate(path: string): ShadowCandidate | undefined {
  const name = basename(path);
  const folder = basename(dirname(path));
  if (name === '__init__.py')
    return IDENTIFIER.test(folder) ? { module: folder, kind: 'package' } : undefined;
  const source = SOURCE.exec(name);
  if (source?.[1] !== undefined) return { module: source[1], kind: 'source' };
  const bytecode = BYTECODE.exec(name);
  if (bytecode?.[1] !== undefined && folder !== '__pycache__')
    return { module: bytecode[1], kind: 'bytecode' };
  const extension = EXTENSION.exec(name);
  if (extension?.[1] !== undefined) return { module: extension[1], kind: 'extension' };
  return undefined;
}

/**
 * Folders that come after the standard library on `sys.path` (`site-packages`, `dist-packages`) or are the
 * standard library (`lib/python3.11`, `lib-dynload`, Windows `Lib` and `DLLs`).
 */
function inEnvironment(absolutePath: string): boolean {
  const parts = absolutePath.split(sep === '/' ? '/' : /[\\/]/);
  return parts.some(
    (part, index) =>
      part === 'site-packages' ||
      part === 'dist-packages' ||
      part === 'lib-dynload' ||
      part === 'Lib' ||
      part === 'DLLs' ||
      (/^python\d+(?:\.\d+)?t?$/.test(part) && /^lib(?:64)?$/.test(parts[index - 1] ?? '')),
  );
}

function isPackage(folder: string): boolean {
  return existsSync(join(folder, '__init__.py')) || existsSync(join(folder, '__init__.pyc'));
}

/**
 * The format of a bytecode or extension module named like a standard-library module, which the environment
 * scanner claims by name (`.py` sources and packages are the code scanner's, which runs the check on them too).
 */
export function shadowFormat(path: string): 'python-bytecode' | 'python-extension' | undefined {
  const candidate = shadowCandidate(path);
  if (candidate === undefined || shadowedIn(candidate.module).length === 0) return undefined;
  if (candidate.kind === 'bytecode') return 'python-bytecode';
  return candidate.kind === 'extension' ? 'python-extension' : undefined;
}

function severityOf(candidate: ShadowCandidate): Severity {
  if (candidate.kind === 'extension') return 'high';
  if (IMPORTED_AT_STARTUP.has(candidate.module)) return 'low';
  return SECURITY_RELEVANT.has(candidate.module) ? 'medium' : 'low';
}

function versionsText(versions: readonly PythonVersion[]): string {
  const first = versions[0];
  const last = versions[versions.length - 1];
  if (first === undefined || last === undefined || first === last) return `Python ${first ?? ''}`;
  // Modules only ever join or leave the standard library once, so the versions are a contiguous range.
  return `Python ${first}–${last}`;
}

const WHAT: Record<ShadowKind, string> = {
  source: 'module',
  bytecode: 'sourceless bytecode module',
  package: 'package',
  extension: 'compiled extension module',
};

/**
 * Reports ENV-SHADOW-001 when the file provides a top-level module (in a folder that is not a package, so one that
 * can be `sys.path[0]`) named like a standard-library module of the target Pythons (the scan's, by default). Installed files and the
 * standard library itself are left alone: they come after, or are, what is shadowed.
 */
export function checkShadowing(
  absolutePath: string,
  probe: Probe,
  context: ScanContext,
  targets: readonly PythonVersion[] = targetsOf(context.settings.pythonTargets),
): void {
  if (probe.installed === true) return;
  const candidate = shadowCandidate(probe.path);
  if (candidate === undefined) return;
  const versions = shadowedIn(candidate.module, targets);
  if (versions.length === 0 || inEnvironment(absolutePath)) return;
  const folder = candidate.kind === 'package' ? dirname(dirname(absolutePath)) : dirname(absolutePath);
  if (isPackage(folder)) return;
  const startup = IMPORTED_AT_STARTUP.has(candidate.module)
    ? ` Python imports \`${candidate.module}\` while starting, before that folder is searched, so this bites ` +
      'only under `python -S` on 3.10 or in embedded interpreters.'
    : '';
  context.report({
    ruleId: ENV_SHADOW_001.id,
    message:
      `${WHAT[candidate.kind]} \`${candidate.module}\` shadows the standard-library module of that name ` +
      `(${versionsText(versions)}): \`python script.py\` from this folder, or \`python -m\`, \`-c\` and the REPL ` +
      `run in it, put the folder first on \`sys.path\`, so \`import ${candidate.module}\` loads this file.` +
      startup +
      ' Rename it, or run Python with `-P`, `PYTHONSAFEPATH=1` or `-I`.',
    evidence: candidate.kind === 'package' ? `${candidate.module}/__init__.py` : basename(absolutePath),
    severity: severityOf(candidate),
  });
}

/** Scans a bytecode or extension module {@link shadowFormat} claimed; its content is never read. */
export function scanShadowFile(absolutePath: string, probe: Probe, context: ScanContext): ScanOutcome {
  checkShadowing(absolutePath, probe, context);
  return { format: shadowFormat(probe.path) ?? 'python-extension' };
}
