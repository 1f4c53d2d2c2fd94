import { posix } from 'node:path';
import { ParseError } from '../../../core/errors.js';
import type { Component, Hash, Manifest, PinKind } from '../model.js';
import { evaluateMarkerAnyEnvironment } from '../pep508/markers.js';
import { normalizeName } from '../pep508/parse.js';
import type { ManifestInput } from './input.js';
import type { RequiresDist } from './metadata.js';
import { parseDistributionMetadata, requirementAt } from './metadata.js';

/**
 * An installed distribution: `*.dist-info/METADATA` (with `direct_url.json` and `REQUESTED` beside it) or
 * `*.egg-info/PKG-INFO` (with `requires.txt`), or a single-file `*.egg-info` as Debian installs them. It yields
 * one exact component whose dependencies are its `Requires-Dist` names that apply without an extra.
 */

export interface InstalledDistribution {
  readonly component: Component;
  /** Every `Requires-Dist`, with markers and extras, for the dependency graph. */
  readonly requires: readonly RequiresDist[];
}

export async function readInstalledDistribution(input: ManifestInput): Promise<InstalledDistribution> {
  const metadata = parseDistributionMetadata(input.text, input.path);
  const base = posix.basename(input.path);
  // As importlib.metadata does: `Requires-Dist` headers first, setuptools' requires.txt only without them.
  const eggRequires =
    base === 'PKG-INFO' && metadata.requiresDist.length === 0
      ? await sibling(input, 'requires.txt')
      : undefined;
  const requires =
    eggRequires === undefined ? metadata.requiresDist : parseEggRequires(eggRequires.text, eggRequires.path);
  const direct = base === 'METADATA' ? await sibling(input, 'direct_url.json') : undefined;
  const reference = direct === undefined ? undefined : parseDirectUrl(direct.text, direct.path);
  // REQUESTED marks a distribution the user asked for by name (PEP 376); without it, nothing says it was direct.
  const requested = base === 'METADATA' && (await sibling(input, 'REQUESTED')) !== undefined;
  const dependencies = [
    ...new Set(
      requires
        // Without extras, `extra == "test"` is false; a platform marker may hold, so its dependency is kept.
        .filter(
          (entry) =>
            entry.requirement.marker === undefined ||
            evaluateMarkerAnyEnvironment(entry.requirement.marker, { extras: [] }) !== false,
        )
        .map((entry) => entry.requirement.normalizedName),
    ),
  ];
  const component: Component = {
    name: metadata.name,
    normalizedName: normalizeName(metadata.name),
    ecosystem: 'PyPI',
    // The installed version is a fact even for a VCS or local install, so it is kept for auditing.
    version: metadata.version,
    specifiers: [{ operator: '==', version: metadata.version }],
    pin: reference?.pin ?? 'exact',
    direct: requested || reference?.editable === true,
    scope: 'main',
    hashes: reference?.hashes ?? [],
    extras: [],
    ...(reference !== undefined && { url: reference.url }),
    dependencies,
    ...(metadata.license !== undefined && { license: metadata.license }),
    origin: { path: input.path, line: metadata.nameLine },
  };
  return { component, requires };
}

/** The `dist-info` and `egg-info` manifest parser: one installed distribution. */
export async function parseInstalled(input: ManifestInput): Promise<Manifest> {
  const { component } = await readInstalledDistribution(input);
  const format = posix.basename(input.path) === 'METADATA' ? 'dist-info' : 'egg-info';
  return { path: input.path, format, components: [component], indexes: [], lock: true };
}

/** A file beside the metadata, or `undefined` when there is none. */
async function sibling(input: ManifestInput, name: string): Promise<ManifestInput | undefined> {
  try {
    return await input.readInclude(name);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * setuptools' `requires.txt`: requirement lines, grouped under `[extra]`, `[:marker]` or `[extra:marker]`
 * headers; each is turned into the equivalent `Requires-Dist` marker.
 */
export function parseEggRequires(text: string, path: string): RequiresDist[] {
  const requires: RequiresDist[] = [];
  let condition: string | undefined;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[([^\]]*)\]$/.exec(line);
    if (section !== null) {
      const [extra = '', marker] = (section[1] ?? '').split(/:(.*)/s, 2);
      const parts = [
        ...(marker !== undefined && marker.trim() !== '' ? [`(${marker.trim()})`] : []),
        ...(extra.trim() !== '' ? [`extra == "${extra.trim()}"`] : []),
      ];
      condition = parts.length > 0 ? parts.join(' and ') : undefined;
      continue;
    }
    const requirement = requirementAt(withCondition(line, condition), path, index + 1);
    requires.push({ requirement, line: index + 1 });
  }
  return requires;
}

/** Adds a section's condition to a requirement line, keeping a marker the line has of its own. */
function withCondition(line: string, condition: string | undefined): string {
  if (condition === undefined) return line;
  const semicolon = line.indexOf(';');
  if (semicolon < 0) return `${line} ; ${condition}`;
  return `${line.slice(0, semicolon)} ; (${line.slice(semicolon + 1).trim()}) and ${condition}`;
}

interface DirectReference {
  readonly url: string;
  readonly pin: PinKind;
  readonly editable: boolean;
  readonly hashes: readonly Hash[];
}

/** PEP 610 `direct_url.json`: how a distribution was installed from a URL, a VCS or a local folder. */
export function parseDirectUrl(text: string, path: string): DirectReference {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ParseError(
      'BAD_STRUCTURE',
      `${path}:1: not JSON: ${error instanceof Error ? error.message : ''}`,
    );
  }
  const object = record(value);
  const url = object?.['url'];
  if (object === undefined || typeof url !== 'string')
    throw new ParseError('BAD_STRUCTURE', `${path}:1: no "url" string`);
  const vcs = record(object['vcs_info']);
  const directory = record(object['dir_info']);
  const archive = record(object['archive_info']);
  const hashes: Hash[] = [];
  const archiveHashes = record(archive?.['hashes']);
  for (const [algorithm, digest] of Object.entries(archiveHashes ?? {}))
    if (typeof digest === 'string') hashes.push({ algorithm, digest });
  // The deprecated single `hash` is `algorithm=digest`.
  const legacy = archive?.['hash'];
  if (hashes.length === 0 && typeof legacy === 'string' && legacy.includes('=')) {
    const [algorithm = '', digest = ''] = legacy.split('=', 2);
    hashes.push({ algorithm, digest });
  }
  const local = url.startsWith('file:');
  const pin: PinKind = vcs !== undefined ? 'vcs' : directory !== undefined || local ? 'path' : 'url';
  return { url, pin, editable: directory?.['editable'] === true, hashes };
}

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
