/**
 * The three-tier policy for pickle globals: deny list → MODEL-PICKLE-001 (or -004 for code rebuilding), exact
 * allow list → nothing, everything else → MODEL-PICKLE-002.
 *
 * Matching is on canonical dotted paths (names.ts). A deny entry matches the path and everything under it, and
 * is also tried against every tail of the qualname, because attribute traversal reaches modules that another
 * module imported: `('torch', 'os.system')` and `('posixpath', 'os.system')` are `os.system`.
 *
 * Configuration (`[pickle] allow-globals / deny-globals`, `module.qualname` or `module.*`):
 * - a user deny entry wins over everything;
 * - a user allow entry for an exact name overrides the built-in deny list (the user vouches for that one name);
 * - a user `module.*` allow entry never overrides the built-in deny list, so `os.*` cannot silently allow
 *   `os.system`; it only turns unknown globals under the module into allowed ones.
 */
import type { PicklePolicyOptions } from '../../../core/scanner.js';
import { PICKLE_CODE_OBJECT, PICKLE_DANGEROUS_CALLABLE, PICKLE_UNLISTED_GLOBAL } from '../rules.js';
import allowDill from './data/allow-dill.json' with { type: 'json' };
import allowJoblib from './data/allow-joblib.json' with { type: 'json' };
import allowNumpy from './data/allow-numpy.json' with { type: 'json' };
import allowScipy from './data/allow-scipy.json' with { type: 'json' };
import allowSklearn from './data/allow-sklearn.json' with { type: 'json' };
import allowStdlib from './data/allow-stdlib.json' with { type: 'json' };
import allowTorch from './data/allow-torch.json' with { type: 'json' };
import { DENY_EXCEPTIONS, DENY_LIST, DUNDER_EXCEPTIONS, DUNDER_REASON, type DenyEntry } from './denylist.js';
import { canonicalModule, canonicalPath, isDunder } from './names.js';

export type Level = 'allow' | 'deny' | 'unknown';

export interface Verdict {
  readonly level: Level;
  /** MODEL-PICKLE-001/-002/-004; empty when allowed. */
  readonly ruleId: string;
  /** Why, in a few words ("runs shell commands", "is not on the allow list"). */
  readonly reason: string;
  /** The dangerous object actually reached, when the spelling hides it (`pathlib.os.system` → `os.system`). */
  readonly target?: string;
}

export const ALLOW_LIST: ReadonlySet<string> = new Set(
  [allowStdlib, allowNumpy, allowScipy, allowTorch, allowSklearn, allowJoblib, allowDill].flatMap(
    (file) => file.globals,
  ),
);

const ALLOWED: Verdict = { level: 'allow', ruleId: '', reason: 'is on the allow list' };
const UNKNOWN: Verdict = {
  level: 'unknown',
  ruleId: PICKLE_UNLISTED_GLOBAL.id,
  reason: 'is not on the allow list',
};
const USER_DENIED: Verdict = {
  level: 'deny',
  ruleId: PICKLE_DANGEROUS_CALLABLE.id,
  reason: 'is denied by the configuration (pickle deny-globals)',
};

/** Globals that are not dangerous by themselves but that a reviewer must know about. */
const NOTABLE: ReadonlyMap<string, string> = new Map([
  [
    'joblib.numpy_pickle_compat.NDArrayWrapper',
    'loads arrays from separate files next to the pickle (joblib < 0.10)',
  ],
  [
    'joblib.numpy_pickle_compat.ZNDArrayWrapper',
    'loads arrays from separate files next to the pickle (joblib < 0.10)',
  ],
  ['functools.partial', 'binds arguments to an arbitrary callable'],
]);

function denied(entry: DenyEntry): Verdict {
  return {
    level: 'deny',
    ruleId: entry.code ? PICKLE_CODE_OBJECT.id : PICKLE_DANGEROUS_CALLABLE.id,
    reason: entry.reason,
  };
}

/** The longest deny entry that is a segment-wise prefix of `path`, if any. */
function longestDenyPrefix(path: string): DenyEntry | undefined {
  let end = path.length;
  for (;;) {
    const entry = DENY_LIST.get(path.slice(0, end));
    if (entry !== undefined) return entry;
    end = path.lastIndexOf('.', end - 1);
    if (end <= 0) return undefined;
  }
}

