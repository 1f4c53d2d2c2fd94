/**
 * Test support only: runs the model scanner on one file or on bytes with a context that collects findings,
 * the way the engine would (detect, then scan, with the engine's fail-closed handling of escaped errors).
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { LimitError } from '../../core/errors.js';
import type { RawFinding } from '../../core/finding.js';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.js';
import { PROBE_BYTES, type ScanContext, type ScanSettings } from '../../core/scanner.js';
import { ruleById } from '../../core/registry.js';
import { reportUnreadable } from '../../core/unreadable.js';
import { worseVerdict, type Verdict } from '../../core/verdict.js';
import { contentFromBytes } from './content.js';
import { createScope, scanContent } from './dispatch.js';
import { modelScanner } from './index.js';

export interface TestScan {
  /** What `detect` returned; undefined when the scanner does not claim the file. */
  readonly detected: string | undefined;
  readonly format: string | undefined;
  readonly findings: readonly RawFinding[];
}

export function testContext(limits: Partial<Limits> = {}): ScanContext & { readonly findings: RawFinding[] } {
  const settings: ScanSettings = {
    limits: { ...DEFAULT_LIMITS, ...limits },
    pickle: { allowGlobals: [], denyGlobals: [] },
  };
  const deadline = Date.now() + settings.limits.timeoutMs;
  const findings: RawFinding[] = [];
  return {
    settings,
    deadline,
    findings,
    report: (finding) => findings.push(finding),
    checkDeadline: () => {
      if (Date.now() > deadline) throw new LimitError('TIME', 'test deadline passed');
    },
  };
}

export async function scanFileForTest(path: string, limits: Partial<Limits> = {}): Promise<TestScan> {
  const handle = await open(path, 'r');
  const size = (await handle.stat()).size;
  const head = new Uint8Array(Math.min(size, PROBE_BYTES));
  await handle.read(head, 0, head.length, 0);
  await handle.close();
  const probe = { path: basename(path), head, size };
  const detected = modelScanner.detect(probe);
  if (detected === undefined) return { detected, format: undefined, findings: [] };
  const context = testContext(limits);
  let format = detected;
  try {
    format = (await modelScanner.scan(path, probe, context)).format;
  } catch (error) {
    reportUnreadable(context, error);
  }
  return { detected, format, findings: context.findings };
}

/** Scans bytes as the content of a file called `name`, bypassing `detect`. */
export async function scanBytesForTest(
  bytes: Uint8Array,
  name: string,
  limits: Partial<Limits> = {},
): Promise<TestScan> {
  const context = testContext(limits);
  const format = await scanContent(createScope(context), contentFromBytes(bytes, undefined, name, 0));
  return { detected: undefined, format, findings: context.findings };
}

/** Rule ids of the findings, sorted, for compact assertions. */
export function ruleIds(findings: readonly RawFinding[]): string[] {
  return findings.map((finding) => finding.ruleId).sort();
}

/** The verdict the engine would give a file with these findings. */
export function verdictOf(findings: readonly RawFinding[]): Verdict {
  let verdict: Verdict = 'clean';
  for (const finding of findings) {
    const rule = ruleById(finding.ruleId);
    if (rule === undefined) throw new Error(`unknown rule ${finding.ruleId}`);
    verdict = worseVerdict(verdict, rule.verdict);
  }
  return verdict;
}
