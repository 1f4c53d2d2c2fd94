/** Severity and confidence scales shared by every rule and finding, ordered from least to most. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CONFIDENCES = ['low', 'medium', 'high'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** GitHub code scanning buckets `security-severity` into critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. */
export const SECURITY_SEVERITY_SCORE: Record<Severity, string> = {
  info: '0.0',
  low: '2.0',
  medium: '5.5',
  high: '8.0',
  critical: '9.5',
};
