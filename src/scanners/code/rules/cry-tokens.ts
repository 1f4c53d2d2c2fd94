import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { type Argument, argumentOf, type CodeRule } from '../call-site.js';
import { constantOf } from '../resolve.js';
import type { Scope } from '../scopes.js';

export const PY_CRY_007 = defineRule({
  id: 'PY-CRY-007',
  domain: 'code',
  title: 'random module used for a token, password, key or salt',
  description:
    'The `random` module is a Mersenne Twister: 624 outputs reveal its state, so every later (and earlier) value can ' +
    'be computed. Tokens, passwords, API keys, salts, nonces, OTPs and session ids drawn from it can be predicted. ' +
    'Unlike bandit (B311), which reports every `random` call, this rule reports only a value that is assigned to, ' +
    'passed as or returned by something named like a secret (`token`, `password`, `api_key`, `salt`, `nonce`, ' +
    '`otp`, `session_id`, ...): ML code uses `random` all the time for sampling, shuffling and augmentation.',
  fix: 'Use the `secrets` module: `secrets.token_hex(32)`, `secrets.token_urlsafe(32)`, `secrets.choice(alphabet)` for passwords, `secrets.randbelow(10**6)` for OTPs, `os.urandom(16)` for salts and nonces.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-330', 'CWE-338'],
  owasp: [],
  bandit: ['B311'],
  ruff: ['S311'],
});

const RANDOM_FUNCTIONS = [
  'random',
  'randrange',
  'randint',
  'choice',
  'choices',
  'sample',
  'uniform',
  'triangular',
  'randbytes',
  'getrandbits',
];

/** Words that make a name secret on their own, and words that do so before `key` (`api_key`, not `key`). */
const SECRET_WORDS = new Set([
  'token',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'salt',
  'nonce',
  'otp',
  'totp',
  'csrf',
  'xsrf',
  'sessionid',
  'apikey',
  'iv',
]);
const KEY_QUALIFIERS = new Set([
  'api',
  'secret',
  'access',
  'private',
  'signing',
  'encryption',
  'auth',
  'session',
]);
/** Words that make `token` a vocabulary item of a language model (`masked_token`), not a credential. */
const NLP_WORDS = new Set([
  'mask',
  'masked',
  'vocab',
  'input',
  'special',
  'pad',
  'unk',
  'bos',
  'eos',
  'cls',
  'sep',
  'word',
  'next',
  'replacement',
  'sampled',
]);

/** `api_key`, `resetToken`, `SESSION_ID`: split into lower-case words and look for a secret one. */
function isSecretName(name: string, randomBits: boolean): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  if (words.includes('token') && words.some((word) => NLP_WORDS.has(word))) return false;
  return words.some(
    (word, index) =>
      SECRET_WORDS.has(word) ||
      (word === 'pin' && words[index + 1] !== 'memory') ||
      (word === 'id' && words[index - 1] === 'session') ||
      // A bare `key` is a dictionary or shard key as often as a secret, unless it is made of random bits.
      (word === 'key' && (randomBits || KEY_QUALIFIERS.has(words[index - 1] ?? ''))) ||
      (word === 'code' && ['reset', 'verification', 'confirmation'].includes(words[index - 1] ?? '')),
  );
}

/** Nodes a value passes through unchanged in meaning: `"".join(...)`, `str(...)`, f-strings, `+`, comprehensions. */
const CARRIERS = new Set([
  'argument_list',
  'call',
  'generator_expression',
  'list_comprehension',
  'binary_operator',
  'parenthesized_expression',
  'interpolation',
  'string',
  'list',
  'tuple',
  'conditional_expression',
  'await',
]);

/** How far up from the call the destination of its value is looked for. */
const MAX_CLIMB = 8;

/** Where the value of `node` ends up: a name it is assigned to or passed as, or the function returning it. */
function destinationOf(node: Node): { name: string; direct: boolean } | undefined {
  let child = node;
  for (let step = 0; step < MAX_CLIMB; step++) {
    const parent = child.parent;
    if (parent === null) return undefined;
    switch (parent.type) {
      case 'assignment':
      case 'augmented_assignment': {
        const left = parent.childForFieldName('left');
        if (left === null || left.id === child.id) return undefined;
        return { name: targetName(left), direct: true };
      }
      case 'keyword_argument':
        return { name: parent.childForFieldName('name')?.text ?? '', direct: true };
      case 'pair': {
        const key = parent.childForFieldName('key');
        return key?.type === 'string' ? { name: key.text, direct: true } : undefined;
      }
      case 'return_statement': {
        let scope: Node | null = parent.parent;
        while (scope !== null && scope.type !== 'function_definition') scope = scope.parent;
        const name = scope?.childForFieldName('name')?.text;
        return name === undefined ? undefined : { name, direct: false };
      }
      default:
        if (!CARRIERS.has(parent.type)) return undefined;
    }
    child = parent;
  }
  return undefined;
}

