import { ParseError } from '../../../core/errors.js';
import type { Requirement } from '../pep508/parse.js';
import { parseRequirement, RequirementError } from '../pep508/parse.js';

/**
 * Core metadata (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`): RFC 822-style headers, one per line, a line
 * that starts with a space or tab continuing the previous header, and a blank line before the description body.
 * Read by hand because the format is small and Python's lenient `email` parser is not available.
 */

export interface MetadataField {
  /** The header name, lower-cased (`requires-dist`). */
  readonly name: string;
  readonly value: string;
  /** 1-based line of the header's first line. */
  readonly line: number;
}

export interface RequiresDist {
  readonly requirement: Requirement;
  readonly line: number;
}

export interface DistributionMetadata {
  readonly name: string;
  readonly version: string;
  readonly nameLine: number;
  readonly requiresDist: readonly RequiresDist[];
  readonly license?: string;
}

/** Reads the headers up to the first blank line; the description body after it is not needed. */
export function parseMetadataFields(text: string, path: string): MetadataField[] {
  const fields: { name: string; lines: string[]; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line === '') break;
    const last = fields.at(-1);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined)
        throw new ParseError('BAD_STRUCTURE', `${path}:${index + 1}: continuation line before any header`);
      last.lines.push(line.trim());
      continue;
    }
    const header = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]?(.*)$/.exec(line);
    if (header === null)
      throw new ParseError(
        'BAD_STRUCTURE',
        `${path}:${index + 1}: expected "Name: value", found ${JSON.stringify(line.slice(0, 80))}`,
      );
    fields.push({
      name: (header[1] ?? '').toLowerCase(),
      lines: [(header[2] ?? '').trimEnd()],
      line: index + 1,
    });
  }
  return fields.map((field) => ({ name: field.name, value: field.lines.join('\n'), line: field.line }));
}

/** Name, version, `Requires-Dist` and licence of one installed distribution. */
export function parseDistributionMetadata(text: string, path: string): DistributionMetadata {
  const fields = parseMetadataFields(text, path);
  const first = (name: string): MetadataField | undefined => fields.find((field) => field.name === name);
  const name = first('name');
  const version = first('version');
  if (name === undefined || name.value === '')
    throw new ParseError('BAD_STRUCTURE', `${path}:1: no Name header`);
  if (version === undefined || version.value === '')
    throw new ParseError('BAD_STRUCTURE', `${path}:1: no Version header`);
  const requiresDist = fields
    .filter((field) => field.name === 'requires-dist')
    .map((field) => ({ requirement: requirementAt(field.value, path, field.line), line: field.line }));
  const license = licenseOf(fields);
  return {
    name: name.value.trim(),
    version: version.value.trim(),
    nameLine: name.line,
    requiresDist,
    ...(license !== undefined && { license }),
  };
}

/** Parses a requirement, turning a syntax error into a `ParseError` that names the file and line. */
export function requirementAt(text: string, path: string, line: number): Requirement {
  try {
    return parseRequirement(text);
  } catch (error) {
    if (error instanceof RequirementError)
      throw new ParseError('BAD_STRUCTURE', `${path}:${line}: ${error.message} in ${JSON.stringify(text)}`);
    throw error;
  }
}

const UNKNOWN_LICENSE = new Set(['', 'unknown', 'none', 'n/a']);

/**
 * The licence, preferring the SPDX `License-Expression` (metadata 2.4), then a one-line `License` header (many
 * packages paste the whole licence text there, which is not an identifier), then the `License ::` classifiers.
 */
function licenseOf(fields: readonly MetadataField[]): string | undefined {
  const expression = fields.find((field) => field.name === 'license-expression')?.value.trim();
  if (expression !== undefined && expression !== '') return expression;
  const license = fields.find((field) => field.name === 'license')?.value.trim();
  if (
    license !== undefined &&
    !license.includes('\n') &&
    license.length <= 100 &&
    !UNKNOWN_LICENSE.has(license.toLowerCase())
  )
    return license;
  const classifiers = fields
    .filter((field) => field.name === 'classifier' && field.value.startsWith('License ::'))
    .map((field) => field.value.split('::').at(-1)?.trim() ?? '')
    .filter((value) => value !== '' && value !== 'OSI Approved');
  return classifiers.length > 0 ? classifiers.join(' OR ') : undefined;
}
