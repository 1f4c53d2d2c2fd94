import path from 'node:path';

// encodeURIComponent throws on a lone surrogate, which a member or file name decoded leniently may contain.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The SARIF `uri` of a scanned file: a relative reference from `cwd` (the `%SRCROOT%` that code scanning resolves
 * against the checkout), never an absolute `file://` URI, which would leak the runner's layout and match nothing.
 * A file outside `cwd` keeps its `../` segments. Each segment is percent-encoded, so spaces, `#`, `?`, `%`, a `:`
 * that would read as a scheme, control characters and non-ASCII names all survive as a valid URI reference.
 */
export function artifactUri(reportPath: string, cwd: string): string {
  const relative = path.relative(cwd, path.resolve(cwd, reportPath));
  return relative
    .split(path.sep)
    .map((segment) => encodeURIComponent(segment.replace(LONE_SURROGATE, '\uFFFD')))
    .join('/');
}
