import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';

export const PY_PYP_003 = defineRule({
  id: 'PY-PYP-003',
  domain: 'code',
  title: 'assert used as a runtime check',
  description:
    '`assert` statements are removed when Python runs with `-O` or `PYTHONOPTIMIZE` (common in production ' +
    'images and some serving stacks), so an `assert` that checks a permission, a token, an input size or a ' +
    'file type stops checking anything there. Test files are not reported.',
  fix: 'Raise explicitly: `if not user.is_admin: raise PermissionError("admin only")`, `if len(payload) > MAX: raise ValueError(...)`; keep `assert` for internal invariants and tests.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-703'],
  owasp: [],
  bandit: ['B101'],
  ruff: ['S101'],
  enabledByDefault: false,
});

/** Test code, where `assert` is the point: `test_*.py`, `*_test.py`, `tests.py`, `conftest.py`. */
const TEST_FILE = /(?:^|\/)(?:test_[^/]*|[^/]*_test|conftest|tests)\.(?:py|ipynb)$/i;
const TEST_DIRECTORY = /(?:^|\/)(?:tests?|testing)\//i;

/**
 * Whether a file is test code. Directories count only in relative paths: an absolute path starts with the
 * directories above the scanned project (`/home/me/test/project/...`), which say nothing about the file.
 */
function isTestFile(path: string): boolean {
  return TEST_FILE.test(path) || (!path.startsWith('/') && TEST_DIRECTORY.test(path));
}

/** Names in the condition that make the assertion an access or input check. */
const SECURITY_WORDS =
  /auth|admin|permission|privilege|role|token|password|secret|signature|verif|allow|trusted|owner|access|is_safe|sanit|login|user/i;

export const assertCheck: NodeRule = {
  rule: PY_PYP_003,
  nodes: ['assert_statement'],
  check(node, site) {
    if (isTestFile(site.file.path)) return undefined;
    const condition = node.firstNamedChild?.text ?? '';
    if (SECURITY_WORDS.test(condition))
      return {
        message: `assert on ${condition.slice(0, 60)} looks like an access check; it is removed under python -O`,
        severity: 'medium',
      };
    return { message: 'assert is removed under python -O: it cannot enforce a runtime check' };
  },
};

export const PY_PYP_004 = defineRule({
  id: 'PY-PYP-004',
  domain: 'code',
  title: 'exception silenced with except: pass / continue',
  description:
    'A bare `except:` or `except Exception:` whose whole body is `pass` or `continue` hides every error, ' +
    'including failed signature or checksum verification, permission errors and interrupted downloads, so the ' +
    'program carries on with half-written files or unchecked data and leaves no trace of why.',
  fix: 'Catch the specific exception you expect (`except FileNotFoundError:`), and log it (`logger.warning("...", exc_info=True)`) or re-raise; use `contextlib.suppress(SpecificError)` when ignoring one error is really intended.',
  severity: 'low',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-703'],
  owasp: [],
  bandit: ['B110', 'B112'],
  ruff: ['S110', 'S112'],
  enabledByDefault: false,
});

/** Exception types that catch everything: what bandit's default (untyped) check reports. */
const CATCH_ALL = new Set(['Exception', 'BaseException']);

/** The caught type of an except clause: undefined for a bare `except:`. */
function caughtType(clause: Node): Node | undefined {
  for (const child of clause.namedChildren) {
    if (child === null || child.type === 'block' || child.type === 'comment') continue;
    return child.type === 'as_pattern' ? (child.firstNamedChild ?? undefined) : child;
  }
  return undefined;
}

export const silencedExceptionCheck: NodeRule = {
  rule: PY_PYP_004,
  nodes: ['except_clause'],
  check(node) {
    const body = node.namedChildren.find((child) => child?.type === 'block');
    const statements =
      body?.namedChildren.filter((child) => child !== null && child.type !== 'comment') ?? [];
    const only = statements.length === 1 ? statements[0]?.type : undefined;
    if (only !== 'pass_statement' && only !== 'continue_statement') return undefined;
    const caught = caughtType(node);
    if (caught !== undefined && !CATCH_ALL.has(caught.text)) return undefined;
    const what = caught === undefined ? 'bare except' : `except ${caught.text}`;
    return { message: `${what}: ${only === 'pass_statement' ? 'pass' : 'continue'} silences every error` };
  },
};

export const PY_PYP_005 = defineRule({
  id: 'PY-PYP-005',
  domain: 'code',
  title: 'Python 2 input() evaluates what the user types',
  description:
    'In Python 2, `input()` is `eval(raw_input())`: whatever is typed at the prompt (or piped into the script) ' +
    'runs as Python code, e.g. `__import__("os").system("...")`. The file uses Python 2 statements (`print "x"`), ' +
    'so it is meant to run under Python 2, where this holds.',
  fix: 'Use `raw_input()` in Python 2 and convert explicitly (`int(raw_input())`), or port the file to Python 3, where `input()` returns a string.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-95'],
  owasp: [],
  bandit: ['B322'],
  ruff: [],
});

