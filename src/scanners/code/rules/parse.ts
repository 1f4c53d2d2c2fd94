import { defineRule } from '../../../core/rule.js';

export const PY_PARSE_001 = defineRule({
  id: 'PY-PARSE-001',
  domain: 'code',
  title: 'Python source has syntax errors',
  description:
    'The parser recovered from syntax errors (Python 2 syntax, a merge conflict, a truncated file, syntax newer ' +
    'than the grammar). The rest of the file was still scanned, but code inside the broken region may have been ' +
    'read imprecisely.',
  fix: 'Fix the syntax error, or port Python 2 code to Python 3; then scan again.',
  severity: 'info',
  confidence: 'high',
  verdict: 'clean',
  cwe: [],
  owasp: [],
});
