import type { Finding } from '../core/finding.js';
import type { FileReport, ScanReport } from '../core/report-model.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { VERDICTS, type Verdict } from '../core/verdict.js';
import { ruleDocsUrl } from './links.js';
import { whereText } from './location.js';
import type { Reporter } from './reporter.js';
import { displaySafe } from './sanitize.js';
import { painter, type Paint, type TextFormat } from './style.js';

/*
 * Layout: one block per file that needs attention (a non-clean verdict or active findings), one line per active
 * finding plus an evidence line (suppressed findings are counted, or listed with --show-suppressed), then each
 * rule's fix once, warnings, the Python environments found (one line each), and a three-line summary. Clean files are only counted, so a scan of ten thousand
 * clean files still prints a screenful.
 */

export const SEVERITY_STYLE: Readonly<Record<Severity, TextFormat>> = {
  critical: ['bold', 'red'],
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  info: 'gray',
};

export const VERDICT_STYLE: Readonly<Record<Verdict, TextFormat>> = {
  malicious: ['bold', 'red'],
  unscannable: 'magenta',
  suspicious: 'yellow',
  clean: 'green',
};

// Worst first: that is what a reader looks for.
const SEVERITIES_WORST_FIRST = [...SEVERITIES].reverse();
const VERDICTS_WORST_FIRST = [...VERDICTS].reverse();
const SEVERITY_WIDTH = Math.max(...SEVERITIES.map((severity) => severity.length));
const DETAIL_INDENT = ' '.repeat(2 + SEVERITY_WIDTH + 2);

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatSize(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function findingLines(finding: Finding, paint: Paint): string[] {
  const severity = paint(SEVERITY_STYLE[finding.severity], finding.severity.padEnd(SEVERITY_WIDTH));
  const where = whereText(finding.location);
  const head =
    `  ${severity}  ${paint('bold', finding.ruleId)}  ${displaySafe(finding.message)}` +
    (where === '' ? '' : `  ${paint('cyan', `(${where})`)}`);
  if (finding.evidence === undefined) return [head];
  return [head, `${DETAIL_INDENT}${paint('dim', 'evidence:')} ${displaySafe(finding.evidence)}`];
}

/** A suppressed finding, listed on request: the finding dimmed, then why it is suppressed. */
function suppressedLines(finding: Finding, paint: Paint): string[] {
  const { suppressed } = finding;
  if (suppressed === undefined) return findingLines(finding, paint);
  const why = `suppressed (${suppressed.kind}): ${displaySafe(suppressed.reason)}`;
  return [
    ...findingLines(finding, (_format, text) => paint('dim', text)),
    `${DETAIL_INDENT}${paint('dim', why)}`,
  ];
}

function fileLines(
  file: FileReport,
  findings: readonly Finding[],
  showSuppressed: boolean,
  paint: Paint,
): string[] {
  const lines = [
    `${paint('bold', displaySafe(file.path))}  ${paint(VERDICT_STYLE[file.verdict], file.verdict)}  ` +
      paint('dim', `${displaySafe(file.format)}, ${formatSize(file.size)}`),
  ];
  const active = findings.filter((finding) => finding.suppressed === undefined);
  for (const finding of active) lines.push(...findingLines(finding, paint));
  const suppressed = findings.filter((finding) => finding.suppressed !== undefined);
  if (showSuppressed) {
    for (const finding of suppressed) lines.push(...suppressedLines(finding, paint));
  } else if (suppressed.length > 0) {
    lines.push(`  ${paint('dim', `${plural(suppressed.length, 'suppressed finding')} not shown`)}`);
  }
  lines.push('');
  return lines;
}

function fixLines(rules: ReadonlyMap<string, Finding>, paint: Paint): string[] {
  if (rules.size === 0) return [];
  const lines = [paint('bold', 'How to fix')];
  for (const [ruleId, finding] of rules) {
    lines.push(`  ${paint('bold', ruleId)}  ${finding.title}`);
    lines.push(`    ${finding.fix}`);
    lines.push(`    ${paint('dim', ruleDocsUrl(ruleId))}`);
  }
  lines.push('');
  return lines;
}

/** Each environment on one line: where, what, and how much runs at start-up. */
function environmentLines(report: ScanReport, paint: Paint): string[] {
  if (report.environments.length === 0) return [];
  const lines = [paint('bold', 'Environments')];
  for (const environment of report.environments) {
    const python = environment.python === undefined ? '' : `, Python ${environment.python}`;
    const hooks = plural(environment.startupHooks, 'startup hook');
    // A bare site folder is its own root: naming it twice says nothing.
    const folders = environment.siteFolders.filter((folder) => folder !== environment.root);
    const where = folders.length === 0 ? '' : paint('dim', ` in ${folders.map(displaySafe).join(', ')}`);
    lines.push(
      `  ${paint('bold', displaySafe(environment.root))}  ${environment.kind}${python}: ` +
        `${plural(environment.distributions, 'distribution')}, ` +
        (environment.startupHooks === 0 ? hooks : paint('yellow', hooks)) +
        where,
    );
  }
  lines.push('');
  return lines;
}

function summaryLines(report: ScanReport, unlistedClean: number, paint: Paint): string[] {
  const { summary } = report;
  // Zero counts stay in place, so the line keeps its shape, but dimmed, so the eye finds the others.
  const tally = (n: number, label: string, format: TextFormat): string =>
    paint(n === 0 ? 'dim' : format, `${n} ${label}`);
  const verdicts = VERDICTS_WORST_FIRST.map((v) => tally(summary.verdicts[v], v, VERDICT_STYLE[v])).join(
    ', ',
  );
  const severities = SEVERITIES_WORST_FIRST.map((s) =>
    tally(summary.bySeverity[s], s, SEVERITY_STYLE[s]),
  ).join(', ');
  const clean = summary.verdicts.clean;
  const unlisted =
    unlistedClean === 0 ? '' : unlistedClean === clean ? ' (not listed)' : ` (${unlistedClean} not listed)`;
  return [
    paint('bold', 'Summary'),
    `  Files     ${summary.files} scanned: ${verdicts}${unlisted}`,
    `  Findings  ${summary.findings}: ${severities}; ${summary.suppressed} suppressed`,
    `  Duration  ${formatDuration(summary.durationMs)}`,
  ];
}

export const textReporter: Reporter = (report, options) => {
  const paint = painter(options.color);
  const byId = new Map(report.findings.map((finding) => [finding.id, finding]));
  const fixes = new Map<string, Finding>();
  const lines: string[] = [];
  let unlistedClean = 0;

  for (const file of report.files) {
    const findings = file.findings.map((id) => byId.get(id)).filter((finding) => finding !== undefined);
    const active = findings.filter((finding) => finding.suppressed === undefined);
    const listed = options.showSuppressed === true ? findings : active;
    if (file.verdict === 'clean' && listed.length === 0) {
      unlistedClean++;
      continue;
    }
    lines.push(...fileLines(file, findings, options.showSuppressed === true, paint));
    for (const finding of active) if (!fixes.has(finding.ruleId)) fixes.set(finding.ruleId, finding);
  }

  lines.push(...fixLines(fixes, paint));
  if (report.warnings.length > 0) {
    lines.push(paint('bold', 'Warnings'));
    for (const warning of report.warnings)
      lines.push(`  ${paint('yellow', 'warning:')} ${displaySafe(warning)}`);
    lines.push('');
  }
  lines.push(...environmentLines(report, paint));
  lines.push(...summaryLines(report, unlistedClean, paint));
  return `${lines.join('\n')}\n`;
};
