/**
 * Turns what the machine sees into RawFindings, deduplicated per pickle.
 *
 * A non-allowed global is remembered when it is resolved and reported either when it is called (evidence: the
 * rendered call) or, if it is never called, when the pickle ends or fails (evidence: its name). So a call whose
 * result is POPped still counts, and a payload followed by garbage is still reported before the parse error.
 * Limits: one finding per unknown global (MODEL-PICKLE-002), a few distinct calls per denied global, a bounded
 * number of unresolvable-call and anomaly findings, so 10,000 uses of one global give one finding.
 */
import type { ScanContext } from '../../../core/scanner.js';
import {
  PICKLE_CODE_OBJECT,
  PICKLE_DANGEROUS_CALLABLE,
  PICKLE_STREAM_ANOMALY,
  PICKLE_UNLISTED_GLOBAL,
  PICKLE_UNRESOLVED_CALLABLE,
} from '../rules.js';
import { render, renderRef, renderRefCall } from './evidence.js';
import { Call, Ref, type Tuple, type Value } from './values.js';

/** The rules of deny-list hits: all that a deny-only alternative reading reports. */
export const DENY_RULE_IDS: ReadonlySet<string> = new Set([
  PICKLE_DANGEROUS_CALLABLE.id,
  PICKLE_CODE_OBJECT.id,
]);

const CALLS_PER_DENIED_GLOBAL = 4;
const PER_RULE_CAP = 32;
/** Hard ceiling per pickle, whatever the rule: an attacker cannot flood the report. */
const TOTAL_CAP = 512;

export class Findings {
  /** Findings reported so far (by this sink), e.g. to tell whether a nested pickle was clean. */
  count = 0;
  private readonly seen = new Set<string>();
  private readonly perKey = new Map<string, number>();
  private readonly perRule = new Map<string, number>();
  private readonly pending = new Map<string, Ref>();
  private readonly settled = new Set<string>();

  constructor(
    private readonly context: ScanContext,
    readonly member: string | undefined,
  ) {}

  /** A global was resolved (find_class or a resolver chain). Allowed ones need nothing. */
  resolved(ref: Ref): void {
    if (ref.verdict.level === 'allow') return;
    const key = renderRef(ref);
    if (!this.settled.has(key) && !this.pending.has(key)) this.pending.set(key, ref);
  }

  /** A resolver (getattr, import_module …) produced a global that carries its verdict: no finding of its own. */
  consumed(ref: Ref): void {
    const key = renderRef(ref);
    this.pending.delete(key);
    this.settled.add(key);
  }

  /**
   * A call of a resolved global, with the rendered call as evidence. `through` is the helper that makes the
   * call (`copyreg._reconstructor`, `apply` …), when it is not the pickle's own REDUCE.
   */
  called(ref: Ref, args: Tuple, kwargs: Value | undefined, offset: number, through?: Call): void {
    if (ref.verdict.level === 'allow') return;
    const key = renderRef(ref);
    this.pending.delete(key);
    this.settled.add(key);
    if (ref.verdict.level === 'unknown') {
      this.limited(key, 1, ref.verdict.ruleId, importMessage(ref), renderRef(ref), offset);
      return;
    }
    let message = callMessage(ref);
    let evidence = renderRefCall(ref, args, kwargs);
    if (through?.callee instanceof Ref) {
      message += ` The call is made by ${named(through.callee)}.`;
      evidence = `${evidence} via ${render(through)}`;
    }
    this.limited(key, CALLS_PER_DENIED_GLOBAL, ref.verdict.ruleId, message, evidence, offset);
  }

  /** An operation the policy cannot judge because the callable or name is only known at load time. */
  unresolved(message: string, evidence: string, offset: number): void {
    this.emit(PICKLE_UNRESOLVED_CALLABLE.id, message, evidence, offset);
  }

  /** Something legitimate picklers never write and loaders read differently (FRAME straddles …). */
  anomaly(message: string, evidence: string, offset: number): void {
    this.emit(PICKLE_STREAM_ANOMALY.id, message, evidence, offset);
  }

  /** A finding of an explicit rule (e.g. a nested pickle that is not clean, a class created at load time). */
  other(ruleId: string, message: string, evidence: string, offset: number): void {
    this.emit(ruleId, message, evidence, offset);
  }

  /** Reports every resolved global that was never called. Called at STOP and before any error escapes. */
  flush(): void {
    for (const [key, ref] of this.pending) {
      this.settled.add(key);
      this.limited(key, 1, ref.verdict.ruleId, importMessage(ref), renderRef(ref), ref.offset);
    }
    this.pending.clear();
  }

  private limited(
    key: string,
    cap: number,
    ruleId: string,
    message: string,
    evidence: string,
    offset: number,
  ): void {
    const reported = this.perKey.get(key) ?? 0;
    if (reported >= cap) return;
    if (this.emit(ruleId, message, evidence, offset)) this.perKey.set(key, reported + 1);
  }

  private emit(ruleId: string, message: string, evidence: string, offset: number): boolean {
    const dedup = `${ruleId}\0${evidence}`;
    if (this.seen.has(dedup)) return false;
    const perRule = this.perRule.get(ruleId) ?? 0;
    if (perRule >= PER_RULE_CAP && ruleId !== PICKLE_DANGEROUS_CALLABLE.id) return false;
    if (this.count >= TOTAL_CAP) return false;
    this.seen.add(dedup);
    this.perRule.set(ruleId, perRule + 1);
    this.count++;
    this.context.report({
      ruleId,
      message,
      evidence,
      offset,
      ...(this.member !== undefined && { member: this.member }),
    });
    return true;
  }
}

/** The global as spelled, plus its canonical name when the spelling differs (`commands.getoutput (subprocess.getoutput)`). */
function named(ref: Ref): string {
  const canonical = ref.verdict.target ?? ref.path;
  return canonical === ref.name ? ref.name : `${ref.name} (${canonical})`;
}

function importMessage(ref: Ref): string {
  if (ref.verdict.ruleId === PICKLE_UNLISTED_GLOBAL.id) {
    return `The pickle imports ${named(ref)}, which ${ref.verdict.reason}; loading it runs that module's code.`;
  }
  return `Loading this pickle imports ${named(ref)}, which ${ref.verdict.reason}.`;
}

function callMessage(ref: Ref): string {
  return `Loading this pickle calls ${named(ref)}, which ${ref.verdict.reason}.`;
}
