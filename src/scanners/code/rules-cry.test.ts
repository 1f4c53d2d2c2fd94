import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/cry');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** The findings of the rules under test only: rules added since may fire on the same code. */
async function findingsOf(ruleIds: readonly string[], source: string): Promise<string[]> {
  return (await activeFindings(source)).filter((finding) =>
    ruleIds.some((id) => finding.startsWith(`${id}@`)),
  );
}

describe('crypto rules on realistic code', () => {
  it.each([
    ['dataset_checksums_md5.py', ['PY-CRY-001@9', 'PY-CRY-001@22', 'PY-CRY-001@31']],
    ['pycryptodome_release_digest.py', ['PY-CRY-002@9', 'PY-CRY-002@18', 'PY-CRY-002@25']],
    [
      'legacy_token_cipher.py',
      ['PY-CRY-004@9', 'PY-CRY-003@15', 'PY-CRY-003@19', 'PY-CRY-004@23', 'PY-CRY-003@28'],
    ],
  ])('reports %s', async (name, expected) => {
    expect(
      await findingsOf(['PY-CRY-001', 'PY-CRY-002', 'PY-CRY-003', 'PY-CRY-004'], await fixture(name)),
    ).toEqual(expected);
  });

  it.each(['dataset_checksums_sha256.py', 'pycryptodome_sha256_digest.py', 'aes_gcm_token_cipher.py'])(
    'does not report %s',
    async (name) => {
      expect(
        await findingsOf(['PY-CRY-001', 'PY-CRY-002', 'PY-CRY-003', 'PY-CRY-004'], await fixture(name)),
      ).toEqual([]);
    },
  );
});

describe('PY-CRY-001 weak hashes', () => {
  it('follows aliases and weak names passed to hashlib.new', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-001'],
        'import hashlib as hl\nfrom hashlib import new\nhl.sha1(b)\nnew("sha1")\nnew(name="md4")\n' +
          'digest = hl.md5\ndigest(b)\n',
      ),
    ).toEqual(['PY-CRY-001@3', 'PY-CRY-001@4', 'PY-CRY-001@5', 'PY-CRY-001@7']);
  });

  it('accepts usedforsecurity=False, strong algorithms, unknown names and unseen keywords', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-001'],
        'import hashlib\nhashlib.md5(b, usedforsecurity=False)\nhashlib.new("sha256")\nhashlib.new(algo)\n' +
          'hashlib.sha1(b, **options)\n',
      ),
    ).toEqual([]);
  });

  it('still reports usedforsecurity=True and ignores a shadowing parameter', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-001'],
        'import hashlib\nhashlib.md5(b, usedforsecurity=True)\ndef f(hashlib):\n    return hashlib.md5(b)\n',
      ),
    ).toEqual(['PY-CRY-001@2']);
  });
});

describe('PY-CRY-002 weak hashes from crypto libraries', () => {
  it('reports MD5/SHA-1 from PyCryptodome, pycryptodomex and cryptography through aliases', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-002'],
        'from Cryptodome.Hash import MD4 as legacy\nimport Crypto.Hash.SHA\n' +
          'from cryptography.hazmat.primitives.hashes import MD5\nlegacy.new(b)\nCrypto.Hash.SHA.new(b)\nMD5()\n',
      ),
    ).toEqual(['PY-CRY-002@4', 'PY-CRY-002@5', 'PY-CRY-002@6']);
  });

  it('ignores SHA-256, a local Crypto package and a shadowing parameter', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-002'],
        'from Crypto.Hash import SHA256, MD5\nfrom .Crypto.Hash import SHA1\nSHA256.new(b)\nSHA1.new(b)\n' +
          'def f(MD5):\n    return MD5.new(b)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-CRY-003 and PY-CRY-004 ciphers and modes', () => {
  it('reports weak ciphers from PyCryptodome, pycryptodomex and cryptography, however imported', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-003', 'PY-CRY-004'],
        'from Cryptodome.Cipher import DES\nimport Crypto.Cipher.ARC2 as rc2\n' +
          'from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES\n' +
          'DES.new(k, DES.MODE_CBC)\nrc2.new(k)\nTripleDES(k)\n',
      ),
    ).toEqual(['PY-CRY-003@4', 'PY-CRY-003@5', 'PY-CRY-003@6']);
  });

  it('reports ECB passed by keyword or through an alias of the mode constant', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-003', 'PY-CRY-004'],
        'from Crypto.Cipher import AES\nfrom cryptography.hazmat.primitives.ciphers import modes as m\n' +
          'MODE = AES.MODE_ECB\nAES.new(k, mode=AES.MODE_ECB)\nAES.new(k, MODE)\nm.ECB()\n',
      ),
    ).toEqual(['PY-CRY-004@4', 'PY-CRY-004@5', 'PY-CRY-004@6']);
  });

  it('ignores authenticated modes, a local Crypto module and a shadowed AES', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-003', 'PY-CRY-004'],
        'from Crypto.Cipher import AES\nfrom .Crypto.Cipher import DES\nAES.new(k, AES.MODE_GCM)\nDES.new(k)\n' +
          'def f(AES):\n    return AES.new(k, AES.MODE_ECB)\n',
      ),
    ).toEqual([]);
  });
});
