import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { type Argument, argumentOf, type CallSite, type CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import type { Scope } from '../scopes.js';
import { importedNames } from './imported-names.js';

export const PY_CRY_005 = defineRule({
  id: 'PY-CRY-005',
  domain: 'code',
  title: 'RSA, DSA or EC key too small',
  description:
    'RSA and DSA keys below 2048 bits and elliptic curves below 224 bits (SECP192R1, SECT163K1, SECT163R2, ' +
    'P-192) generated with `cryptography` (`rsa`/`dsa`/`ec.generate_private_key`) or PyCryptodome ' +
    '(`RSA.generate`, `DSA.generate`, `ECC.generate`) can be factored or broken with public computing budgets: ' +
    'signatures made with them (model or release signing, JWTs) can be forged. Below 1024 bits it is practical today.',
  fix: 'Generate RSA keys of at least 3072 bits (`rsa.generate_private_key(public_exponent=65537, key_size=3072)`), DSA of 2048+, or better an EC key on `ec.SECP256R1()` / `ECC.generate(curve="P-256")` or an Ed25519 key (`ed25519.Ed25519PrivateKey.generate()`).',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-326'],
  owasp: [],
  bandit: ['B505'],
  ruff: ['S505'],
});

const ASYMMETRIC = 'cryptography.hazmat.primitives.asymmetric';
const PYCRYPTODOME_ROOTS = ['Crypto', 'Cryptodome'];

/** Where each key generator takes its size in bits: keyword, and position. */
const KEY_SIZE_ARGUMENT: Readonly<Record<string, readonly [string, number]>> = {
  [`${ASYMMETRIC}.rsa.generate_private_key`]: ['key_size', 1],
  [`${ASYMMETRIC}.dsa.generate_private_key`]: ['key_size', 0],
  [`${ASYMMETRIC}.dsa.generate_parameters`]: ['key_size', 0],
  ...Object.fromEntries(
    PYCRYPTODOME_ROOTS.flatMap((root) => [
      [`${root}.PublicKey.RSA.generate`, ['bits', 0]],
      [`${root}.PublicKey.DSA.generate`, ['bits', 0]],
    ]),
  ),
};

const WEAK_CURVE_CLASSES = new Set(['SECP192R1', 'SECT163K1', 'SECT163R2']);
const WEAK_CURVE_NAMES = new Set(['p192', 'p-192', 'nist p-192', 'prime192v1', 'secp192r1']);

/** The name of a weak `cryptography` curve passed as a class (`ec.SECT163R2`) or an instance (`ec.SECP192R1()`). */
function weakCurveClass(argument: Argument, scope: Scope): string | undefined {
  const node = argument.node.type === 'call' ? argument.node.childForFieldName('function') : argument.node;
  if (node === null) return undefined;
  return qualifiedNames(node, scope)
    .filter((name) => name.startsWith(`${ASYMMETRIC}.ec.`))
    .map((name) => name.slice(name.lastIndexOf('.') + 1))
    .find((curve) => WEAK_CURVE_CLASSES.has(curve));
}

export const smallKeyCheck: CodeRule = {
  rule: PY_CRY_005,
  calls: [
    ...Object.keys(KEY_SIZE_ARGUMENT),
    `${ASYMMETRIC}.ec.generate_private_key`,
    ...PYCRYPTODOME_ROOTS.map((root) => `${root}.PublicKey.ECC.generate`),
  ],
  check(call) {
    if (call.name.endsWith('.ECC.generate')) {
      const curve = argumentOf(call, 'curve')?.constant;
      if (curve?.kind !== 'string' || !WEAK_CURVE_NAMES.has(curve.value.toLowerCase())) return undefined;
      return { message: `${call.name} on curve ${curve.value} (192 bits) is below 224 bits` };
    }
    if (call.name.endsWith('.ec.generate_private_key')) {
      const curve = argumentOf(call, 'curve', 0);
      const weak = curve === undefined ? undefined : weakCurveClass(curve, call.scope);
      return weak === undefined ? undefined : { message: `${call.name} on ${weak} is below 224 bits` };
    }
    const [keyword, position] = KEY_SIZE_ARGUMENT[call.name] ?? ['key_size', 0];
    const size = argumentOf(call, keyword, position)?.constant;
    if (size?.kind !== 'number' || size.value >= 2048) return undefined;
    return {
      message: `${call.name} with a ${size.value}-bit key (at least 2048 needed)`,
      severity: size.value < 1024 ? 'high' : 'medium',
    };
  },
};

export const PY_CRY_006 = defineRule({
  id: 'PY-CRY-006',
  domain: 'code',
  title: 'import of the unmaintained pyCrypto package',
  description:
    'pyCrypto (`Crypto`) has had no release since 2013 and has known vulnerabilities (CVE-2013-7459 heap overflow ' +
    'in ARC2/AES, weak `Crypto.Random` after fork). PyCryptodome is its maintained drop-in replacement and installs ' +
    'under the same `Crypto` name, so an import alone cannot tell them apart: this rule reports `Crypto` imports ' +
    'at low confidence and stays silent in files that use a module or mode only PyCryptodome has ' +
    '(`Crypto.Util.Padding`, `Crypto.PublicKey.ECC`, `ChaCha20`, `MODE_GCM`, ...). `Cryptodome` imports are ' +
    'never reported.',
  fix: 'Uninstall `pycrypto` and depend on `pycryptodome` (same `Crypto` imports) or `pycryptodomex` (imports as `Cryptodome`), or move to `cryptography`; check the lockfile to confirm which one is installed.',
  severity: 'medium',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-1104'],
  owasp: [],
  bandit: ['B413'],
  ruff: ['S413'],
});

/** Modules, functions and cipher modes that exist only in PyCryptodome: a file using one is not on pyCrypto. */
const PYCRYPTODOME_ONLY =
  /\bCrypto\.(?:Util\.Padding|PublicKey\.ECC|Cipher\.(?:ChaCha20|Salsa20)|Hash\.(?:SHA3_|BLAKE2|keccak|SHAKE|KMAC|TupleHash|cSHAKE)|Signature\.(?:pss|pkcs1_15|DSS|eddsa))|\bimport\s+(?:pad|unpad|ECC|ChaCha20|ChaCha20_Poly1305|pkcs1_15|DSS|eddsa)\b|\bMODE_(?:GCM|EAX|SIV|OCB|CCM)\b|\bget_random_bytes\b/;

export const pycryptoImportCheck: NodeRule = {
  rule: PY_CRY_006,
  nodes: ['import_statement', 'import_from_statement'],
  textHint: /crypto/,
  check(node) {
    // Quick test first: import statements are frequent, Crypto imports rare.
    if (!node.text.includes('Crypto')) return undefined;
    const imported = importedNames(node).find((name) => name === 'Crypto' || name.startsWith('Crypto.'));
    if (imported === undefined || PYCRYPTODOME_ONLY.test(rootOf(node).text)) return undefined;
    return {
      message: `import of ${imported}: pyCrypto is unmaintained (unless this is PyCryptodome, which uses the same name)`,
    };
  },
};

function rootOf(node: Node): Node {
  let root = node;
  while (root.parent !== null) root = root.parent;
  return root;
}

export const PY_CRY_009 = defineRule({
  id: 'PY-CRY-009',
  domain: 'code',
  title: 'hard-coded key, IV, nonce or salt passed to a cipher or KDF',
  description:
    'A key written in the source (`AES.new(b"...")`, `algorithms.AES(b"...")`, `Fernet(b"...")`) is readable by ' +
    'everyone with the repository, the package or the notebook, so the data it protects is not protected. A fixed ' +
    'IV or nonce (`modes.CBC(b"\\0" * 16)`, `iv=b"..."`) makes equal plaintexts encrypt equally and breaks CTR/GCM ' +
    'outright; a fixed salt (`PBKDF2HMAC(salt=b"...")`, `hashlib.pbkdf2_hmac(..., b"salt", ...)`) lets one ' +
    'precomputed table crack every password hashed with it.',
  fix: 'Load keys from a secret store or the environment (`os.environ["DATA_KEY"]`, a KMS, `keyring`), generate a fresh IV/nonce per message with `os.urandom(16)` / `secrets.token_bytes(12)` and store it beside the ciphertext, and draw a random salt per password with `os.urandom(16)`.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-321', 'CWE-329'],
  owasp: [],
});

