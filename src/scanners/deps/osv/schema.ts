/**
 * The parts of the OSV schema (ossf/osv-schema, 1.x) that auditing needs, written after `validation/schema.json`.
 * Records come from files anyone can write, so {@link recordOf} checks every field it keeps rather than trusting
 * a cast.
 */

export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface OsvRange {
  /** `ECOSYSTEM` (PEP 440 versions for PyPI), `SEMVER` or `GIT` (commit hashes, which a pin cannot be compared with). */
  readonly type: string;
  readonly events: readonly OsvEvent[];
}

export interface OsvSeverity {
  /** `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`. */
  readonly type: string;
  readonly score: string;
}

export interface OsvAffected {
  readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string };
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
  readonly severity?: readonly OsvSeverity[];
}

export interface OsvRecord {
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  /** GHSA writes its own rating here (`{"severity": "HIGH"}`), which stands in for a CVSS v4-only vector. */
  readonly database_specific?: { readonly severity?: string };
}

/** Thrown for a record that does not follow the schema; the loader adds the file and line. */
export class OsvSchemaError extends Error {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(object: Json, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new OsvSchemaError(`${where}.${key} must be a string`);
  return value;
}

function optionalString(object: Json, key: string, where: string): string | undefined {
  return object[key] === undefined ? undefined : requiredString(object, key, where);
}

function listAt(object: Json, key: string, where: string): readonly unknown[] | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new OsvSchemaError(`${where}.${key} must be a list`);
  return value as unknown[];
}

function stringsAt(object: Json, key: string, where: string): readonly string[] | undefined {
  const list = listAt(object, key, where);
  if (list === undefined) return undefined;
  return list.map((item, index) => {
    if (typeof item !== 'string') throw new OsvSchemaError(`${where}.${key}[${index}] must be a string`);
    return item;
  });
}

const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

function eventOf(value: unknown, where: string): OsvEvent {
  if (!isObject(value)) throw new OsvSchemaError(`${where} must be an object`);
  const keys = Object.keys(value);
  const kind = EVENT_KINDS.find((candidate) => candidate === keys[0]);
  if (keys.length !== 1 || kind === undefined)
    throw new OsvSchemaError(`${where} must have exactly one of ${EVENT_KINDS.join(', ')}`);
  const version = requiredString(value, kind, where);
  return { [kind]: version } as OsvEvent;
}

function severitiesOf(object: Json, where: string): readonly OsvSeverity[] | undefined {
  return listAt(object, 'severity', where)?.map((item, index) => {
    const at = `${where}.severity[${index}]`;
    if (!isObject(item)) throw new OsvSchemaError(`${at} must be an object`);
    return {
      type: requiredString(item, 'type', at),
      score: requiredString(item, 'score', at),
    };
  });
}

function affectedOf(value: unknown, where: string): OsvAffected {
  if (!isObject(value)) throw new OsvSchemaError(`${where} must be an object`);
  let pkg: OsvAffected['package'];
  if (value.package !== undefined) {
    if (!isObject(value.package)) throw new OsvSchemaError(`${where}.package must be an object`);
    const at = `${where}.package`;
    const purl = optionalString(value.package, 'purl', at);
    pkg = {
      ecosystem: requiredString(value.package, 'ecosystem', at),
      name: requiredString(value.package, 'name', at),
      ...(purl !== undefined && { purl }),
    };
  }
  const ranges = listAt(value, 'ranges', where)?.map((range, index) => {
    const at = `${where}.ranges[${index}]`;
    if (!isObject(range)) throw new OsvSchemaError(`${at} must be an object`);
    const events = listAt(range, 'events', at) ?? [];
    return {
      type: requiredString(range, 'type', at),
      events: events.map((event, position) => eventOf(event, `${at}.events[${position}]`)),
    };
  });
  const versions = stringsAt(value, 'versions', where);
  const severity = severitiesOf(value, where);
  return {
    ...(pkg !== undefined && { package: pkg }),
    ...(ranges !== undefined && { ranges }),
    ...(versions !== undefined && { versions }),
    ...(severity !== undefined && { severity }),
  };
}

function optionalEntry<K extends string>(object: Json, key: K, where: string): { [P in K]?: string } {
  const text = optionalString(object, key, where);
  return (text === undefined ? {} : { [key]: text }) as { [P in K]?: string };
}

/** Checks a parsed JSON or YAML value against the schema and keeps the fields mlsec uses. */
export function recordOf(value: unknown): OsvRecord {
  if (!isObject(value)) throw new OsvSchemaError('an OSV record must be an object');
  const id = requiredString(value, 'id', 'record');
  const where = id;
  const aliases = stringsAt(value, 'aliases', where);
  const severity = severitiesOf(value, where);
  const affected = listAt(value, 'affected', where)?.map((item, index) =>
    affectedOf(item, `${where}.affected[${index}]`),
  );
  const specific = value.database_specific;
  const rating = isObject(specific) && typeof specific.severity === 'string' ? specific.severity : undefined;
  return {
    id,
    modified: requiredString(value, 'modified', where),
    ...optionalEntry(value, 'published', where),
    ...optionalEntry(value, 'withdrawn', where),
    ...optionalEntry(value, 'summary', where),
    ...optionalEntry(value, 'details', where),
    ...(aliases !== undefined && { aliases }),
    ...(severity !== undefined && { severity }),
    ...(affected !== undefined && { affected }),
    ...(rating !== undefined && { database_specific: { severity: rating } }),
  };
}
