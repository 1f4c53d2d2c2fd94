import type { SchemaObject } from 'ajv';
import { PYTHON_VERSIONS } from '../../scanners/env/shadow-stdlib.js';

/** A size is bytes as a number, or a string such as `512MiB`, `4GiB`, `100MB`. */
type SizeSetting = number | string;

/** The configuration as written in `.mlsec.toml` (top level) or `[tool.mlsec]` in pyproject.toml. */
export interface ConfigFile {
  include?: string[];
  exclude?: string[];
  'fail-on'?: string;
  /** `X.Y`: the Python whose standard library stdlib shadowing (ENV-SHADOW-001) is checked against. */
  'python-version'?: string;
  /** Rule selection, as ruff's `select`/`extend-select`/`ignore` (ids, prefixes or `ALL`). */
  rules?: {
    select?: string[];
    'extend-select'?: string[];
    ignore?: string[];
  };
  pickle?: {
    'allow-globals'?: string[];
    'deny-globals'?: string[];
  };
  /** Dependency auditing. Paths are relative to the directory holding the configuration file. */
  deps?: {
    db?: string;
    popular?: string;
    'internal-prefixes'?: string[];
  };
  limits?: {
    'max-file-size'?: SizeSetting;
    'max-decompressed-size'?: SizeSetting;
    'max-compression-ratio'?: number;
    'max-nesting-depth'?: number;
    'max-archive-members'?: number;
    'max-stack-depth'?: number;
    'max-memo-entries'?: number;
    'max-opcodes'?: number;
    /** Seconds per file. */
    timeout?: number;
  };
  ignore?: IgnoreEntry[];
}

/**
 * One accepted risk. At least one of rule, path, fingerprint, advisory and package must be given, and every one
 * given must match; the reason is mandatory.
 */
export interface IgnoreEntry {
  rule?: string;
  /** Glob, relative to the directory holding the configuration file. */
  path?: string;
  fingerprint?: string;
  /** An advisory id (`PYSEC-2023-74`) or any of its aliases (`CVE-2023-32681`, `GHSA-…`), case-insensitive. */
  advisory?: string;
  /** A package name, compared after PEP 503 normalisation; `name==version` limits it to that version. */
  package?: string;
  reason: string;
  /** `YYYY-MM-DD`. From that day on the entry no longer applies and a warning says so. */
  expires?: string;
}

const stringList = { type: 'array', items: { type: 'string' } };
const size = { type: ['number', 'string'] };
const count = { type: 'integer', minimum: 1 };
/** A PEP 508 name, optionally `==` and a version (no specifier sets: an ignore names one thing). */
const PACKAGE_SELECTOR =
  '^\\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\\s*(?:==\\s*[A-Za-z0-9_.!+-]+\\s*)?$';

/** JSON Schema of {@link ConfigFile}; also what editors can use to complete `.mlsec.toml`. */
export const CONFIG_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    include: stringList,
    exclude: stringList,
    'fail-on': { type: 'string' },
    'python-version': { type: 'string', enum: [...PYTHON_VERSIONS] },
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: { select: stringList, 'extend-select': stringList, ignore: stringList },
    },
    pickle: {
      type: 'object',
      additionalProperties: false,
      properties: { 'allow-globals': stringList, 'deny-globals': stringList },
    },
    deps: {
      type: 'object',
      additionalProperties: false,
      properties: { db: { type: 'string' }, popular: { type: 'string' }, 'internal-prefixes': stringList },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        'max-file-size': size,
        'max-decompressed-size': size,
        'max-compression-ratio': { type: 'number', exclusiveMinimum: 1 },
        'max-nesting-depth': count,
        'max-archive-members': count,
        'max-stack-depth': count,
        'max-memo-entries': count,
        'max-opcodes': count,
        // setTimeout cannot wait longer than about 24.8 days; a day per file is more than enough.
        timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
      },
    },
    ignore: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['reason'],
        properties: {
          rule: { type: 'string' },
          path: { type: 'string' },
          fingerprint: { type: 'string' },
          advisory: { type: 'string', minLength: 1 },
          package: { type: 'string', pattern: PACKAGE_SELECTOR },
          reason: { type: 'string', minLength: 1 },
          expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
        },
        anyOf: [
          { required: ['rule'] },
          { required: ['path'] },
          { required: ['fingerprint'] },
          { required: ['advisory'] },
          { required: ['package'] },
        ],
      },
    },
  },
};
