import type { Finding } from '../core/finding.js';
import type { FileReport, ScanReport } from '../core/report-model.js';
import { artifactUri } from './artifact-uri.js';
import { PROJECT_URL } from './links.js';
import { whereText } from './location.js';
import type { Reporter } from './reporter.js';
import { displaySafe, jsonText } from './sanitize.js';
import { ruleDescriptors, SARIF_LEVEL } from './sarif-rules.js';

/*
 * SARIF 2.1.0 as GitHub code scanning ingests it: one run, the rules that occur, one result per finding anchored to
 * the scanned file relative to %SRCROOT%. Offsets and members stay in `properties` and the message, not in
 * `region.byteOffset`: SARIF §3.30.1 requires a region's text and binary parts to denote the same bytes and forbids a
 * text region in a binary artifact, yet GitHub needs `startLine` to anchor an alert; and an offset inside an archive
 * member or a decompressed stream is not an offset in the artifact at all.
 */

const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const FINGERPRINT_KEY = 'mlsecFingerprint/v1';

function messageText(finding: Finding): string {
  const where = whereText(finding.location);
  const lines = [displaySafe(finding.message)];
  if (where !== '') lines.push(`Location: ${where}`);
  if (finding.evidence !== undefined) lines.push(`Evidence: ${displaySafe(finding.evidence)}`);
  return lines.join('\n');
}

/**
 * The line of the scanned file an alert points at. A line inside a member (a notebook cell, TorchScript code in an
 * archive) is not a line of the file, and model files are binary: line 1 anchors those alerts to the file, as
 * dependency scanners do for lockfiles; the member and its line are in the message and properties.
 */
function artifactLine(finding: Finding): number {
  const { member, line } = finding.location;
  return member === undefined ? (line ?? 1) : 1;
}

function resultProperties(finding: Finding, file: FileReport | undefined): Record<string, unknown> {
  const { member, offset, line, package: pkg } = finding.location;
  return {
    findingId: finding.id,
    severity: finding.severity,
    confidence: finding.confidence,
    ...(file !== undefined && { verdict: file.verdict, format: file.format }),
    ...(member !== undefined && { member }),
    ...(offset !== undefined && { offset }),
    ...(line !== undefined && { line }),
    ...(pkg !== undefined && { package: pkg }),
    ...(finding.evidence !== undefined && { evidence: finding.evidence }),
  };
}

function result(
  finding: Finding,
  ruleIndex: number,
  file: FileReport | undefined,
  cwd: string,
): Record<string, unknown> {
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: SARIF_LEVEL[finding.severity],
    message: { text: messageText(finding) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifactUri(finding.location.path, cwd), uriBaseId: '%SRCROOT%' },
          region: { startLine: artifactLine(finding) },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(finding.suppressed !== undefined && {
      // Config ignores and baselines live outside the scanned file; inline comments are in it.
      suppressions: [
        {
          kind: finding.suppressed.kind === 'inline' ? 'inSource' : 'external',
          status: 'accepted',
          justification: finding.suppressed.reason,
          properties: { mlsecSuppression: finding.suppressed.kind },
        },
      ],
    }),
    properties: resultProperties(finding, file),
  };
}

export const sarifReporter: Reporter = (report: ScanReport, options) => {
  const fileOf = new Map<string, FileReport>();
  for (const file of report.files) for (const id of file.findings) fileOf.set(id, file);
  const { rules, indexOf } = ruleDescriptors(report.findings);
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: PROJECT_URL,
            rules,
          },
        },
        // The trailing slash makes `mlsec` the category, so our upload does not replace other tools' alerts.
        automationDetails: { id: `${report.tool.name}/` },
        invocations: [
          {
            executionSuccessful: true,
            ...(report.warnings.length > 0 && {
              toolExecutionNotifications: report.warnings.map((warning) => ({
                level: 'warning',
                message: { text: displaySafe(warning) },
              })),
            }),
          },
        ],
        results: report.findings.map((finding) =>
          result(finding, indexOf.get(finding.ruleId) ?? 0, fileOf.get(finding.id), options.cwd),
        ),
      },
    ],
  };
  return jsonText(log);
};
