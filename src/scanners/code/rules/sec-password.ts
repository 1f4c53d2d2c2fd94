import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch, Site } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import { findSecrets, isPlaceholderValue, redact, redactAll } from './sec-formats.js';
import { isEnvironSubscript, isSdkCredentialCall } from './sec-sdk.js';

/** What bandit's B105-B107 share: a guess from the name, hence low severity and medium confidence. */
const PASSWORD_GUESS = {
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  owasp: [],
} as const;

const FIX =
  'Read the secret at run time: `os.environ["DB_PASSWORD"]`, `getpass.getpass()`, a secret manager (Vault, AWS ' +
  'Secrets Manager, Colab `userdata.get`), or a config file kept out of version control; rotate the value that ' +
  'was committed.';

export const PY_SEC_001 = defineRule({
  id: 'PY-SEC-001',
  domain: 'code',
  title: 'hard-coded password assigned or compared',
  description:
    'A string literal assigned to, stored under or compared with a password-like name (`password`, `passwd`, ' +
    '`pwd`, `passphrase`, `secret`, `token`, as a whole word of the name: `db_password`, `API_TOKEN`, ' +
    '`config["secret"]`). A password in the source is in every clone, fork, wheel and notebook export of the ' +
    'project. Tokenizer special tokens (`pad_token = "<pad>"`), placeholders and environment variable names are ' +
    'not reported.',
  fix: FIX,
  ...PASSWORD_GUESS,
  cwe: ['CWE-259', 'CWE-798'],
  bandit: ['B105'],
  ruff: ['S105'],
});

export const PY_SEC_002 = defineRule({
  id: 'PY-SEC-002',
  domain: 'code',
  title: 'hard-coded password passed as a keyword argument',
  description:
    'A string literal passed to a password-like keyword argument (`password="…"`, `passwd=`, `db_token=`): ' +
    'database drivers, SMTP, Redis, paramiko and MLflow/tracking clients get a credential that is in every ' +
    'copy of the code. SDK logins with their own rule (PY-SEC-005) are left to it.',
  fix: FIX,
  ...PASSWORD_GUESS,
  cwe: ['CWE-259'],
  bandit: ['B106'],
  ruff: ['S106'],
});

export const PY_SEC_003 = defineRule({
  id: 'PY-SEC-003',
  domain: 'code',
  title: 'hard-coded password as a parameter default',
  description:
    'A function parameter with a password-like name whose default is a string literal ' +
    '(`def connect(user, password="admin")`): every caller that omits the argument uses the same, published ' +
    'credential, and the default often outlives the prototype it was written for.',
  fix: 'Default the parameter to `None` and read the secret at run time when it is missing (`password = password or os.environ["DB_PASSWORD"]`), or make it a required argument.',
  ...PASSWORD_GUESS,
  cwe: ['CWE-259'],
  bandit: ['B107'],
  ruff: ['S107'],
});

/**
 * bandit's and ruff's password words, each a whole `_`-separated part of the name; `token` apart, because in ML
 * code names with it mostly hold vocabulary and prompt strings.
 */
const PASSWORD_WORD = /(?:^|_)(?:pas+wo?r?d|pass(?:phrase)?|pwd|secrete?)(?:$|_)/i;
const TOKEN_WORD = /(?:^|_)token(?:$|_)/i;
/** Names for where a secret is or what kind it is, not the secret: `password_file`, `token_type`, `secret_env`. */
const REFERENCE_SUFFIX =
  /_(?:file|path|dir|env|var|url|uri|endpoint|name|field|pattern|type|types|id|ids|len|length|count|prefix|suffix|header|param|column|label|template|format|regex|policy|hint|prompt)$/i;
/** Tokenizer special tokens (`eos_token`, `mask_token`): vocabulary entries, not credentials. */
const SPECIAL_TOKEN =
  /^(?:pad|eos|bos|unk|sep|cls|mask|sos|eot|special|additional|start|end|stop)_tokens?(?:_|$)/i;
/** Values shaped like vocabulary entries: `[CLS]`, `</s>`, `<|endoftext|>`, `▁`. */
const SPECIAL_TOKEN_VALUE = /^(?:\[[A-Za-z_]+\]|<\/?[\w|.-]*>|.)$/;

/**
 * Text every password-like name contains. `pass` alone counts only as a part of a name (`db_pass`, `pass_hash`,
 * `["pass"]`, `PASS =`): the `pass` statement is in most files.
 */
