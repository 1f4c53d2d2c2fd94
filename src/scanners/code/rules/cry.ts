import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule, everyCall } from '../call-site.js';

export const PY_CRY_001 = defineRule({
  id: 'PY-CRY-001',
  domain: 'code',
  title: 'weak hash (MD5, SHA-1) without usedforsecurity=False',
  description:
    '`hashlib.md5`, `hashlib.sha1` and `hashlib.new` with a broken algorithm (md4, md5, sha1, ripemd160) produce ' +
    'digests an attacker can collide. Used for signatures, integrity checks of downloads, passwords or tokens, ' +
    'they let a forged file or credential pass. `usedforsecurity=False` states that the hash is only a cache key.',
  fix: 'Use `hashlib.sha256` (or `hashlib.blake2b`) for integrity and signatures, `hashlib.scrypt` or a password-hashing library for passwords, and pass `usedforsecurity=False` where MD5/SHA-1 is only a cache key or a file-name fingerprint.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-327', 'CWE-328'],
  owasp: [],
  bandit: ['B324'],
  ruff: ['S324'],
});

const WEAK_HASH_NAMES = new Set(['md4', 'md5', 'sha1', 'sha-1', 'ripemd160']);

export const weakHashCheck: CodeRule = {
  rule: PY_CRY_001,
  calls: ['hashlib.md5', 'hashlib.sha1', 'hashlib.new'],
  check(call) {
    const usedForSecurity = argumentOf(call, 'usedforsecurity');
    if (usedForSecurity?.constant?.kind === 'bool' && !usedForSecurity.constant.value) return undefined;
    // usedforsecurity=False may be among the unpacked arguments.
    if (usedForSecurity === undefined && call.hasUnpacking) return undefined;
    if (call.name !== 'hashlib.new')
      return { message: `${call.name} is a broken hash for security purposes` };
    const algorithm = argumentOf(call, 'name', 0)?.constant;
    if (algorithm?.kind !== 'string' || !WEAK_HASH_NAMES.has(algorithm.value.toLowerCase())) return undefined;
    return { message: `hashlib.new('${algorithm.value}') is a broken hash for security purposes` };
  },
};

export const PY_CRY_002 = defineRule({
  id: 'PY-CRY-002',
  domain: 'code',
  title: 'weak hash (MD2, MD4, MD5, SHA-1) from PyCryptodome or cryptography',
  description:
    'PyCryptodome (`Crypto.Hash.MD2`, `MD4`, `MD5`, `SHA`, `SHA1` and the same under `Cryptodome.Hash`) and ' +
    '`cryptography` (`hashes.MD5`, `hashes.SHA1`) expose the broken hashes without any "not for security" flag. ' +
    'Collisions let a forged file, signature or certificate pass a check built on them.',
  fix: 'Use SHA-256 or better: `Crypto.Hash.SHA256.new()`, `cryptography.hazmat.primitives.hashes.SHA256()`, or `hashlib.sha256`; for a cache key only, use `hashlib.md5(data, usedforsecurity=False)`.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-327'],
  owasp: [],
  bandit: ['B303'],
  ruff: ['S303'],
});

export const weakLibraryHashCheck = everyCall(
  PY_CRY_002,
  [
    ...['Crypto', 'Cryptodome'].flatMap((root) =>
      ['MD2', 'MD4', 'MD5', 'SHA', 'SHA1'].map((hash) => `${root}.Hash.${hash}.new`),
    ),
    'cryptography.hazmat.primitives.hashes.MD5',
    'cryptography.hazmat.primitives.hashes.SHA1',
  ],
  'is a broken hash for security purposes',
);

export const PY_CRY_003 = defineRule({
  id: 'PY-CRY-003',
  domain: 'code',
  title: 'weak cipher (DES, 3DES, RC2, RC4, Blowfish, CAST, IDEA, SEED, XOR)',
  description:
    'DES and XOR are broken outright; RC4 has exploitable keystream biases; 3DES, Blowfish, CAST5, IDEA, SEED and ' +
    'RC2 have 64-bit blocks (Sweet32) or are deprecated. Data encrypted with them, in PyCryptodome (`Crypto.Cipher`, ' +
    '`Cryptodome.Cipher`) or `cryptography` (`algorithms.TripleDES`, `ARC4`, ...), can be read or forged.',
  fix: 'Encrypt with an authenticated modern cipher: `cryptography.fernet.Fernet`, `cryptography.hazmat.primitives.ciphers.aead.AESGCM` or `ChaCha20Poly1305`, or PyCryptodome `AES.new(key, AES.MODE_GCM)`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-327'],
  owasp: [],
  bandit: ['B304'],
  ruff: ['S304'],
});

const PYCRYPTODOME_WEAK_CIPHERS = ['DES', 'DES3', 'ARC2', 'ARC4', 'Blowfish', 'CAST', 'XOR'];
const CRYPTOGRAPHY_WEAK_ALGORITHMS = ['TripleDES', 'ARC4', 'Blowfish', 'CAST5', 'IDEA', 'SEED', 'RC4'];

export const weakCipherCheck = everyCall(
  PY_CRY_003,
  [
    ...['Crypto', 'Cryptodome'].flatMap((root) =>
      PYCRYPTODOME_WEAK_CIPHERS.map((cipher) => `${root}.Cipher.${cipher}.new`),
    ),
    // cryptography moved these to hazmat.decrepit in 43.0 and keeps the old names as deprecated aliases.
    ...['primitives', 'decrepit'].flatMap((area) =>
      CRYPTOGRAPHY_WEAK_ALGORITHMS.map(
        (cipher) => `cryptography.hazmat.${area}.ciphers.algorithms.${cipher}`,
      ),
    ),
  ],
  'uses a broken or deprecated cipher',
);

export const PY_CRY_004 = defineRule({
  id: 'PY-CRY-004',
  domain: 'code',
  title: 'block cipher in ECB mode',
  description:
    'ECB encrypts equal plaintext blocks to equal ciphertext blocks, so structure (and repeated tokens or records) ' +
    'shows through, and blocks can be cut and reordered undetected. Flags `cryptography` `modes.ECB()` and ' +
    "PyCryptodome `<Cipher>.new(key, <Cipher>.MODE_ECB)` (ECB is also PyCryptodome's mode when none is given for " +
    'a legacy call, which this rule does not guess at).',
  fix: 'Use an authenticated mode: `AESGCM` or `Fernet` from `cryptography`, or PyCryptodome `AES.new(key, AES.MODE_GCM)` with a fresh nonce per message.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-327'],
  owasp: [],
  bandit: ['B305'],
  ruff: ['S305'],
});

export const ecbModeCheck: CodeRule = {
  rule: PY_CRY_004,
  calls: [
    'cryptography.hazmat.primitives.ciphers.modes.ECB',
    'Crypto.Cipher.*.new',
    'Cryptodome.Cipher.*.new',
  ],
  check(call) {
    if (call.name.endsWith('.ECB')) return { message: `${call.name} encrypts in ECB mode` };
    const mode = argumentOf(call, 'mode', 1)?.constant;
    if (mode?.kind !== 'reference' || !mode.names.some((name) => name.endsWith('.MODE_ECB')))
      return undefined;
    return { message: `${call.name} with MODE_ECB encrypts in ECB mode` };
  },
};
