import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { type Argument, argumentOf, type CallSite, type CodeRule } from '../call-site.js';

export const PY_INJ_008 = defineRule({
  id: 'PY-INJ-008',
  domain: 'code',
  title: 'regular expression compiled from untrusted input (ReDoS)',
  description:
    'A pattern from a request, the command line, the environment or an LLM answer passed to `re.compile`, ' +
    '`re.match`, `re.search`, `re.sub` (or the `regex` module) can be a catastrophic pattern such as ' +
    "`(a+)+$`: matching it backtracks exponentially and pins a worker's CPU for minutes (regular expression " +
    'denial of service). Reported only when such a source reaches the pattern.',
  fix: 'Match outside text literally with `re.escape(value)` or plain `in`/`str.find`; if users must supply patterns, cap their length and run them with a timeout (`regex.search(pattern, text, timeout=0.1)`) or with the linear-time `re2` engine (`google-re2`).',
  severity: 'low',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-1333'],
  owasp: [],
});

const REGEX_FUNCTIONS = [
  'compile',
  'match',
  'search',
  'fullmatch',
  'findall',
  'finditer',
  'sub',
  'subn',
  'split',
];

const patternOf = (call: CallSite): Argument | undefined => argumentOf(call, 'pattern', 0);

export const untrustedPatternCheck: CodeRule = {
  rule: PY_INJ_008,
  calls: REGEX_FUNCTIONS.flatMap((name) => [`re.${name}`, `regex.${name}`]),
  sink: { arguments: (call) => [patternOf(call)] },
  check(call) {
    const pattern = patternOf(call);
    if (pattern === undefined || call.taint(pattern.node) === undefined) return undefined;
    return { message: `${call.name} compiles a regular expression that comes from outside the program` };
  },
};

export const PY_INJ_009 = defineRule({
  id: 'PY-INJ-009',
  domain: 'code',
  title: 'format string controlled from outside',
  description:
    '`str.format` and `format_map` follow attributes and items named in the format string: with a template ' +
    'from a request or an LLM answer, `"{user.__init__.__globals__[SECRET_KEY]}"` or `"{config.api_key}"` ' +
    'reads secrets and internals through whatever object is passed in.',
  fix: 'Keep format strings fixed in the source and pass outside text as a value: `"Hello {}".format(name)`. For user-written templates use `string.Template(text).safe_substitute(name=name)`, which substitutes names only, or a sandboxed Jinja2 environment.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-134'],
  owasp: [],
});

/** The string `format` is called on, as an argument for the taint sink. */
function formatStringOf(call: CallSite): Argument | undefined {
  const callee = call.node.childForFieldName('function');
  const receiver = callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
  return receiver === null || receiver.type === 'string'
    ? undefined
    : { node: receiver, constant: undefined };
}

/**
 * A receiver resolved to an instance of a library class (`PromptTemplate.from_template()`, `logging.Formatter()`)
 * has its own `format` method, not `str.format`.
 */
const LIBRARY_OBJECT = /(?:^|\.)[A-Z]\w*(?:\.\w+)*\(\)|^(?:langchain\w*|llama_index)\./;

export const formatStringCheck: CodeRule = {
  rule: PY_INJ_009,
  calls: ['format', 'format_map'].flatMap((method) => [`?.${method}`, `*.${method}`]),
  sink: { arguments: (call) => [formatStringOf(call)] },
  check(call) {
    // Without arguments there is no object whose attributes the format string could reach.
    if (call.positional.length === 0 && call.keywords.size === 0 && !call.hasUnpacking) return undefined;
    if (LIBRARY_OBJECT.test(call.name.slice(0, call.name.lastIndexOf('.')))) return undefined;
    const template = formatStringOf(call);
    if (template === undefined || call.taint(template.node) === undefined) return undefined;
    return { message: `${call.name} with a format string that comes from outside the program` };
  },
};

export const PY_INJ_010 = defineRule({
  id: 'PY-INJ-010',
  domain: 'code',
  title: 'secret written to a log',
  description:
    'A `logging` or loguru call whose arguments or f-string name a password, secret, API key or access token ' +
    '(`logger.info(f"using token {hf_token}")`) writes the credential to log files, CI output and log ' +
    'aggregators, where far more people and systems can read it than the secret store.',
  fix: 'Log that a credential is set, not its value: `logger.info("HF token configured: %s", bool(hf_token))`, or a masked form (`token[:4] + "…"`); load secrets through `pydantic.SecretStr`, whose repr hides the value.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-532'],
  owasp: [],
});

