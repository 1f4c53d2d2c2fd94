import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryAccess } from '../../targets/memory.js';
import { isTarMemberData } from '../../targets/tar.js';
import { buildTar, buildZip } from '../../targets/test-archives.js';
import { escapeOf } from './bundle-paths.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/model');
const MiB = 1024 * 1024;

describe('escapeOf', () => {
  it.each([
    ['tiny/model.bin', '', undefined],
    ['a/../b', '', undefined],
    ['./x', '', undefined],
    ['../x', '', 'parent'],
    ['a/../../x', '', 'parent'],
    ['..\\..\\x.bat', '', 'parent'],
    ['/etc/passwd', '', 'absolute'],
    ['\\x', '', 'absolute'],
    ['C:\\x', '', 'absolute'],
    ['c:x', '', 'absolute'],
    // Symlink targets resolve from the link's folder.
    ['../model.safetensors', 'tiny', undefined],
    ['../../x', 'tiny', 'parent'],
  ])('%s from %s', (path, base, expected) => {
    expect(escapeOf(path, base)).toBe(expected);
  });
});

describe('bundle fixtures', () => {
  it.each([
    ['malicious/bundle/zip_slip_parent.zip', 'PATH_TRAVERSAL ../../.bashrc', '../../.bashrc'],
    ['malicious/bundle/zip_absolute_path.zip', 'ABSOLUTE_PATH /etc/cron.d/pwned', '/etc/cron.d/pwned'],
    [
      'malicious/bundle/zip_backslash_traversal.zip',
      'PATH_TRAVERSAL ..\\..\\startup.bat',
      '..\\..\\startup.bat',
    ],
    [
      'malicious/bundle/zip_symlink_outside.zip',
      'SYMLINK_OUTSIDE tiny/cache -> ../../../home/user/.ssh',
      'tiny/cache',
    ],
    [
      'malicious/bundle/zip_cli_symlink_outside.zip',
      'SYMLINK_OUTSIDE tiny/tokenizer.json -> ../../../../etc/shadow',
      'tiny/tokenizer.json',
    ],
    ['malicious/bundle/tar_traversal.tar', 'PATH_TRAVERSAL ../../.bashrc', '../../.bashrc'],
    [
      'malicious/bundle/tar_cli_absolute_path.tar',
      'ABSOLUTE_PATH /etc/profile.d/evil.sh',
      '/etc/profile.d/evil.sh',
    ],
    ['malicious/bundle/tar_symlink_outside.tar.xz', 'SYMLINK_OUTSIDE tiny/cache -> /root/.ssh', 'tiny/cache'],
    [
      'malicious/bundle/tar_hardlink_outside.tar',
      'HARDLINK_OUTSIDE tiny/passwd -> ../../../etc/passwd',
      'tiny/passwd',
    ],
    [
      'malicious/bundle/nested_zip_slip_in_tar_gz.tar.gz',
      'PATH_TRAVERSAL ../../../.profile',
      'tiny/extras.zip!../../../.profile',
    ],
  ])('%s escapes the extraction folder', async (path, evidence, member) => {
    const { findings } = await scanFileForTest(join(FIXTURES, path));
    expect(ruleIds(findings)).toEqual(['MODEL-BUNDLE-001']);
    expect(findings[0]).toMatchObject({ evidence, member });
    expect(verdictOf(findings)).toBe('malicious');
  });

  it.each([
    ['benign/bundle/tiny_model.zip', 'zip'],
    ['benign/bundle/tiny_model_cli.zip', 'zip'],
    ['benign/bundle/tiny_model.tar.gz', 'gzip/tar'],
    ['benign/bundle/tiny_model_cli.tar.xz', 'xz/tar'],
    // Links that stay inside, and a torch zip stored as a tar member (not a tar/zip polyglot).
    ['benign/bundle/tiny_model_with_links.tar', 'tar'],
  ])('%s is clean', async (path, format) => {
    const scan = await scanFileForTest(join(FIXTURES, path));
    expect(scan.findings).toEqual([]);
    expect(scan.format).toBe(format);
  });

  it('reports duplicate tar member names under MODEL-ARCHIVE-001', async () => {
    const { findings } = await scanFileForTest(join(FIXTURES, 'adversarial/bundle/tar_duplicate_names.tar'));
    expect(ruleIds(findings)).toEqual(['MODEL-ARCHIVE-001']);
    expect(findings[0]).toMatchObject({ evidence: 'DUPLICATE_NAME', member: 'tiny/model.safetensors' });
  });
});

describe('extraction checks', () => {
  const data = new TextEncoder().encode('x');

  it('lists at most 20 escapes of a kind per archive, then a summary', async () => {
    const members = Array.from({ length: 25 }, (_, index) => ({ name: `../x${index}`, data }));
    const { findings } = await scanBytesForTest(buildZip({ members }), 'many.zip');
    expect(findings.filter((finding) => finding.ruleId === 'MODEL-BUNDLE-001')).toHaveLength(21);
    expect(findings.at(-1)?.message).toContain('5 more members have PATH_TRAVERSAL');
  });

  it('checks a tar nested in a zip against its own root', async () => {
    const tar = buildTar([{ name: '../../outside.sh', data }]);
    const zip = buildZip({ members: [{ name: 'inner/bundle.tar', data: tar, method: 8 }] });
    const { findings } = await scanBytesForTest(zip, 'outer.zip');
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'MODEL-BUNDLE-001', member: 'inner/bundle.tar!../../outside.sh' }),
    ]);
  });
});

/** A protocol-4 pickle of one BINBYTES8 string of `length` zeros: read to its end by the pickle scanner. */
function bytesPickle(length: number): Uint8Array {
  const pickle = new Uint8Array(2 + 9 + length + 1);
  pickle.set([0x80, 0x04, 0x8e]);
  new DataView(pickle.buffer).setBigUint64(3, BigInt(length), true);
  pickle[pickle.length - 1] = 0x2e;
  return pickle;
}

describe('total decompression budget', () => {
  const zeros = bytesPickle(1.5 * MiB);
  const limits = { maxDecompressedBytes: 4 * MiB, maxCompressionRatio: 1e9 };

  it('counts every member of the file against one budget', async () => {
    const members = ['a.pkl', 'b.pkl', 'c.pkl'].map((name) => ({ name, data: zeros, method: 8 }));
    const { findings } = await scanBytesForTest(buildZip({ members }), 'three.zip', limits);
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'SCAN-002', member: 'c.pkl', evidence: 'DECOMPRESSED_SIZE' }),
    ]);
  });

  it('starts afresh for each file', async () => {
    const zip = buildZip({ members: [{ name: 'a.pkl', data: zeros, method: 8 }] });
    for (let file = 0; file < 3; file += 1) {
      expect((await scanBytesForTest(zip, 'one.zip', limits)).findings).toEqual([]);
    }
  });
});

describe('isTarMemberData', () => {
  it('finds where a member’s data starts and nothing else', async () => {
    const tar = buildTar([
      { name: 'a.txt', data: new Uint8Array(700) },
      { name: 'b.txt', data: new Uint8Array(10) },
    ]);
    const access = new MemoryAccess(tar, 'test.tar');
    expect(await isTarMemberData(access, 512)).toBe(true);
    expect(await isTarMemberData(access, 512 + 1024 + 512)).toBe(true);
    expect(await isTarMemberData(access, 1024)).toBe(false);
    expect(await isTarMemberData(access, tar.length)).toBe(false);
  });
});
