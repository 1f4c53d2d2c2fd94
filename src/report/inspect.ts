import type { Finding } from '../core/finding.js';
import type { ModelItem, ModelPart, ModelSection } from '../core/model-part.js';
import type { FileReport, ScanReport } from '../core/report-model.js';
import { findingJson, modelJson } from './json.js';
import type { ReportOptions } from './reporter.js';
import { displaySafe, jsonText } from './sanitize.js';
import { painter, type Paint } from './style.js';
import { findingLines, formatSize, SEVERITY_STYLE, VERDICT_STYLE } from './text.js';

/*
 * `mlsec inspect`: the forensic view of one file. For each model the scanner found in it (the file itself, then
 * archive members), its facts and its structure — layers, ops, tensors, metadata, templates, the pickle program —
 * with risky lines marked `!` (and coloured on a terminal), then the findings. The report comes from a scan run
 * with `detail` on, so the view and the verdict can never disagree.
 */

const RISK_MARK = '!';

function count(value: number, noun: string): string {
  return `${value.toLocaleString('en-US')} ${noun}${value === 1 ? '' : 's'}`;
}

function factsLine(part: ModelPart): string {
  const facts = [
    part.format,
    ...(part.framework === undefined ? [] : [`framework ${part.framework}`]),
    ...(part.tensors === undefined ? [] : [count(part.tensors, 'tensor')]),
    ...(part.parameters === undefined ? [] : [count(part.parameters, 'parameter')]),
  ];
  return facts.join(' · ');
}

function itemLine(item: ModelItem, paint: Paint): string {
  const text = displaySafe(item.text);
  if (item.risk === undefined) return `      ${text}`;
  return `    ${paint(SEVERITY_STYLE[item.risk], `${RISK_MARK} ${text}`)}`;
}

function sectionLines(section: ModelSection, paint: Paint): string[] {
  const omitted = section.omitted === undefined ? '' : paint('dim', ` (${section.omitted} more not shown)`);
  return [
    `    ${paint('bold', displaySafe(section.title))}${omitted}`,
    ...section.items.map((item) => itemLine(item, paint)),
  ];
}

function partLines(part: ModelPart, paint: Paint): string[] {
  const where = part.member === undefined ? '(file)' : displaySafe(part.member);
  const lines = [`  ${paint('bold', where)}  ${paint('dim', displaySafe(factsLine(part)))}`];
  for (const [name, value] of Object.entries(part.properties ?? {})) {
    lines.push(`    ${paint('dim', `${displaySafe(name)}:`)} ${displaySafe(value)}`);
  }
  for (const section of part.sections ?? []) lines.push(...sectionLines(section, paint));
  lines.push('');
  return lines;
}

function fileFindings(report: ScanReport, file: FileReport): Finding[] {
  const byId = new Map(report.findings.map((finding) => [finding.id, finding]));
  return file.findings.map((id) => byId.get(id)).filter((finding) => finding !== undefined);
}

function fileLines(report: ScanReport, file: FileReport, paint: Paint): string[] {
  const lines = [
    `${paint('bold', displaySafe(file.path))}  ${paint(VERDICT_STYLE[file.verdict], file.verdict)}  ` +
      paint('dim', `${displaySafe(file.format)}, ${formatSize(file.size)}`),
    ...(file.sha256 === undefined ? [] : [`  ${paint('dim', 'sha256:')} ${file.sha256}`]),
    '',
  ];
  for (const part of file.models) lines.push(...partLines(part, paint));
  const findings = fileFindings(report, file);
  const active = findings.filter((finding) => finding.suppressed === undefined);
  lines.push(paint('bold', active.length === 0 ? 'Findings: none' : 'Findings'));
  for (const finding of active) lines.push(...findingLines(finding, paint));
  if (findings.length > active.length) {
    lines.push(`  ${paint('dim', `${findings.length - active.length} suppressed not shown`)}`);
  }
  return lines;
}

export function inspectText(report: ScanReport, options: ReportOptions): string {
  const paint = painter(options.color);
  const blocks = report.files.map((file) => fileLines(report, file, paint).join('\n'));
  const warnings = report.warnings.map((warning) => `${paint('yellow', 'warning:')} ${displaySafe(warning)}`);
  return `${[...blocks, ...warnings].join('\n\n')}\n`;
}

function sectionJson(section: ModelSection): Record<string, unknown> {
  return {
    title: section.title,
    items: section.items.map((item) => ({
      text: item.text,
      ...(item.risk !== undefined && { risk: item.risk }),
    })),
    ...(section.omitted !== undefined && { omitted: section.omitted }),
  };
}

/** JSON: the scan report's file fields, each model part with its sections, and the file's findings. */
export function inspectJson(report: ScanReport): string {
  const files = report.files.map((file) => ({
    path: file.path,
    format: file.format,
    verdict: file.verdict,
    size: file.size,
    ...(file.sha256 !== undefined && { sha256: file.sha256 }),
    models: file.models.map((part) => ({
      ...modelJson(part),
      sections: (part.sections ?? []).map(sectionJson),
    })),
    findings: fileFindings(report, file).map(findingJson),
  }));
  return jsonText({ tool: report.tool, files, warnings: report.warnings });
}