/** `token` for `token`, `self.token`, `user["reset_token"]`; the whole text otherwise (tuples). */
function targetName(left: Node): string {
  if (left.type === 'attribute') return left.childForFieldName('attribute')?.text ?? '';
  if (left.type === 'subscript') return left.childForFieldName('subscript')?.text ?? '';
  return left.text;
}

export const insecureRandomCheck: CodeRule = {
  rule: PY_CRY_007,
  calls: RANDOM_FUNCTIONS.flatMap((name) => [`random.${name}`, `random.Random().${name}`]),
  check(call) {
    const destination = destinationOf(call.node);
    const randomBits = call.name.endsWith('.randbytes') || call.name.endsWith('.getrandbits');
    if (destination === undefined || !isSecretName(destination.name, randomBits)) return undefined;
    return destination.direct
      ? {
          message: `${call.name} makes ${destination.name}: the random module is predictable, use secrets`,
          severity: 'medium',
        }
      : {
          message: `${call.name} returned by ${destination.name}(): the random module is predictable, use secrets`,
        };
  },
};

export const PY_CRY_008 = defineRule({
  id: 'PY-CRY-008',
  domain: 'code',
  title: 'JWT decoded without verifying its signature',
  description:
    'PyJWT `jwt.decode(token, verify=False)` (PyJWT 1.x), `options={"verify_signature": False}`, an `algorithms` ' +
    'list containing `"none"`, and python-jose `jwt.decode(..., options={"verify_signature": False})` or ' +
    '`jwt.get_unverified_claims` accept a token anyone can write: the user id, roles or tenant in its claims are ' +
    'whatever the sender chose, so an API or model endpoint trusting them can be entered as any user.',
  fix: 'Verify: `jwt.decode(token, key, algorithms=["RS256"])` with the issuer\'s public key (or `PyJWKClient(jwks_url).get_signing_key_from_jwt(token)`), an explicit list of strong algorithms, and `audience=`/`issuer=` checks. Read unverified headers only to pick the key (`jwt.get_unverified_header`).',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-347'],
  owasp: [],
});

/** The dictionary an argument denotes: written inline, or a name bound once to one. */
function dictionaryOf(argument: Argument, scope: Scope): Node | undefined {
  const node = argument.node;
  if (node.type === 'dictionary') return node;
  if (node.type !== 'identifier') return undefined;
  const found = scope.lookup(node.text, node.startIndex);
  const [binding] = found?.bindings ?? [];
  return found?.total === 1 && binding?.kind === 'value' && binding.value.type === 'dictionary'
    ? binding.value
    : undefined;
}

function disablesSignature(dictionary: Node, scope: Scope): boolean {
  return dictionary.namedChildren.some((pair) => {
    if (pair?.type !== 'pair') return false;
    const key = pair.childForFieldName('key');
    const value = pair.childForFieldName('value');
    if (key === null || value === null) return false;
    const name = constantOf(key, scope);
    const flag = constantOf(value, scope);
    return (
      name?.kind === 'string' && name.value === 'verify_signature' && flag?.kind === 'bool' && !flag.value
    );
  });
}

function allowsNone(argument: Argument, scope: Scope): boolean {
  const node = argument.node;
  const values = node.type === 'list' || node.type === 'tuple' ? node.namedChildren : [node];
  return values.some((value) => {
    const constant = value === null ? undefined : constantOf(value, scope);
    return constant?.kind === 'string' && constant.value.toLowerCase() === 'none';
  });
}

const DECODERS = [
  'jwt.decode',
  'jwt.decode_complete',
  'jwt.api_jwt.decode',
  'jwt.PyJWT().decode',
  'jose.jwt.decode',
];

export const unverifiedJwtCheck: CodeRule = {
  rule: PY_CRY_008,
  calls: [...DECODERS, 'jose.jwt.get_unverified_claims'],
  check(call) {
    if (call.name === 'jose.jwt.get_unverified_claims')
      return { message: `${call.name} returns claims without checking the signature`, confidence: 'medium' };
    const verify = argumentOf(call, 'verify')?.constant;
    if (verify?.kind === 'bool' && !verify.value)
      return { message: `${call.name} with verify=False accepts forged tokens` };
    const options = argumentOf(call, 'options');
    const dictionary = options === undefined ? undefined : dictionaryOf(options, call.scope);
    if (dictionary !== undefined && disablesSignature(dictionary, call.scope))
      return { message: `${call.name} with verify_signature=False accepts forged tokens` };
    const algorithms = argumentOf(call, 'algorithms');
    if (algorithms !== undefined && allowsNone(algorithms, call.scope))
      return { message: `${call.name} accepts the "none" algorithm: unsigned tokens pass` };
    return undefined;
  },
};
