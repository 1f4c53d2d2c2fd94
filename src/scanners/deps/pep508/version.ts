import { VERSION_PATTERN } from '@renovatebot/pep440/lib/version.js';

/**
 * PEP 440 versions. The grammar is @renovatebot/pep440's; the numbers are kept as `bigint` and compared here
 * because the library turns them into JS numbers, which merges `1.0.99999999999999999999` with its neighbours
 * and reads local segments such as `+0x1f` or `+1e3` as numbers (Python's `packaging` keeps them as text).
 */

export type PreLabel = 'a' | 'b' | 'rc';

export interface Version {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre?: { readonly label: PreLabel; readonly number: bigint };
  readonly post?: bigint;
  readonly dev?: bigint;
  /** Local segments: digit-only parts as numbers, the others lower-cased. */
  readonly local?: readonly (bigint | string)[];
}

/** Surrounding whitespace is allowed, as `packaging` allows it. */
const VERSION = new RegExp(`^\\s*${VERSION_PATTERN}\\s*$`, 'i');

const PRE_LABELS: Readonly<Record<string, PreLabel>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

/** Parses a version; `undefined` when it is not PEP 440. */
export function parseVersion(text: string): Version | undefined {
  const groups = VERSION.exec(text)?.groups;
  if (groups === undefined) return undefined;
  const {
    epoch,
    release,
    pre_l: preLabel,
    pre_n: preNumber,
    post_n1: postImplicit,
    post_l: postLabel,
    post_n2: postNumber,
    dev_l: devLabel,
    dev_n: devNumber,
    local,
  } = groups;
  if (release === undefined) return undefined;
  const pre = preLabel === undefined ? undefined : PRE_LABELS[preLabel.toLowerCase()];
  return {
    epoch: BigInt(epoch ?? 0),
    release: release.split('.').map(BigInt),
    ...(pre !== undefined && { pre: { label: pre, number: BigInt(preNumber ?? 0) } }),
    ...(postImplicit !== undefined && { post: BigInt(postImplicit) }),
    ...(postLabel !== undefined && { post: BigInt(postNumber ?? 0) }),
    ...(devLabel !== undefined && { dev: BigInt(devNumber ?? 0) }),
    ...(local !== undefined && {
      local: local.split(/[-_.]/).map((part) => (/^[0-9]+$/.test(part) ? BigInt(part) : part.toLowerCase())),
    }),
  };
}

export function isPrerelease(version: Version): boolean {
  return version.pre !== undefined || version.dev !== undefined;
}

/** The version without its local segment. */
export function publicVersion(version: Version): Version {
  const { epoch, release, pre, post, dev } = version;
  return {
    epoch,
    release,
    ...(pre !== undefined && { pre }),
    ...(post !== undefined && { post }),
    ...(dev !== undefined && { dev }),
  };
}

/** Epoch and release only (`packaging`'s `base_version`). */
export function baseVersion(version: Version): Version {
  return { epoch: version.epoch, release: version.release };
}

function compareBig(left: bigint, right: bigint): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Release segments compare as if padded with zeros: `1.0` equals `1`. */
function compareRelease(left: readonly bigint[], right: readonly bigint[]): number {
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const order = compareBig(left[index] ?? 0n, right[index] ?? 0n);
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * The pre-release rank: a dev release with neither pre nor post release sorts before every pre-release of
 * its release (`1.0.dev0 < 1.0a0`), and a final release after them.
 */
function comparePre(left: Version, right: Version): number {
  const rank = (version: Version): number =>
    version.pre !== undefined ? 1 : version.post === undefined && version.dev !== undefined ? 0 : 2;
  const order = rank(left) - rank(right);
  if (order !== 0 || left.pre === undefined || right.pre === undefined) return Math.sign(order);
  if (left.pre.label !== right.pre.label) return left.pre.label < right.pre.label ? -1 : 1;
  return compareBig(left.pre.number, right.pre.number);
}

/** Absent sorts as `absent` says (-1 before every value, 1 after). */
function compareOptional(left: bigint | undefined, right: bigint | undefined, absent: -1 | 1): number {
  if (left === undefined || right === undefined) {
    return left === right ? 0 : left === undefined ? absent : -absent;
  }
  return compareBig(left, right);
}

/** Local segments: no local first; text parts before numbers; shorter first when one is a prefix. */
function compareLocal(left: Version['local'], right: Version['local']): number {
  if (left === undefined || right === undefined) return left === right ? 0 : left === undefined ? -1 : 1;
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const a = left[index] as bigint | string;
    const b = right[index] as bigint | string;
    if (typeof a !== typeof b) return typeof a === 'string' ? -1 : 1;
    if (a !== b) return a < b ? -1 : 1;
  }
  return Math.sign(left.length - right.length);
}

/** Total PEP 440 order: negative, zero or positive. */
export function compareVersions(left: Version, right: Version): number {
  return (
    compareBig(left.epoch, right.epoch) ||
    compareRelease(left.release, right.release) ||
    comparePre(left, right) ||
    compareOptional(left.post, right.post, -1) ||
    compareOptional(left.dev, right.dev, 1) ||
    compareLocal(left.local, right.local)
  );
}
