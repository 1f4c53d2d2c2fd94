import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { DATA_SINK, type CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { qualifiedNames } from '../resolve.js';

export const PY_PYP_006 = defineRule({
  id: 'PY-PYP-006',
  domain: 'code',
  title: 'ast.literal_eval on unbounded untrusted input',
  description:
    '`ast.literal_eval` does not run code, but it parses its whole input into an AST first: a request body, ' +
    'LLM output or socket data of a few megabytes of nested brackets or huge numbers exhausts memory, hits the ' +
    'recursion limit (`RecursionError`, or a C stack overflow on older Pythons) or burns CPU. It is reported only ' +
    'when untrusted data reaches it, and not when the input is sliced to a bounded length.',
  fix: 'Parse data with `json.loads` (with a size check before it), or bound the input first: `if len(text) > 10_000: raise ValueError("too long")`, and catch `ValueError`, `SyntaxError`, `MemoryError` and `RecursionError` around `ast.literal_eval`.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-400', 'CWE-674'],
  owasp: [],
  bandit: [],
  ruff: [],
});

/** `text[:4096]`: an input cut to a fixed length cannot exhaust the parser. */
function isSliced(node: Node): boolean {
  return node.type === 'subscript' && node.namedChildren.some((child) => child?.type === 'slice');
}

export const literalEvalCheck: CodeRule = {
  rule: PY_PYP_006,
  calls: ['ast.literal_eval'],
  sink: DATA_SINK,
  check(call) {
    const input = call.positional[0] ?? call.keywords.get('node_or_string');
    if (input === undefined || isSliced(input.node) || call.taint(input.node) === undefined) return undefined;
    return { message: `${call.name} parses untrusted input of any size (memory and recursion exhaustion)` };
  },
};

export const PY_PYP_007 = defineRule({
  id: 'PY-PYP-007',
  domain: 'code',
  title: 'allow-list check on urlparse() of an untrusted URL',
  description:
    'Checking the `hostname`, `netloc` or `scheme` that `urllib.parse.urlparse` / `urlsplit` return for an ' +
    'untrusted URL, then fetching it with another client, relies on both parsers agreeing. They do not always: ' +
    'a leading space made `urlparse` return an empty scheme and bypass scheme block-lists (CVE-2023-24329), and ' +
    'backslashes, `@` user-info and odd ports are read differently by `urlparse`, `requests`/urllib3 and ' +
    'browsers, which turns an allow-list into a server-side request forgery.',
  fix: 'Strip and reject URLs with whitespace, control characters, backslashes or user-info; compare the scheme and host exactly (`parsed.scheme == "https" and parsed.hostname in ALLOWED_HOSTS`, never `in` on a string or `endswith` without a leading dot); parse with the same library that fetches (e.g. `urllib3.util.parse_url`), and run Python 3.11.4+/3.12 where the whitespace bypass is fixed.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-20'],
  owasp: [],
  bandit: [],
  ruff: [],
});

const URL_PARSERS = [
  'urllib.parse.urlparse',
  'urllib.parse.urlsplit',
  'urlparse.urlparse',
  'urlparse.urlsplit',
];
const URL_PARTS = ['hostname', 'netloc', 'scheme'];
const CHECK_METHODS = ['startswith', 'endswith'];
/** `urllib.parse.urlparse().hostname` and friends: the parsed parts allow-lists look at. */
const PARSED_PARTS = new Set(URL_PARSERS.flatMap((parser) => URL_PARTS.map((part) => `${parser}().${part}`)));
/** Membership and equality, as tokens: `not in` may come as `not` and `in`. */
const ALLOW_LIST_OPERATORS = new Set(['in', 'not', 'not in', '==', '!=']);

/** The `urlparse(url).hostname` of `urlparse(url).hostname.endswith(...)`. */
function parsedPart(call: Node): Node {
  return call.childForFieldName('function')?.childForFieldName('object') ?? call;
}

export const urlPrefixCheck: CodeRule = {
  rule: PY_PYP_007,
  calls: [...PARSED_PARTS].flatMap((part) => CHECK_METHODS.map((method) => `${part}.${method}`)),
  sink: { arguments: (call) => [{ node: parsedPart(call.node), constant: undefined }] },
  check(call) {
    if (call.taint(parsedPart(call.node)) === undefined) return undefined;
    return {
      message: `${call.name} checks an untrusted URL as urlparse reads it; the client that fetches may read it differently`,
    };
  },
};

export const urlAllowListCheck: NodeRule = {
  rule: PY_PYP_007,
  nodes: ['comparison_operator'],
  textHint: /\.(?:hostname|netloc|scheme)/,
  check(node, site) {
    const text = node.text;
    if (!URL_PARTS.some((part) => text.includes(`.${part}`))) return undefined;
    const operators = node.children
      .filter((child) => child !== null && !child.isNamed)
      .map((child) => child?.text);
    if (
      !operators.every(
        (operator) => operator !== undefined && ALLOW_LIST_OPERATORS.has(operator.replace(/\s+/g, ' ')),
      )
    )
      return undefined;
    for (const operand of node.namedChildren) {
      if (operand?.type !== 'attribute') continue;
      if (!qualifiedNames(operand, site.scope).some((name) => PARSED_PARTS.has(name))) continue;
      const source = site.taint(operand);
      if (source === undefined) continue;
      return {
        message: `allow-list check on ${operand.text} of an untrusted URL (${source.label}, line ${source.line}): parsers disagree on such URLs`,
        confidence: 'high',
      };
    }
    return undefined;
  },
};
