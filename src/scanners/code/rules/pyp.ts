import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule } from '../call-site.js';

export const PY_PYP_001 = defineRule({
  id: 'PY-PYP-001',
  domain: 'code',
  title: 'socket.inet_aton used to validate an IP address',
  description:
    '`socket.inet_aton` follows the C `inet_aton`, which accepts far more than dotted quads: `"127.1"`, `"1"`, ' +
    'octal and hex parts (`"0177.0.0.1"`), and on glibc trailing text after a space (`"1.1.1.1 ; rm -rf"`). ' +
    'Code that uses it to check that a value is an IP address lets such values through to allow-lists, ' +
    'URLs and command lines.',
  fix: 'Validate with `ipaddress.ip_address(text)` (or `ipaddress.IPv4Address`), which accepts only the canonical forms and raises `ValueError` otherwise; run Python 3.9.5 or later, which also rejects leading zeros.',
  severity: 'medium',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-1286', 'CWE-20'],
  owasp: [],
  bandit: [],
  ruff: [],
});

/** Statements that end the search for an enclosing `try`: a `try` outside them does not guard this call. */
const SCOPE_BOUNDARIES = new Set(['function_definition', 'class_definition', 'lambda', 'module']);

/** Whether the call sits in a `try` body in its own function: the usual shape of "is this an address?". */
function insideTry(node: Node): boolean {
  for (let current = node.parent; current !== null; current = current.parent) {
    if (SCOPE_BOUNDARIES.has(current.type)) return false;
    if (current.type === 'try_statement') return true;
  }
  return false;
}

export const inetAtonCheck: CodeRule = {
  rule: PY_PYP_001,
  calls: ['socket.inet_aton', '_socket.inet_aton'],
  check(call) {
    // Packing an address already known to be valid is harmless; catching its error is how validators look.
    if (insideTry(call.node))
      return {
        message: `${call.name} in a try block validates addresses it should reject ("127.1", "1.1.1.1 x")`,
        confidence: 'medium',
      };
    return { message: `${call.name} accepts non-canonical addresses ("127.1", octal parts, trailing text)` };
  },
};

export const PY_PYP_002 = defineRule({
  id: 'PY-PYP-002',
  domain: 'code',
  title: 'crypt module password hashing',
  description:
    'The `crypt` module wraps the platform `crypt(3)`: which hashes it offers depends on the C library, ' +
    '`METHOD_CRYPT` (DES, 8 significant characters), `METHOD_MD5` and `METHOD_BLOWFISH` are weak or ' +
    'truncating, and the module was deprecated in Python 3.11 and removed in 3.13.',
  fix: 'Hash passwords with `hashlib.scrypt(password, salt=secrets.token_bytes(16), n=2**14, r=8, p=1)` (or a maintained library such as `argon2-cffi` or `bcrypt`), compare with `hmac.compare_digest`, and make salts and tokens with `secrets`.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-327', 'CWE-916'],
  owasp: [],
  bandit: ['B324'],
  ruff: ['S324'],
});

const WEAK_CRYPT_METHODS = ['METHOD_CRYPT', 'METHOD_MD5', 'METHOD_BLOWFISH'];

export const cryptCheck: CodeRule = {
  rule: PY_PYP_002,
  calls: ['crypt.crypt', 'crypt.mksalt'],
  check(call) {
    // crypt(word, salt) and mksalt(method): a method constant names the hash scheme.
    const method = argumentOf(
      call,
      call.name === 'crypt.crypt' ? 'salt' : 'method',
      call.name === 'crypt.crypt' ? 1 : 0,
    );
    const names = method?.constant?.kind === 'reference' ? method.constant.names : [];
    const weak = WEAK_CRYPT_METHODS.find((weakMethod) => names.includes(`crypt.${weakMethod}`));
    if (weak !== undefined)
      return {
        message: `${call.name} with crypt.${weak}, a weak or truncating password hash`,
        severity: 'high',
      };
    return {
      message: `${call.name} hashes passwords with the deprecated crypt module (removed in Python 3.13)`,
    };
  },
};
