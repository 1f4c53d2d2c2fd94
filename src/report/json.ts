import type { Finding, Location } from '../core/finding.js';
import type { FileReport, ScanReport, ScanSummary } from '../core/report-model.js';
import { SEVERITIES } from '../core/severity.js';
import { VERDICTS } from '../core/verdict.js';
import type { Reporter } from './reporter.js';
import { jsonText } from './sanitize.js';

/*
 * The JSON format is a public contract (docs/output.md): fields may be added, never renamed or removed. Every object
 * is rebuilt here field by field rather than serialised as it comes from the engine, so that the key order is fixed
 * and an internal field added to the core model does not leak into the contract by accident.
 */

function locationJson(location: Location): Record<string, unknown> {
  return {
    path: location.path,
    ...(location.member !== undefined && { member: location.member }),
    ...(location.offset !== undefined && { offset: location.offset }),
    ...(location.line !== undefined && { line: location.line }),
    ...(location.package !== undefined && { package: location.package }),
  };
}

function findingJson(finding: Finding): Record<string, unknown> {
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    title: finding.title,
    severity: finding.severity,
    confidence: finding.confidence,
    message: finding.message,
    location: locationJson(finding.location),
    ...(finding.evidence !== undefined && { evidence: finding.evidence }),
    cwe: finding.cwe,
    owasp: finding.owasp,
    fix: finding.fix,
    fingerprint: finding.fingerprint,
    ...(finding.suppressed !== undefined && {
      suppressed: { kind: finding.suppressed.kind, reason: finding.suppressed.reason },
    }),
  };
}

function fileJson(file: FileReport): Record<string, unknown> {
  return {
    path: file.path,
    format: file.format,
    verdict: file.verdict,
    size: file.size,
    findings: file.findings,
  };
}

function summaryJson(summary: ScanSummary): Record<string, unknown> {
  return {
    files: summary.files,
    verdicts: Object.fromEntries(VERDICTS.map((verdict) => [verdict, summary.verdicts[verdict]])),
    findings: summary.findings,
    suppressed: summary.suppressed,
    bySeverity: Object.fromEntries(SEVERITIES.map((severity) => [severity, summary.bySeverity[severity]])),
    durationMs: summary.durationMs,
  };
}

export const jsonReporter: Reporter = (report: ScanReport) => {
  const document = {
    tool: { name: report.tool.name, version: report.tool.version },
    files: report.files.map(fileJson),
    findings: report.findings.map(findingJson),
    summary: summaryJson(report.summary),
    warnings: report.warnings,
  };
  return jsonText(document);
};
