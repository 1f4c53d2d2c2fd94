import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { ConfigError, messageOf } from '../errors.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import type { DependencySettings, ScanSettings } from '../scanner.js';
import type { SelectionLayer } from '../selection.js';
import { isSeverity, type Severity } from '../severity.js';
import { CONFIG_SCHEMA, type ConfigFile, type IgnoreEntry } from './schema.js';
import { parseSize } from './sizes.js';

export type FailOn = Severity | 'none';

export interface ResolvedConfig {
  /** The file the configuration came from, if any. */
  readonly source: string | undefined;
  /** Directory that include/exclude/ignore globs are relative to. */
  readonly root: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly failOn: FailOn | undefined;
  readonly settings: ScanSettings;
  readonly ignores: readonly IgnoreEntry[];
  /** The `[rules]` table, when the file has one. */
  readonly ruleSelection: SelectionLayer | undefined;
}

/** Never worth scanning, and large: version-control and JavaScript dependency folders. */
export const DEFAULT_EXCLUDES = ['**/.git/**', '**/node_modules/**'];

/**
 * Compiles the schema validator on first use: most scans have no configuration file, and loading and compiling
 * ajv would otherwise add a tenth of a second to every start.
 */
let validator: ValidateFunction<ConfigFile> | undefined;
async function validatorFor(): Promise<ValidateFunction<ConfigFile>> {
  if (validator === undefined) {
    const { Ajv } = await import('ajv');
    validator = new Ajv({ allErrors: true, allowUnionTypes: true }).compile<ConfigFile>(CONFIG_SCHEMA);
  }
  return validator;
}

/**
 * Finds the configuration for a scan: `--config FILE` when given; otherwise, from `start` upward, the first
 * directory with `.mlsec.toml` (whole file) or a `pyproject.toml` that has a `[tool.mlsec]` table.
 */
export async function loadConfig(start: string, explicitFile?: string): Promise<ResolvedConfig> {
  if (explicitFile !== undefined) {
    const file = resolve(explicitFile);
    const text = await readText(file);
    if (text === undefined)
      throw new ConfigError('CONFIG_NOT_FOUND', `configuration file not found: ${file}`);
    const table = file.endsWith('pyproject.toml')
      ? toolTable(parseTomlFile(text, file))
      : parseTomlFile(text, file);
    return resolveConfig(table ?? {}, file);
  }
  let directory = resolve(start);
  if (!(await isDirectory(directory))) directory = dirname(directory);
  for (;;) {
    const dotFile = join(directory, '.mlsec.toml');
    const dotText = await readText(dotFile);
    if (dotText !== undefined) return resolveConfig(parseTomlFile(dotText, dotFile), dotFile);
    const pyproject = join(directory, 'pyproject.toml');
    const pyprojectText = await readText(pyproject);
    if (pyprojectText !== undefined) {
      const table = toolTable(parseTomlFile(pyprojectText, pyproject));
      if (table !== undefined) return resolveConfig(table, pyproject);
    }
    const parent = dirname(directory);
    if (parent === directory) return resolveConfig({}, undefined, resolve(start));
    directory = parent;
  }
}

async function resolveConfig(
  raw: unknown,
  source: string | undefined,
  fallbackRoot?: string,
): Promise<ResolvedConfig> {
  // Without a file there is nothing to validate: the defaults are valid by construction.
  const config = source === undefined ? {} : await validated(normaliseDates(raw), source);
  const failOn = config['fail-on'];
  if (failOn !== undefined && failOn !== 'none' && !isSeverity(failOn)) {
    throw new ConfigError('CONFIG_INVALID', `invalid fail-on "${failOn}" in ${source ?? 'defaults'}`);
  }
  return {
    source,
    root: source === undefined ? (fallbackRoot ?? process.cwd()) : dirname(source),
    include: config.include ?? [],
    exclude: [...DEFAULT_EXCLUDES, ...(config.exclude ?? [])],
    failOn,
    settings: {
      limits: resolveLimits(config.limits, source),
      pickle: {
        allowGlobals: config.pickle?.['allow-globals'] ?? [],
        denyGlobals: config.pickle?.['deny-globals'] ?? [],
      },
      ...(config.deps !== undefined && { deps: depsSettingsOf(config.deps, source) }),
      ...(config['python-version'] !== undefined && { pythonVersion: config['python-version'] }),
    },
    ignores: config.ignore ?? [],
    ruleSelection: selectionOf(config.rules, source),
  };
}

