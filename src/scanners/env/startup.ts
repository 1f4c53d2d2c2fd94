import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LimitError, ParseError } from '../../core/errors.js';
import type { Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import type { Capability } from '../code/capabilities.js';
import { parseRecord, recordMatches } from '../deps/formats/record.js';
import { normalizeName } from '../deps/pep508/parse.js';
import { ownersOf, type FileOwner } from './pth-owner.js';
import { rateExecLine } from './pth-rate.js';
import { ENV_SITE_001, ENV_START_001, ENV_START_002 } from './startup-rules.js';

const MAX_EVIDENCE_CHARS = 160;

/**
 * Debian's and Ubuntu's `/etc/python3.x/sitecustomize.py` (linked from `/usr/lib/python3.x/`): the apport exception
 * hook, compared after normalizing line endings and trailing white space.
 */
const DEBIAN_APPORT_HOOK = "Debian's apport hook";
const APPORT_HOOK_SOURCE =
  '# install the apport exception handler if available\ntry:\n    import apport_python_hook\nexcept ImportError:\n' +
  '    pass\nelse:\n    apport_python_hook.install()\n';

/** The startup module a path names: `sitecustomize.py`, `usercustomize.py` or their `__init__.py` package form. */
export function startupModuleOf(path: string): 'sitecustomize' | 'usercustomize' | undefined {
  const parts = path.split(/[\\/]/);
  const name = parts.at(-1) ?? '';
  const folder = parts.at(-2) ?? '';
  for (const module of ['sitecustomize', 'usercustomize'] as const)
    if (name === `${module}.py` || (name === '__init__.py' && folder === module)) return module;
  return undefined;
}

/** PEP 829 `<name>.start` files, only in a `site-packages`/`dist-packages` folder, where `site` reads them. */
export function isStartFile(path: string): boolean {
  const parts = path.split(/[\\/]/);
  const name = parts.at(-1) ?? '';
  const folder = parts.at(-2) ?? '';
  return name.endsWith('.start') && name.length > '.start'.length && /^(site|dist)-packages$/.test(folder);
}

function normalizedHash(source: string): string {
  const normalized = source
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trimEnd();
  return createHash('sha256').update(normalized).digest('hex');
}

const APPORT_HOOK_HASH = normalizedHash(APPORT_HOOK_SOURCE);

/** The known-benign startup module this source is, by normalized content. */
export function knownBenignStartup(source: string): string | undefined {
  return normalizedHash(source) === APPORT_HOOK_HASH ? DEBIAN_APPORT_HOOK : undefined;
}

function evidenceOf(text: string): string {
  const first = text.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#')) ?? '';
  return first.length > MAX_EVIDENCE_CHARS ? `${first.slice(0, MAX_EVIDENCE_CHARS)}…` : first;
}

function decode(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ParseError('INVALID_VALUE', `${path} is not UTF-8 text`);
  }
}

