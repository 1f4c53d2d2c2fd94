import { describeEscape, escapeOf } from './bundle-paths.js';
import type { Content } from './content.js';

/**
 * Where a file claimed by name (an `MLmodel`, a `config.json`, a weights index) was read: the file itself on
 * disk, or a member of an archive. Either way the model folder its paths are relative to is the folder it sits
 * in: the folder on disk, or the member's own folder inside the archive (`repo/` for `repo/MLmodel`).
 */
export interface NamedSite {
  /** The member label findings and model parts carry; undefined for the file itself. */
  readonly member: string | undefined;
  /** The member's folder inside its innermost archive, '' at the archive's root; undefined outside archives. */
  readonly archiveFolder: string | undefined;
}

export const FILE_SITE: NamedSite = { member: undefined, archiveFolder: undefined };

/** Splits a member name at its last separator; `\` counts, as Windows extractors treat it as one. */
function lastSeparator(name: string): number {
  return Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
}

export function baseName(name: string): string {
  return name.slice(lastSeparator(name) + 1);
}

/** The site of nested content: an archive member, or decompressed data of the file itself (no member). */
export function siteOf(content: Content): NamedSite {
  if (content.member === undefined) return FILE_SITE;
  const separator = lastSeparator(content.name);
  return { member: content.member, archiveFolder: separator < 0 ? '' : content.name.slice(0, separator) };
}

/** `{ member }` for a finding or model part of the site, nothing for the file itself. */
export function memberOf(site: NamedSite): { member?: string } {
  return site.member === undefined ? {} : { member: site.member };
}

/**
 * How `path` leaves the model folder, as a phrase for a message; undefined when it stays inside. The rule is the
 * same on disk and in archives (absolute, or climbing above the model folder); for an archive member the phrase
 * also says whether the path stays inside the archive, which decides whether the target was scanned with it.
 */
export function outsideModelFolder(path: string, site: NamedSite): string | undefined {
  const escape = escapeOf(path);
  if (escape === undefined) return undefined;
  const outside = `${describeEscape(escape)}, outside the model folder`;
  if (site.archiveFolder === undefined) return outside;
  const archive = escapeOf(path, site.archiveFolder.replaceAll('\\', '/')) === undefined;
  return `${outside} (${archive ? 'but inside the archive' : 'and outside the archive'})`;
}
