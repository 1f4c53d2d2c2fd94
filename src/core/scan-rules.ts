import { defineRule } from './rule.js';

/** Rules the engine itself raises: a file that could not be read to the end is never reported clean. */
export const SCAN_UNPARSEABLE = defineRule({
  id: 'SCAN-001',
  domain: 'scan',
  title: 'File could not be fully parsed',
  description:
    'The scanner could not read this file (or a member of it) to the end: it is truncated, malformed, uses an ' +
    'unknown opcode or an invalid length, or is encrypted. What was not read may hide a payload, so the file is ' +
    'reported as unscannable rather than clean.',
  fix: 'Obtain the artifact again from a trusted source, or convert it to a format without code execution (safetensors, ONNX, skops). Do not load it until it scans cleanly.',
  severity: 'high',
  confidence: 'high',
  verdict: 'unscannable',
  cwe: ['CWE-20'],
  owasp: ['ML06:2023'],
});

export const SCAN_LIMIT = defineRule({
  id: 'SCAN-002',
  domain: 'scan',
  title: 'Resource limit reached while scanning',
  description:
    'Scanning stopped because a resource limit was reached: file or decompressed size, compression ratio ' +
    '(a decompression bomb), container nesting, stack depth, memo size, opcode count or time. The rest of the ' +
    'file was not examined, so it is reported as unscannable.',
  fix: 'Inspect the file by hand. If it is legitimate and very large, raise the limit in the `[limits]` table of the configuration.',
  severity: 'high',
  confidence: 'high',
  verdict: 'unscannable',
  cwe: ['CWE-400', 'CWE-409'],
  owasp: ['ML06:2023'],
});

export const SCAN_UNRECOGNISED = defineRule({
  id: 'SCAN-003',
  domain: 'scan',
  title: 'Model file in an unrecognised format',
  description:
    'The file has a pickle-model extension (.pt, .ckpt, .pkl, .joblib, .npy, …) but its content is ' +
    'none of the formats mlsec understands, for example a 7z archive wrapping a model. It cannot be shown to ' +
    'be safe.',
  fix: 'Find out what produced the file. Convert it to a supported, preferably code-free, format before loading it.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'unscannable',
  cwe: ['CWE-20'],
  owasp: ['ML06:2023'],
});

export const SCAN_RULES = [SCAN_UNPARSEABLE, SCAN_LIMIT, SCAN_UNRECOGNISED] as const;