/** Owners of `sitecustomize/__init__.py`: every RECORD in the site folder that lists the file with its folder. */
async function packageOwners(siteDir: string, relative: string, content: Uint8Array): Promise<FileOwner[]> {
  const owners: FileOwner[] = [];
  for (const folder of await readdir(siteDir, { withFileTypes: true })) {
    const match = /^(.+)-([^-]+)\.dist-info$/.exec(folder.name);
    const recordPath = join(siteDir, folder.name, 'RECORD');
    if (match === null || !folder.isDirectory() || !existsSync(recordPath)) continue;
    const [, name = '', version = ''] = match;
    for (const entry of parseRecord(await readFile(recordPath, 'utf8'), recordPath))
      if (entry.path.replace(/^\.\//, '') === relative)
        owners.push({
          display: `${name}==${version}`,
          normalizedName: normalizeName(name),
          source: 'RECORD',
          intact: recordMatches(entry, content),
        });
  }
  return owners;
}

function checkSize(probe: Probe, context: ScanContext): void {
  if (probe.size > context.settings.limits.maxFileBytes)
    throw new LimitError(
      'FILE_SIZE',
      `${probe.path} is larger than ${context.settings.limits.maxFileBytes} bytes`,
    );
}

/**
 * What an installed agent's start-up hook may do and still be only medium when its distribution's RECORD vouches
 * for it: read its settings from the environment (and import its own modules). Processes, connections, dynamic or
 * decoded code, file writes and native code stay critical whoever owns the module.
 */
const OWNED_HOOK_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['environment']);

function onlyReads(capabilities: readonly Capability[]): boolean {
  return capabilities.every((capability) => OWNED_HOOK_CAPABILITIES.has(capability));
}

/**
 * Rates a `sitecustomize`/`usercustomize` module the way `.pth` executable lines are rated, and attributes it to
 * the distribution whose RECORD lists it. Known-benign content and intact owned copies without dangerous calls are
 * inventory only (the returned format says so); an owned copy that matches its recorded hash and only reads the
 * environment is medium, with its owner named.
 */
export async function scanStartupModule(
  absolutePath: string,
  probe: Probe,
  context: ScanContext,
): Promise<ScanOutcome> {
  checkSize(probe, context);
  const module = startupModuleOf(probe.path) ?? 'sitecustomize';
  const content = await readFile(absolutePath);
  const source = decode(content, probe.path);
  const benign = knownBenignStartup(source);
  if (benign !== undefined) return { format: `${module} (${benign})` };
  const isPackage = basename(absolutePath) === '__init__.py';
  const owners = isPackage
    ? await packageOwners(dirname(dirname(absolutePath)), `${module}/__init__.py`, content)
    : await ownersOf(absolutePath, content);
  const intact = owners.filter((owner) => owner.intact !== false);
  const rating = await rateExecLine(source, () => {
    context.checkDeadline();
  });
  const where = isPackage ? `${module}/__init__.py` : basename(absolutePath);
  const owner = owners[0]?.display;
  const ownerNote =
    owners.length === 0
      ? 'no RECORD in its folder lists it'
      : intact.length === 0
        ? `it does not match the hash ${owners.map((o) => o.display).join(', ')} recorded for it`
        : `owned by ${intact.map((o) => o.display).join(', ')}`;
  const base = {
    ruleId: ENV_SITE_001.id,
    evidence: evidenceOf(source),
    ...(owner !== undefined && { package: owner }),
  };
  const verified = owners.filter((one) => one.intact === true).map((one) => one.display);
  if (rating.dangers.length > 0 && verified.length > 0 && onlyReads(rating.capabilities)) {
    context.report({
      ...base,
      message:
        `${where} runs at every Python start and calls ${rating.dangers.join(', ')}; it matches the RECORD hash ` +
        `of ${verified.join(', ')}, whose start-up hook it is: check that you installed that distribution on purpose`,
      severity: 'medium',
      confidence: 'high',
    });
  } else if (rating.dangers.length > 0) {
    context.report({
      ...base,
      message: `${where} runs at every Python start and calls ${rating.dangers.join(', ')}; ${ownerNote}`,
      severity: 'critical',
      confidence: 'high',
    });
  } else if (intact.length === 0) {
    const imports = rating.modules.length === 0 ? '' : ` and imports ${rating.modules.join(', ')}`;
    context.report({
      ...base,
      message: `${where} runs at every Python start${imports}; ${ownerNote}`,
    });
  }
  return { format: intact.length > 0 ? `${module} (${ownerNote})` : module };
}

/** `pkg.mod:callable` (the callable may be a dotted attribute path), as PEP 829 entry points are written. */
const ENTRY_POINT = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*:\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$/u;

/** Whether `module` (dotted) is a file, package, namespace folder or extension module under `siteDir`. */
export function moduleExists(siteDir: string, module: string): boolean {
  const parts = module.split('.');
  const last = parts.pop() ?? '';
  const folder = join(siteDir, ...parts);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return false;
  if (existsSync(join(folder, `${last}.py`)) || existsSync(join(folder, `${last}.pyc`))) return true;
  if (existsSync(join(folder, last))) return true;
  return readdirSync(folder).some((name) => name.startsWith(`${last}.`) && /\.(so|pyd)$/.test(name));
}

/**
 * Lists every entry point of a PEP 829 `.start` file and checks that its module is in the same site folder. A
 * line that is neither a comment, blank nor an entry point cannot be read the way Python will: unscannable.
 */
export async function scanStartFile(
  absolutePath: string,
  probe: Probe,
  context: ScanContext,
): Promise<ScanOutcome> {
  checkSize(probe, context);
  const text = decode(await readFile(absolutePath), probe.path).replace(/^\ufeff/, '');
  const siteDir = dirname(absolutePath);
  const name = basename(absolutePath);
  const entries: { line: number; text: string; module: string }[] = [];
  for (const [index, raw] of text.split(/\r\n|[\n\r]/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = ENTRY_POINT.exec(line);
    if (match === null)
      throw new ParseError(
        'BAD_STRUCTURE',
        `${probe.path} line ${index + 1} is not a pkg.mod:callable entry point`,
      );
    entries.push({ line: index + 1, text: line, module: match[1] ?? '' });
  }
  for (const entry of entries) {
    context.checkDeadline();
    if (!moduleExists(siteDir, entry.module))
      context.report({
        ruleId: ENV_START_001.id,
        message: `${name} calls ${entry.text} at every Python 3.15+ start, but ${entry.module} is not in its folder: it will be imported from elsewhere on sys.path`,
        line: entry.line,
        evidence: entry.text,
      });
    context.report({
      ruleId: ENV_START_002.id,
      message: `${name} calls ${entry.text} at every Python 3.15+ start`,
      line: entry.line,
      evidence: entry.text,
    });
  }
  return { format: 'pep829-start' };
}
