import { randomUUID } from 'node:crypto';
import type { Finding } from '../core/finding.js';
import type { ModelPart } from '../core/model-part.js';
import { ruleById } from '../core/registry.js';
import type { FileReport, ScanReport } from '../core/report-model.js';
import { affectedRefs, packageComponents } from './cyclonedx-packages.js';
import { ruleDocsUrl, PROJECT_URL } from './links.js';
import type { Reporter } from './reporter.js';
import { jsonText } from './sanitize.js';

/*
 * CycloneDX 1.6 ML-BOM. Built as plain JSON rather than through @cyclonedx/cyclonedx-library's models because those
 * have no `modelCard`, which is where a model's facts belong; the library's strict 1.6 validator checks the result in
 * the tests. Every scanned file is a component: `machine-learning-model` when the model scanner described a model
 * in it, `file` otherwise; models nested in a file (archive members) are its sub-components. The packages that
 * dependency files declare are `library` components with purls and, from lock files and installed metadata, a
 * dependency graph (`cyclonedx-packages.ts`). Findings become `vulnerabilities` that affect the component (and the
 * package a dependency finding names), with a VEX analysis state.
 */

interface Property {
  readonly name: string;
  readonly value: string;
}

type AnalysisState = 'exploitable' | 'in_triage' | 'not_affected';

const PROPERTY_PREFIX = 'mlsec:';

function properties(entries: readonly (readonly [string, string | number | undefined])[]): Property[] {
  return entries.flatMap(([name, value]) =>
    value === undefined ? [] : [{ name: `${PROPERTY_PREFIX}${name}`, value: String(value) }],
  );
}

function componentRef(path: string, member?: string): string {
  return member === undefined ? `file:${path}` : `file:${path}!${member}`;
}

type Entry = readonly [string, string | number | undefined];

/** A model part's facts as property entries; the format is left to the caller, which knows the file's own. */
function factEntries(part: ModelPart): Entry[] {
  return [
    ['framework', part.framework],
    ['tensors', part.tensors],
    ['parameters', part.parameters],
    ...Object.entries(part.properties ?? {}).map(([name, value]): Entry => [`model:${name}`, value]),
  ];
}

/**
 * The model card: the architecture family and architecture where the format names them (GGUF
 * `general.architecture` such as `llama`; a Hugging Face config's `model_type` and `architectures`), and every fact
 * as a property.
 */
function modelCard(part: ModelPart): Record<string, unknown> {
  const family = part.properties?.architecture ?? part.properties?.model_type;
  const architecture = part.properties?.architectures;
  const modelParameters = {
    ...(family !== undefined && { architectureFamily: family }),
    ...(architecture !== undefined && { modelArchitecture: architecture }),
  };
  return {
    ...(Object.keys(modelParameters).length > 0 && { modelParameters }),
    properties: properties([['format', part.format], ...factEntries(part)]),
  };
}

function nestedComponent(path: string, part: ModelPart & { member: string }): Record<string, unknown> {
  return {
    type: 'machine-learning-model',
    'bom-ref': componentRef(path, part.member),
    name: part.member,
    modelCard: modelCard(part),
    properties: properties([['member', part.member], ['format', part.format], ...factEntries(part)]),
  };
}

function fileComponent(file: FileReport): Record<string, unknown> {
  const own = file.models.find((part) => part.member === undefined);
  const nested = file.models.filter(
    (part): part is ModelPart & { member: string } => part.member !== undefined,
  );
  return {
    type: file.models.length > 0 ? 'machine-learning-model' : 'file',
    'bom-ref': componentRef(file.path),
    name: file.path,
    ...(file.sha256 !== undefined && { hashes: [{ alg: 'SHA-256', content: file.sha256 }] }),
    ...(own !== undefined && { modelCard: modelCard(own) }),
    properties: properties([
      ['path', file.path],
      ['format', file.format],
      ['verdict', file.verdict],
      ['size', file.size],
      ...(own === undefined ? [] : factEntries(own)),
    ]),
    ...(nested.length > 0 && { components: nested.map((part) => nestedComponent(file.path, part)) }),
  };
}

/**
 * VEX state: a finding whose rule marks the file malicious is exploitable by loading it; other active findings
 * await a human (in triage); a finding suppressed with a reason is not affecting this deployment.
 */
function analysisOf(finding: Finding): { state: AnalysisState; detail: string } {
  if (finding.suppressed !== undefined) {
    return {
      state: 'not_affected',
      detail: `Suppressed by ${finding.suppressed.kind}: ${finding.suppressed.reason}`,
    };
  }
  if (ruleById(finding.ruleId)?.verdict === 'malicious') {
    return {
      state: 'exploitable',
      detail: 'Loading the artifact runs the code or reaches the resource shown.',
    };
  }
  return { state: 'in_triage', detail: 'Needs review: mlsec cannot tell statically that it is harmless.' };
}

/** The database an advisory id comes from, by its prefix (`GHSA-…`, `CVE-…`, `PYSEC-…`). */
function sourceOf(advisoryId: string): string {
  const prefix = advisoryId.split('-')[0] ?? advisoryId;
  return (
    { GHSA: 'GitHub Advisory Database', CVE: 'NVD', PYSEC: 'PyPA Advisory Database', MAL: 'OSV' }[prefix] ??
    prefix
  );
}

function cweNumbers(cwe: readonly string[]): number[] {
  return cwe.map((id) => Number(id.replace(/^CWE-/, ''))).filter((n) => Number.isInteger(n) && n > 0);
}

function vulnerability(
  finding: Finding,
  refFor: (path: string, packageLabel: string | undefined) => string | undefined,
): Record<string, unknown> {
  const { member, offset } = finding.location;
  const cwes = cweNumbers(finding.cwe);
  return {
    'bom-ref': `finding:${finding.fingerprint}`,
    // A known advisory is identified by its own id, with its aliases as references; other findings by the rule.
    id: finding.advisory?.id ?? finding.ruleId,
    ...(finding.advisory !== undefined &&
      finding.advisory.aliases.length > 0 && {
        references: finding.advisory.aliases.map((alias) => ({
          id: alias,
          source: { name: sourceOf(alias) },
        })),
      }),
    source: { name: 'mlsec', url: ruleDocsUrl(finding.ruleId) },
    ratings: [{ source: { name: 'mlsec' }, severity: finding.severity, method: 'other' }],
    ...(cwes.length > 0 && { cwes }),
    description: finding.message,
    ...(finding.evidence !== undefined && { detail: finding.evidence }),
    recommendation: finding.fix,
    analysis: analysisOf(finding),
    affects: affectedRefs(finding, componentRef(finding.location.path), refFor),
    properties: properties([
      ['fingerprint', finding.fingerprint],
      ['title', finding.title],
      ['confidence', finding.confidence],
      ['member', member],
      ['offset', offset],
      ...finding.owasp.map((tag) => ['owasp', tag] as const),
    ]),
  };
}

export const cyclonedxReporter: Reporter = (report: ScanReport) => {
  const packages = packageComponents(report.files);
  const document = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: new Date().toISOString(),
      tools: {
        components: [
          {
            type: 'application',
            name: report.tool.name,
            version: report.tool.version,
            externalReferences: [{ type: 'website', url: PROJECT_URL }],
          },
        ],
      },
    },
    components: [...report.files.map(fileComponent), ...packages.components],
    ...(packages.dependencies.length > 0 && { dependencies: packages.dependencies }),
    vulnerabilities: report.findings.map((finding) => vulnerability(finding, packages.refFor)),
  };
  return jsonText(document);
};