/** Built-in deny verdict for a canonical path, or undefined. */
export function builtInDeny(module: string, qualname: string): Verdict | undefined {
  const path = canonicalPath(module, qualname);
  if (DENY_EXCEPTIONS.has(path)) return undefined;
  const segments = qualname === '' ? [] : qualname.split('.');
  if (segments.some(isDunder) && !DUNDER_EXCEPTIONS.has(path)) {
    return { level: 'deny', ruleId: PICKLE_DANGEROUS_CALLABLE.id, reason: DUNDER_REASON };
  }
  // Attribute traversal through an imported module: any tail of the qualname may start with a module name
  // (`('torch', 'os.system')`, `('posixpath', 'os.system')`). Checked first: it names what is really reached.
  for (let i = 0; i < segments.length; i++) {
    const tail = [canonicalModule(segments[i] ?? ''), ...segments.slice(i + 1)].join('.');
    const entry = longestDenyPrefix(tail);
    if (entry !== undefined && !DENY_EXCEPTIONS.has(tail)) return { ...denied(entry), target: tail };
  }
  const raw = qualname === '' ? module : `${module}.${qualname}`;
  const direct = longestDenyPrefix(path) ?? longestDenyPrefix(raw);
  if (direct !== undefined) return denied(direct);
  return undefined;
}

interface UserPatterns {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

function parsePatterns(patterns: readonly string[]): UserPatterns {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    const trimmed = pattern.trim();
    if (trimmed.endsWith('.*')) prefixes.push(trimmed.slice(0, -2));
    else if (trimmed !== '') exact.add(trimmed);
  }
  return { exact, prefixes };
}

function underPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
}

export class Policy {
  private readonly cache = new Map<string, Verdict>();
  private readonly allow: UserPatterns;
  private readonly deny: UserPatterns;

  constructor(
    options: PicklePolicyOptions,
    private readonly torchScript: boolean,
  ) {
    this.allow = parsePatterns(options.allowGlobals);
    this.deny = parsePatterns(options.denyGlobals);
  }

  judge(module: string, qualname: string): Verdict {
    const key = `${module}\0${qualname}`;
    let verdict = this.cache.get(key);
    if (verdict === undefined) {
      verdict = this.decide(module, qualname);
      this.cache.set(key, verdict);
    }
    return verdict;
  }

  private decide(module: string, qualname: string): Verdict {
    const path = canonicalPath(module, qualname);
    const raw = qualname === '' ? module : `${module}.${qualname}`;
    const paths = path === raw ? [path] : [path, raw];
    // User deny: exact names cover their attributes too, like built-in entries.
    const userDenied = paths.some(
      (p) => this.deny.exact.has(p) || underPrefix(p, [...this.deny.prefixes, ...this.deny.exact]),
    );
    if (userDenied) return USER_DENIED;
    if (paths.some((p) => this.allow.exact.has(p))) return ALLOWED;
    const deny = builtInDeny(module, qualname);
    if (deny !== undefined) return deny;
    // The allow list keeps producers' spellings (`_codecs.encode`); the canonical one is accepted too.
    if (ALLOW_LIST.has(path) || ALLOW_LIST.has(raw)) return ALLOWED;
    if (this.torchScript && (module === '__torch__' || module.startsWith('__torch__.'))) return ALLOWED;
    if (paths.some((p) => underPrefix(p, this.allow.prefixes))) return ALLOWED;
    const notable = NOTABLE.get(path);
    if (notable !== undefined) return { ...UNKNOWN, reason: notable };
    return UNKNOWN;
  }
}

const POLICIES = new WeakMap<PicklePolicyOptions, { plain?: Policy; torchScript?: Policy }>();

/** The policy for one configuration, shared by every pickle scanned with it (its verdict cache too). */
export function policyFor(options: PicklePolicyOptions, torchScript: boolean): Policy {
  let entry = POLICIES.get(options);
  if (entry === undefined) {
    entry = {};
    POLICIES.set(options, entry);
  }
  if (torchScript) return (entry.torchScript ??= new Policy(options, true));
  return (entry.plain ??= new Policy(options, false));
}
