import type { EnvironmentRecord } from '../core/environment.js';
import type { Finding, Location } from '../core/finding.js';
import type { ModelPart } from '../core/model-part.js';
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

export function findingJson(finding: Finding): Record<string, unknown> {
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
    ...(finding.pin !== undefined && { package: { name: finding.pin.name, version: finding.pin.version } }),
    ...(finding.advisory !== undefined && {
      advisory: { id: finding.advisory.id, aliases: finding.advisory.aliases },
    }),
    ...(finding.suppressed !== undefined && {
      suppressed: { kind: finding.suppressed.kind, reason: finding.suppressed.reason },
    }),
  };
}

/** The ML-BOM facts of a model part; the detailed `inspect` sections belong to `mlsec inspect --format json`. */
export function modelJson(part: ModelPart): Record<string, unknown> {
  return {
    ...(part.member !== undefined && { member: part.member }),
    format: part.format,
    ...(part.framework !== undefined && { framework: part.framework }),
    ...(part.tensors !== undefined && { tensors: part.tensors }),
    ...(part.parameters !== undefined && { parameters: part.parameters }),
    ...(part.properties !== undefined && { properties: part.properties }),
  };
}

function fileJson(file: FileReport): Record<string, unknown> {
  return {
    path: file.path,
    format: file.format,
    verdict: file.verdict,
    size: file.size,
    ...(file.sha256 !== undefined && { sha256: file.sha256 }),
    findings: file.findings,
    ...(file.models.length > 0 && { models: file.models.map(modelJson) }),
    ...(file.packages !== undefined && file.packages.length > 0 && { packages: file.packages }),
  };
}

function environmentJson(environment: EnvironmentRecord): Record<string, unknown> {
  return {
    kind: environment.kind,
    root: environment.root,
    ...(environment.python !== undefined && { python: environment.python }),
    siteFolders: environment.siteFolders,
    distributions: environment.distributions,
    startupHooks: environment.startupHooks,
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
    environments: report.environments.map(environmentJson),
  };
  return jsonText(document);
};