/** The `[deps]` table, with its paths made absolute against the configuration file's directory. */
function depsSettingsOf(
  deps: NonNullable<ConfigFile['deps']>,
  source: string | undefined,
): DependencySettings {
  const base = source === undefined ? process.cwd() : dirname(source);
  return {
    ...(deps.db !== undefined && { db: resolve(base, deps.db) }),
    ...(deps.popular !== undefined && { popular: resolve(base, deps.popular) }),
    ...(deps['internal-prefixes'] !== undefined && { internalPrefixes: deps['internal-prefixes'] }),
  };
}

function selectionOf(rules: ConfigFile['rules'], source: string | undefined): SelectionLayer | undefined {
  if (rules === undefined || source === undefined) return undefined;
  return {
    source,
    ...(rules.select !== undefined && { select: rules.select }),
    ...(rules['extend-select'] !== undefined && { extendSelect: rules['extend-select'] }),
    ...(rules.ignore !== undefined && { ignore: rules.ignore }),
  };
}

async function validated(table: unknown, source: string): Promise<ConfigFile> {
  const validate = await validatorFor();
  if (validate(table)) return table;
  const problems = (validate.errors ?? [])
    .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`)
    .join('; ');
  throw new ConfigError('CONFIG_INVALID', `invalid configuration in ${source}: ${problems}`);
}

function resolveLimits(limits: ConfigFile['limits'], source: string | undefined): Limits {
  const sizeOf = (key: 'max-file-size' | 'max-decompressed-size', fallback: number): number => {
    const value = limits?.[key];
    if (value === undefined) return fallback;
    const bytes = parseSize(value);
    if (bytes === undefined) {
      throw new ConfigError('CONFIG_INVALID', `invalid size for limits.${key} in ${source ?? 'defaults'}`);
    }
    return bytes;
  };
  return {
    maxFileBytes: sizeOf('max-file-size', DEFAULT_LIMITS.maxFileBytes),
    maxDecompressedBytes: sizeOf('max-decompressed-size', DEFAULT_LIMITS.maxDecompressedBytes),
    maxCompressionRatio: limits?.['max-compression-ratio'] ?? DEFAULT_LIMITS.maxCompressionRatio,
    maxNestingDepth: limits?.['max-nesting-depth'] ?? DEFAULT_LIMITS.maxNestingDepth,
    maxArchiveMembers: limits?.['max-archive-members'] ?? DEFAULT_LIMITS.maxArchiveMembers,
    maxStackDepth: limits?.['max-stack-depth'] ?? DEFAULT_LIMITS.maxStackDepth,
    maxMemoEntries: limits?.['max-memo-entries'] ?? DEFAULT_LIMITS.maxMemoEntries,
    maxOpcodes: limits?.['max-opcodes'] ?? DEFAULT_LIMITS.maxOpcodes,
    timeoutMs: limits?.timeout === undefined ? DEFAULT_LIMITS.timeoutMs : limits.timeout * 1000,
  };
}

function parseTomlFile(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    throw new ConfigError('CONFIG_PARSE', `cannot parse ${file}: ${messageOf(error)}`, { cause: error });
  }
}

function toolTable(document: Record<string, unknown>): unknown {
  const tool = document.tool;
  if (typeof tool !== 'object' || tool === null) return undefined;
  return (tool as Record<string, unknown>).mlsec;
}

/** TOML has a date type; people write `expires = 2027-01-01` unquoted. Accept it as the `YYYY-MM-DD` string. */
function normaliseDates(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('ignore' in raw) || !Array.isArray(raw.ignore)) return raw;
  const ignore: unknown[] = raw.ignore;
  return {
    ...raw,
    ignore: ignore.map((entry) => {
      if (typeof entry !== 'object' || entry === null || !('expires' in entry)) return entry;
      const expires = entry.expires;
      return expires instanceof Date ? { ...entry, expires: expires.toISOString().slice(0, 10) } : entry;
    }),
  };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new ConfigError('CONFIG_PARSE', `cannot read ${file}`, { cause: error });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}