const LOG_METHODS = ['debug', 'info', 'warning', 'warn', 'error', 'exception', 'critical', 'fatal', 'log'];
const LOGGERS = ['logging', 'logging.root', 'logging.getLogger()', 'loguru.logger'];

/** Name parts that make a name a secret on their own. */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'apikey',
  'credential',
  'credentials',
  'privatekey',
]);
/** Two-part secrets: `api_key`, `private_key`, `client_secret` is covered by `secret` alone. */
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'signing key']);
/** `token` is a secret only with an owner: ML code is full of tokenizer tokens (`eos_token`, `tokens`). */
const TOKEN_OWNERS = new Set([
  'hf',
  'hub',
  'access',
  'auth',
  'api',
  'bearer',
  'refresh',
  'session',
  'github',
  'gh',
  'gitlab',
  'slack',
  'openai',
  'wandb',
  'bot',
  'oauth',
  'jwt',
  'id',
  'personal',
  'service',
  'security',
]);
/** Parts that describe something about a secret, not the secret: `password_hash`, `token_path`, `api_key_env`. */
const NOT_THE_SECRET = new Set([
  'hash',
  'hashed',
  'len',
  'length',
  'count',
  'num',
  'file',
  'path',
  'env',
  'var',
  'name',
  'field',
  'url',
  'header',
  'prefix',
  'policy',
  'required',
  'min',
  'max',
  'mask',
  'masked',
  'redacted',
  'type',
  'expiry',
  'expires',
  'ttl',
  'ids',
  'set',
  'reset',
  'prompt',
  'label',
  'help',
  'is',
  'has',
]);

/** `hfToken`, `HF_TOKEN`, `api-key` → lower-case parts. */
function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((part) => part !== '');
}

function isSecretName(name: string): boolean {
  const parts = nameParts(name);
  if (parts.some((part) => NOT_THE_SECRET.has(part))) return false;
  return parts.some(
    (part, index) =>
      SECRET_WORDS.has(part) ||
      SECRET_PAIRS.has(`${parts[index - 1] ?? ''} ${part}`) ||
      (part === 'token' && TOKEN_OWNERS.has(parts[index - 1] ?? '')),
  );
}

/** Calls that show their argument as it is, so a secret passed to them still reaches the log. */
const TRANSPARENT_CALLS = new Set(['str', 'repr', 'format', 'format_map']);

/** The first expression in a logged value that names a secret: a variable, an attribute or a `["key"]`. */
function loggedSecret(node: Node, depth = 0): Node | undefined {
  if (depth > 12) return undefined;
  const inner = (child: Node | null): Node | undefined =>
    child === null ? undefined : loggedSecret(child, depth + 1);
  switch (node.type) {
    case 'identifier':
      return isSecretName(node.text) ? node : undefined;
    case 'attribute':
      return isSecretName(node.childForFieldName('attribute')?.text ?? '') ? node : undefined;
    case 'subscript': {
      // `token[:4]` logs a masked prefix; `settings["api_key"]` logs the secret.
      const key = node.childForFieldName('subscript');
      return key?.type === 'string' && isSecretName(key.text.slice(1, -1)) ? node : undefined;
    }
    case 'call': {
      const callee = node.childForFieldName('function');
      const name = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
      if (!TRANSPARENT_CALLS.has(name ?? '')) return undefined;
      return (
        (callee?.type === 'attribute' ? inner(callee.childForFieldName('object')) : undefined) ??
        inner(node.childForFieldName('arguments'))
      );
    }
    case 'interpolation':
      return inner(node.childForFieldName('expression'));
    case 'keyword_argument':
      return inner(node.childForFieldName('value'));
    case 'pair': {
      const key = node.childForFieldName('key');
      if (key?.type === 'string' && isSecretName(key.text.slice(1, -1))) return node;
      return inner(node.childForFieldName('value'));
    }
    case 'string':
    case 'concatenated_string':
    case 'binary_operator':
    case 'parenthesized_expression':
    case 'tuple':
    case 'list':
    case 'dictionary':
    case 'argument_list':
      for (const child of node.namedChildren) {
        const found = inner(child);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

export const secretInLogCheck: CodeRule = {
  rule: PY_INJ_010,
  calls: LOGGERS.flatMap((logger) => LOG_METHODS.map((method) => `${logger}.${method}`)),
  check(call) {
    const args = call.node.childForFieldName('arguments');
    const secret = args === null ? undefined : loggedSecret(args);
    if (secret === undefined) return undefined;
    return { message: `${call.name} logs ${secret.text}, which looks like a secret` };
  },
};
