import { createHash } from 'node:crypto';
import type { Rule } from './rule.js';
import type { Confidence, Severity } from './severity.js';

/** Where a finding sits. `path` is the file as reached from the scan argument, with `/` separators. */
export interface Location {
  readonly path: string;
  /** Member inside a container, outermost first, joined with `!` (e.g. `bundle.tar!archive/data.pkl`). */
  readonly member?: string;
  /** Byte offset in the innermost stream (the member, or the decompressed data) where the evidence starts. */
  readonly offset?: number;
  readonly line?: number;
  readonly package?: string;
}

/**
 * What a scanner reports: plain data, so that it can cross a worker-thread boundary. The engine completes it
 * into a {@link Finding} from the rule registry.
 */
export interface RawFinding {
  readonly ruleId: string;
  readonly message: string;
  readonly member?: string;
  readonly offset?: number;
  readonly line?: number;
  /** The package a finding is about, for dependency and environment scanners (`name==version`). */
  readonly package?: string;
  /** The concrete thing seen, e.g. `posix.system('echo pwned')`. Part of the fingerprint. */
  readonly evidence?: string;
  /** Overrides the rule's default when the scanner knows better (e.g. a denied callable of lesser impact). */
  readonly severity?: Severity;
  readonly confidence?: Confidence;
  /** Set by scanners that read suppression comments in the scanned file itself (`# nosec`, `# noqa`). */
  readonly suppressed?: Suppression;
  /** The exact pin a dependency finding is about, structured (JSON `package`). */
  readonly pin?: PackagePin;
  /** The advisory a vulnerability finding reports, with every alias (JSON `advisory`). */
  readonly advisory?: AdvisoryRef;
}

export interface PackagePin {
  readonly name: string;
  readonly version: string;
}

export interface AdvisoryRef {
  readonly id: string;
  readonly aliases: readonly string[];
}

export type SuppressionKind = 'config' | 'baseline' | 'inline';

export interface Suppression {
  readonly kind: SuppressionKind;
  readonly reason: string;
}

export interface Finding {
  /** Report-local identifier (`F1`, `F2`, …) that `files[].findings` refers to. */
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly message: string;
  readonly location: Location;
  readonly evidence?: string;
  readonly fix: string;
  readonly cwe: readonly string[];
  readonly owasp: readonly string[];
  /** Stable across line and offset changes: rule, path, member and evidence (plus an occurrence counter). */
  readonly fingerprint: string;
  readonly suppressed?: Suppression;
  readonly pin?: PackagePin;
  readonly advisory?: AdvisoryRef;
}

export function fingerprintOf(
  ruleId: string,
  location: Location,
  evidence: string | undefined,
  message: string,
  occurrence: number,
): string {
  const hash = createHash('sha256');
  // Evidence identifies the finding when there is some; otherwise the message does (it carries no offsets).
  for (const part of [
    ruleId,
    location.path,
    location.member ?? '',
    evidence ?? message,
    String(occurrence),
  ]) {
    hash.update(part);
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

export function completeFinding(
  raw: RawFinding,
  rule: Rule,
  path: string,
  id: string,
  occurrence: number,
): Finding {
  const location: Location = {
    path,
    ...(raw.member !== undefined && { member: raw.member }),
    ...(raw.offset !== undefined && { offset: raw.offset }),
    ...(raw.line !== undefined && { line: raw.line }),
    ...(raw.package !== undefined && { package: raw.package }),
  };
  return {
    id,
    ruleId: rule.id,
    title: rule.title,
    severity: raw.severity ?? rule.severity,
    confidence: raw.confidence ?? rule.confidence,
    message: raw.message,
    location,
    ...(raw.evidence !== undefined && { evidence: raw.evidence }),
    fix: rule.fix,
    cwe: rule.cwe,
    owasp: rule.owasp,
    fingerprint: fingerprintOf(rule.id, location, raw.evidence, raw.message, occurrence),
    ...(raw.pin !== undefined && { pin: raw.pin }),
    ...(raw.advisory !== undefined && { advisory: raw.advisory }),
  };
}