const PASSWORD_HINT =
  /pas+wo?r?d|passphrase|_pass(?![a-z])|(?<![a-z_])pass_|['"]pass['"]|(?<![a-z_])pass[ \t]*[=!<>:,)\]]|pwd|secret|token/;

function isPasswordName(name: string): boolean {
  return (
    (PASSWORD_WORD.test(name) || TOKEN_WORD.test(name)) &&
    !REFERENCE_SUFFIX.test(name) &&
    !SPECIAL_TOKEN.test(name)
  );
}

/** Issued tokens are long runs without spaces; `"### Response:"` or `"|"` under a `*_token` name is text. */
const TOKEN_LIKE_VALUE = /^\S{8,}$/;

/**
 * A string literal that may be the secret `name` holds: not a placeholder, a vocabulary entry, a URL without
 * a login or a key of a known format.
 */
function passwordLiteral(node: Node, site: Site, name: string): string | undefined {
  if (node.type !== 'string' && node.type !== 'concatenated_string') return undefined;
  const constant = constantOf(node, site.scope);
  if (constant?.kind !== 'string') return undefined;
  const { value } = constant;
  if (isPlaceholderValue(value) || SPECIAL_TOKEN_VALUE.test(value) || /^https?:\/\/[^@]*$/.test(value))
    return undefined;
  // A name whose only password word is `token` holds an issued token only if the value looks like one.
  if (!PASSWORD_WORD.test(name) && !TOKEN_LIKE_VALUE.test(value)) return undefined;
  // A key of a known format is PY-SEC-004's, at high severity; one report is enough.
  return findSecrets(value).length > 0 ? undefined : value;
}

/** The password-like name an assignment target or comparison operand stands for, if any. */
function nameOf(node: Node, site: Site): string | undefined {
  switch (node.type) {
    case 'identifier':
      return node.text;
    case 'attribute':
      return node.childForFieldName('attribute')?.text;
    case 'subscript': {
      const key = node.childForFieldName('subscript');
      const constant = key === null ? undefined : constantOf(key, site.scope);
      return constant?.kind === 'string' ? constant.value : undefined;
    }
    case 'string': {
      const constant = constantOf(node, site.scope);
      return constant?.kind === 'string' ? constant.value : undefined;
    }
    default:
      return undefined;
  }
}

function passwordMatch(name: string, value: string, shown: Node, line?: Node): CodeMatch {
  return {
    message: `possible hard-coded password ${redact(value)} for ${name}`,
    evidence: redactAll(shown.text.split('\n')[0] ?? '', [value]),
    ...(line !== undefined && { node: line }),
  };
}

/** Assignments (`password = "…"`, `cfg["token"] = "…"`), comparisons and dict entries. */
export const passwordLiteralCheck: NodeRule = {
  rule: PY_SEC_001,
  nodes: ['assignment', 'comparison_operator', 'pair'],
  textHint: PASSWORD_HINT,
  check(node, site) {
    const pairs: [Node | null, Node | null][] =
      node.type === 'assignment'
        ? [[node.childForFieldName('left'), node.childForFieldName('right')]]
        : node.type === 'pair'
          ? [[node.childForFieldName('key'), node.childForFieldName('value')]]
          : comparedPairs(node);
    for (const [target, valueNode] of pairs) {
      if (target === null || valueNode === null) continue;
      const name = nameOf(target, site);
      if (name === undefined || !isPasswordName(name)) continue;
      // Setting a credential variable in the environment is PY-SEC-005's, which knows the SDK variables.
      if (isEnvironSubscript(target, site)) continue;
      const value = passwordLiteral(valueNode, site, name);
      if (value !== undefined) return passwordMatch(name, value, node);
    }
    return undefined;
  },
};

/** Each name operand of a comparison against each string operand: `password == "root"`, `"root" != pwd`. */
function comparedPairs(node: Node): [Node, Node][] {
  const operands = node.namedChildren.filter((child): child is Node => child !== null);
  const strings = operands.filter((child) => child.type === 'string');
  return operands
    .filter((child) => child.type !== 'string')
    .flatMap((named) => strings.map((string): [Node, Node] => [named, string]));
}

export const passwordKeywordCheck: NodeRule = {
  rule: PY_SEC_002,
  nodes: ['keyword_argument'],
  textHint: PASSWORD_HINT,
  check(node, site) {
    const name = node.childForFieldName('name')?.text;
    const valueNode = node.childForFieldName('value');
    if (name === undefined || valueNode === null || !isPasswordName(name)) return undefined;
    const value = passwordLiteral(valueNode, site, name);
    const call = node.parent?.parent;
    if (value === undefined || call?.type !== 'call') return undefined;
    const callee = call.childForFieldName('function');
    if (callee !== null && isSdkCredentialCall(qualifiedNames(callee, site.scope, 0, true))) return undefined;
    // Reported on the call's first line, as bandit does; the evidence is the argument itself.
    return passwordMatch(name, value, node, call);
  },
};

export const passwordDefaultCheck: NodeRule = {
  rule: PY_SEC_003,
  nodes: ['default_parameter', 'typed_default_parameter'],
  textHint: PASSWORD_HINT,
  check(node, site) {
    const name = node.childForFieldName('name')?.text;
    const valueNode = node.childForFieldName('value');
    if (name === undefined || valueNode === null || !isPasswordName(name)) return undefined;
    const value = passwordLiteral(valueNode, site, name);
    const definition = node.parent?.parent;
    if (value === undefined || definition === null || definition === undefined) return undefined;
    return passwordMatch(name, value, node, definition);
  },
};
