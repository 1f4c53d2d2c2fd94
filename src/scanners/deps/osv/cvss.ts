import type { Severity } from '../../../core/severity.js';

/*
 * CVSS v3.0/v3.1 base score, from the FIRST specification (section 7.1 formulas, appendix A rounding). v4.0 scores
 * come from a table of 270 macro-vectors rather than a formula; mlsec does not carry that table, so a v4-only
 * record falls back to the database's own rating (GHSA's `database_specific.severity`).
 */

const WEIGHTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};
const PRIVILEGES: Readonly<Record<string, readonly [unchanged: number, changed: number]>> = {
  N: [0.85, 0.85],
  L: [0.62, 0.68],
  H: [0.27, 0.5],
};

/** CVSS 3.1 "Roundup": the smallest one-decimal number ≥ the input, computed in integers to avoid float drift. */
function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/** The base score of a `CVSS:3.x/AV:…` vector, or undefined when it is not a complete v3 vector. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [key, value, ...rest] = part.split(':');
    if (key === undefined || value === undefined || rest.length > 0 || metrics.has(key)) return undefined;
    metrics.set(key, value);
  }
  const weight = (key: string): number | undefined => WEIGHTS[key]?.[metrics.get(key) ?? ''];
  const scope = metrics.get('S');
  const privileges = PRIVILEGES[metrics.get('PR') ?? ''];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map(weight);
  if (
    (scope !== 'U' && scope !== 'C') ||
    privileges === undefined ||
    av === undefined ||
    ac === undefined ||
    ui === undefined ||
    c === undefined ||
    i === undefined ||
    a === undefined
  )
    return undefined;
  const changed = scope === 'C';
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * av * ac * privileges[changed ? 1 : 0] * ui;
  if (impact <= 0) return 0;
  return roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
}

/** The CVSS qualitative rating; a score of 0 ("none") is reported as low, since the record still lists a flaw. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

/** GHSA's `database_specific.severity` words. */
export function severityOfRating(rating: string): Severity | undefined {
  switch (rating.toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
      return 'high';
    case 'MODERATE':
    case 'MEDIUM':
      return 'medium';
    case 'LOW':
      return 'low';
    default:
      return undefined;
  }
}