export const python2InputCheck: CodeRule = {
  rule: PY_PYP_005,
  calls: ['builtins.input', '__builtin__.input'],
  check(call) {
    if (!call.file.python2) return undefined;
    return {
      message: `${call.name.replace(/^builtins\./, '')}() in a Python 2 file evaluates the typed text as code`,
    };
  },
};

export const PY_PYP_008 = defineRule({
  id: 'PY-PYP-008',
  domain: 'code',
  title: 'Trojan Source: bidirectional control or look-alike characters',
  description:
    'Unicode bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200F) in a string or comment reorder how ' +
    'the line is displayed, so reviewers read different logic from what Python runs (CVE-2021-42574). Invisible ' +
    'characters in code, identifiers that mix Latin with Cyrillic or Greek letters, and full-width or ' +
    'mathematical letters (which Python folds to ASCII names) make a name look like another one.',
  fix: 'Remove the characters (escape them as `\\u202e` in strings that really need them), rename identifiers to plain ASCII, and enable a bidi/confusable check in the editor and CI (e.g. ruff PLE2502, RUF001-RUF003).',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-838', 'CWE-1007'],
  owasp: [],
  bandit: ['B613'],
  ruff: ['PLE2502'],
});

const BIDI = /[\u202A-\u202E\u2066-\u2069\u200F]/;
/**
 * One pass over the file text: bidi controls (bandit B613's list), invisible characters, full-width and
 * mathematical letters, and a Latin letter next to a Cyrillic or Greek one. Only the first relevant one is
 * reported, as bandit does.
 */
const SUSPICIOUS_CHARACTERS =
  /[\u202A-\u202E\u2066-\u2069\u200F]|[\u200B-\u200D\u2060\uFEFF]|[\uFF21-\uFF3A\uFF41-\uFF5A]|[\u{1D400}-\u{1D7FF}]|[A-Za-z][\u0370-\u03FF\u0400-\u04FF]|[\u0370-\u03FF\u0400-\u04FF][A-Za-z]/gu;
/** Most files are ASCII: one test skips the regex walk. */
const NON_ASCII = /[\u0080-\uFFFF]/;
const TEXT_NODES = new Set(['string_content', 'string', 'comment', 'escape_sequence']);
const MAX_MATCHES = 1000;

/** Why the character at `offset` matters, or undefined when it is harmless where it is. */
function problemAt(root: Node, match: string, offset: number): { node: Node; what: string } | undefined {
  const node = root.descendantForIndex(offset, offset + 1);
  if (node === null) return undefined;
  if (BIDI.test(match)) return { node, what: `bidirectional control character ${codePoints(match)}` };
  // Invisible and look-alike characters matter in names; in text they are content (emoji joiners, Greek words).
  if (TEXT_NODES.has(node.type)) return undefined;
  if (/[\u200B-\u200D\u2060\uFEFF]/.test(match))
    return { node, what: `invisible character ${codePoints(match)} in code` };
  if (node.type !== 'identifier') return undefined;
  return {
    node,
    what: `identifier ${node.text} with look-alike letters (${codePoints(match)})`,
  };
}

/** `U+202E` for each non-ASCII character of `text`. */
function codePoints(text: string): string {
  const points: string[] = [];
  for (const character of text) {
    const point = character.codePointAt(0) ?? 0;
    if (point > 0x7f) points.push(`U+${point.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return points.join(' ');
}

export const trojanSourceCheck: NodeRule = {
  rule: PY_PYP_008,
  nodes: ['module'],
  check(root) {
    const text = root.text;
    if (!NON_ASCII.test(text)) return undefined;
    SUSPICIOUS_CHARACTERS.lastIndex = 0;
    let count = 0;
    for (
      let match = SUSPICIOUS_CHARACTERS.exec(text);
      match !== null;
      match = SUSPICIOUS_CHARACTERS.exec(text)
    ) {
      // A byte-order mark at the very start is an encoding marker, not hidden text.
      if (match.index === 0 && match[0] === '\uFEFF') continue;
      if (++count > MAX_MATCHES) return undefined;
      const problem = problemAt(root, match[0], match.index);
      if (problem === undefined) continue;
      // A multi-line string or comment node starts above the character: name the character's own line.
      const line = text.slice(0, match.index).split('\n').length;
      const where = problem.node.startPosition.row + 1 === line ? '' : ` (line ${line})`;
      return { message: `${problem.what}${where}: the code may not do what it displays`, node: problem.node };
    }
    return undefined;
  },
};