const CIPHERS = 'cryptography.hazmat.primitives.ciphers';
const KDF = 'cryptography.hazmat.primitives.kdf';

/** The secret inputs of each subscribed constructor: [what it is, keyword, position]. */
type SecretArgument = readonly [string, string, number?];
const KEY: SecretArgument = ['key', 'key', 0];
const SECRET_ARGUMENTS: Readonly<Record<string, readonly SecretArgument[]>> = {
  ...Object.fromEntries(
    ['AES', 'AES128', 'AES256', 'Camellia', 'SM4'].map((cipher) => [
      `${CIPHERS}.algorithms.${cipher}`,
      [KEY],
    ]),
  ),
  [`${CIPHERS}.algorithms.ChaCha20`]: [KEY, ['nonce', 'nonce', 1]],
  ...Object.fromEntries(
    ['CBC', 'CFB', 'CFB8', 'OFB', 'GCM', 'XTS'].map((mode) => [
      `${CIPHERS}.modes.${mode}`,
      [['IV', 'initialization_vector', 0]],
    ]),
  ),
  [`${CIPHERS}.modes.CTR`]: [['nonce', 'nonce', 0]],
  ...Object.fromEntries(
    ['AESGCM', 'AESCCM', 'AESSIV', 'AESOCB3', 'ChaCha20Poly1305'].map((aead) => [
      `${CIPHERS}.aead.${aead}`,
      [KEY],
    ]),
  ),
  'cryptography.fernet.Fernet': [KEY],
  [`${KDF}.pbkdf2.PBKDF2HMAC`]: [['salt', 'salt', 2]],
  [`${KDF}.scrypt.Scrypt`]: [['salt', 'salt', 0]],
  'hashlib.pbkdf2_hmac': [['salt', 'salt', 2]],
  'hashlib.scrypt': [['salt', 'salt']],
  ...Object.fromEntries(
    PYCRYPTODOME_ROOTS.flatMap((root) => [
      [`${root}.Protocol.KDF.PBKDF2`, [['salt', 'salt', 1]]],
      [`${root}.Protocol.KDF.scrypt`, [['salt', 'salt', 1]]],
    ]),
  ),
};

