/**
 * Which versions each specifier operator accepts, as `packaging`'s specifier grammar says: `==`/`!=` allow a
 * `.*` prefix (release only) or a local segment, `~=` needs two release parts and no local segment, the
 * ordered operators allow neither, and `===` takes any text up to whitespace, `;`, `)` or `,`.
 */

const HEAD = String.raw`v?(?:[0-9]+!)?[0-9]+`;
const PRE = String.raw`(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`;
const POST = String.raw`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;

const EQUALITY = new RegExp(String.raw`^${HEAD}(?:\.[0-9]+)*(?:\.\*|${PRE}${POST}${DEV}${LOCAL})$`, 'i');
const COMPATIBLE = new RegExp(String.raw`^${HEAD}(?:\.[0-9]+)+${PRE}${POST}${DEV}$`, 'i');
const ORDERED = new RegExp(String.raw`^${HEAD}(?:\.[0-9]+)*${PRE}${POST}${DEV}$`, 'i');
/** `===` versions: `packaging` also takes commas here, but then splits the set on them. */
export const ARBITRARY_VERSION = /[^\s;),]+/y;

/** Whether `version` (already trimmed) is allowed after `operator`. */
export function isSpecifierVersion(operator: string, version: string): boolean {
  switch (operator) {
    case '===':
      return /^[^\s;),]+$/.test(version);
    case '==':
    case '!=':
      return EQUALITY.test(version);
    case '~=':
      return COMPATIBLE.test(version);
    default:
      return ORDERED.test(version);
  }
}