/** PyCryptodome's `<Cipher>.new(key, mode, iv)`: the key, the IV (third or `iv=`) and `nonce=`. */
const PYCRYPTODOME_NEW: readonly SecretArgument[] = [KEY, ['IV', 'iv', 2], ['nonce', 'nonce']];

/** How many `a = b` steps are followed to a name's value. */
const MAX_ALIAS_DEPTH = 8;

/** Calls that turn a literal into bytes without adding any secret: `bytes.fromhex("00ff...")`. */
const LITERAL_DECODERS = new Set([
  'builtins.bytes.fromhex',
  'binascii.unhexlify',
  'binascii.a2b_hex',
  'base64.b64decode',
  'base64.urlsafe_b64decode',
  'codecs.decode',
]);

/** Whether `node` is bytes or text fixed in the source: a literal, `b"\0" * 16`, `bytes(16)`, `bytes.fromhex("..")`. */
function isFixedBytes(node: Node, scope: Scope, depth = 0): boolean {
  if (constantOf(node, scope)?.kind === 'string') return true;
  if (node.type === 'identifier') {
    // A name bound once, to `bytes(16)` or `b"\0" * 16`: the value it always holds.
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    return (
      depth < MAX_ALIAS_DEPTH &&
      found?.total === 1 &&
      binding?.kind === 'value' &&
      isFixedBytes(binding.value, binding.scope, depth + 1)
    );
  }
  if (node.type === 'binary_operator') {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    return (
      node.childForFieldName('operator')?.text === '*' &&
      left !== null &&
      right !== null &&
      constantOf(left, scope)?.kind === 'string' &&
      constantOf(right, scope)?.kind === 'number'
    );
  }
  if (node.type !== 'call') return false;
  const callee = node.childForFieldName('function');
  const argumentsNode = node.childForFieldName('arguments');
  const first = argumentsNode?.namedChildren[0];
  if (callee === null || first === null || first === undefined || argumentsNode?.namedChildren.length !== 1)
    return false;
  const names = qualifiedNames(callee, scope);
  if (names.includes('builtins.bytes')) return constantOf(first, scope)?.kind === 'number';
  return names.some((name) => LITERAL_DECODERS.has(name)) && constantOf(first, scope)?.kind === 'string';
}

export const hardCodedKeyCheck: CodeRule = {
  rule: PY_CRY_009,
  calls: [...Object.keys(SECRET_ARGUMENTS), 'Crypto.Cipher.*.new', 'Cryptodome.Cipher.*.new'],
  check(call: CallSite) {
    const secrets = SECRET_ARGUMENTS[call.name] ?? PYCRYPTODOME_NEW;
    for (const [what, keyword, position] of secrets) {
      const argument = argumentOf(call, keyword, position);
      if (argument !== undefined && isFixedBytes(argument.node, call.scope))
        // The message leaves the value out: it is the secret.
        return { message: `${call.name} with the ${what} written in the source` };
    }
    return undefined;
  },
};
