import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../core/finding.js';
import { buildTar, buildZip, concatBytes } from '../../targets/test-archives.js';
import { ruleIds, scanBytesForTest, scanFileForTest, verdictOf } from './test-support.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
/** Protocol 0: `posix.system('echo pwned')`. */
const MALICIOUS = text("cposix\nsystem\n(S'echo pwned'\ntR.");
/** Protocol 2: the integer 1. */
const BENIGN = Uint8Array.from([0x80, 0x02, 0x4b, 0x01, 0x2e]);

function npy(descr: string, shape: string, data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const length = new Uint8Array(2);
  new DataView(length.buffer).setUint16(0, header.length, true);
  return concatBytes([
    Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
    length,
    text(header),
    data,
  ]);
}

function findingsOf(findings: readonly RawFinding[], ruleId: string): RawFinding[] {
  return findings.filter((finding) => finding.ruleId === ruleId);
}

const payloadMembers = (findings: readonly RawFinding[]): (string | undefined)[] =>
  findingsOf(findings, 'MODEL-PICKLE-001').map((finding) => finding.member);

describe('torch zip structure', () => {
  it('scans data.pkl under a local header that names another file, and reports the mismatch', async () => {
    const zip = buildZip({
      members: [{ name: 'archive/data.pkl', localName: 'archive/data.pkX', data: MALICIOUS }],
    });
    const { findings, format } = await scanBytesForTest(zip, 'model.pt');
    expect(format).toBe('pytorch-zip');
    expect(payloadMembers(findings)).toEqual(['archive/data.pkl']);
    expect(findingsOf(findings, 'MODEL-ARCHIVE-001').map((finding) => finding.evidence)).toEqual([
      'LOCAL_HEADER_MISMATCH',
    ]);
  });

  it('scans every duplicate and reports the duplicated name', async () => {
    const zip = buildZip({
      members: [
        { name: 'archive/data.pkl', data: BENIGN },
        { name: 'archive/data.pkl', data: MALICIOUS },
      ],
    });
    const { findings } = await scanBytesForTest(zip, 'model.pt');
    expect(payloadMembers(findings)).toEqual(['archive/data.pkl']);
    expect(findingsOf(findings, 'MODEL-ARCHIVE-001').map((finding) => finding.evidence)).toEqual([
      'DUPLICATE_NAME',
    ]);
  });

  it.each([0x1, 0x20, 0x40])('reads a plain member flagged 0x%s as torch does', async (flag) => {
    const zip = buildZip({ members: [{ name: 'archive/data.pkl', data: MALICIOUS, flags: flag }] });
    const { findings } = await scanBytesForTest(zip, 'model.pt');
    expect(payloadMembers(findings)).toEqual(['archive/data.pkl']);
    expect(findingsOf(findings, 'MODEL-ARCHIVE-001').map((finding) => finding.evidence)).toEqual([
      `FLAG_BITS 0x${flag.toString(16)}`,
    ]);
  });

  it('reports a wrong CRC-32 on a member it read in full', async () => {
    const zip = buildZip({ members: [{ name: 'archive/data.pkl', data: BENIGN, crc: 0x12345678 }] });
    const { findings } = await scanBytesForTest(zip, 'model.pt');
    expect(findingsOf(findings, 'MODEL-ARCHIVE-001').map((finding) => finding.evidence)).toEqual([
      'CRC_MISMATCH',
    ]);
  });

  it('sniffs members of any name but never reads tensor storages', async () => {
    const zip = buildZip({
      members: [
        { name: 'archive/data.pkl', data: BENIGN },
        { name: 'archive/data/0', data: MALICIOUS },
        { name: 'archive/extra/x', data: MALICIOUS, method: 8 },
        { name: 'archive/version', data: text('3\n') },
      ],
    });
    const { findings } = await scanBytesForTest(zip, 'model.pt');
    expect(payloadMembers(findings)).toEqual(['archive/extra/x']);
    expect(findingsOf(findings, 'SCAN-003')).toEqual([]);
  });

  it('lists at most 20 findings of one kind per archive, then says how many more members had it', async () => {
    const members = Array.from({ length: 25 }, (_, index) => ({
      name: `m${index}.txt`,
      data: text('x'),
      flags: 0x1,
      crc: 0,
    }));
    const { findings } = await scanBytesForTest(buildZip({ members }), 'many.zip');
    const archive = findingsOf(findings, 'MODEL-ARCHIVE-001');
    const counts = new Map<string, number>();
    for (const { evidence = '' } of archive) counts.set(evidence, (counts.get(evidence) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      'FLAG_BITS 0x1': 20,
      CRC_MISMATCH: 21,
      FLAG_BITS: 1,
    });
    expect(archive.slice(-2).map((finding) => [finding.member, finding.message])).toEqual([
      [undefined, '5 more members have FLAG_BITS; only the first 20 are listed'],
      [undefined, '5 more members have CRC_MISMATCH; only the first 20 are listed'],
    ]);
  });

  it('reports an undecodable compression method and does not call the member clean', async () => {
    const zip = buildZip({ members: [{ name: 'archive/data.pkl', data: MALICIOUS, method: 99 }] });
    const { findings } = await scanBytesForTest(zip, 'model.pt');
    expect(ruleIds(findings)).toEqual(['MODEL-ARCHIVE-001', 'SCAN-001']);
    expect(verdictOf(findings)).toBe('unscannable');
  });
});

describe('polyglots', () => {
  it('scans both the leading pickle and the zip after it', async () => {
    const zip = buildZip({ prefix: MALICIOUS, members: [{ name: 'archive/data.pkl', data: MALICIOUS }] });
    const { findings, format } = await scanBytesForTest(zip, 'model.pt');
    expect(format).toBe('pickle+pytorch-zip');
    expect(payloadMembers(findings)).toEqual([undefined, 'archive/data.pkl']);
    expect(ruleIds(findings)).toContain('MODEL-POLYGLOT-001');
  });

  it('reports junk before a zip appended with unadjusted offsets and scans the zip', async () => {
    const zip = buildZip({
      prefix: new Uint8Array(96).fill(7),
      absoluteOffsets: false,
      members: [{ name: 'a/data.pkl', data: MALICIOUS }],
    });
    const { findings, format } = await scanBytesForTest(zip, 'model.pt');
    expect(format).toBe('pytorch-zip');
    expect(payloadMembers(findings)).toEqual(['a/data.pkl']);
    expect(ruleIds(findings)).toEqual(['MODEL-PICKLE-001', 'MODEL-POLYGLOT-001']);
  });
});

describe('other wrappers', () => {
  it('reads the joblib < 0.10 ZF format', async () => {
    const zf = concatBytes([text('ZF' + '0x21'.padEnd(19)), deflateSync(MALICIOUS)]);
    const { findings, format } = await scanBytesForTest(zf, 'old.pkl');
    expect(format).toBe('joblib-zf/pickle');
    expect(ruleIds(findings)).toEqual(['MODEL-PICKLE-001']);
  });

  it.each([
    ['a zlib stream (joblib)', deflateSync(BENIGN)],
    ['a gzip member and zero padding', concatBytes([gzipSync(BENIGN), new Uint8Array(2)])],
  ])('reports a payload after %s, which no decompressor reads', async (_what, stream) => {
    const { findings } = await scanBytesForTest(concatBytes([stream, MALICIOUS]), 'model.pkl');
    expect(findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['SCAN-001', 'BAD_STRUCTURE'],
    ]);
    expect(findings[0]?.message).toMatch(/trailing data after the compressed stream/);
  });

  it('reports lz4 (joblib) as unscannable rather than clean', async () => {
    const { findings, format } = await scanBytesForTest(
      Uint8Array.from([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7]),
      'm.joblib',
    );
    expect(format).toBe('lz4');
    expect(findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['SCAN-001', 'UNSUPPORTED'],
    ]);
  });

  it('scans both views of a tar header whose bytes start a pickle', async () => {
    const tar = buildTar([{ name: "cposix\nsystem\n(S'echo pwned'\ntR.", data: text('member') }]);
    const { findings, format } = await scanBytesForTest(tar, 'model.pt');
    expect(format).toBe('tar+pickle');
    expect(ruleIds(findings)).toContain('MODEL-POLYGLOT-001');
    expect(ruleIds(findings)).toContain('MODEL-PICKLE-001');
  });
});

describe('nesting and labels', () => {
  it('labels members of nested containers outermost first', async () => {
    const tar = buildTar([{ name: 'archive/model.pkl.gz', data: gzipSync(MALICIOUS) }]);
    const zip = buildZip({ members: [{ name: 'inner.tar', data: tar, method: 8 }] });
    const { findings, format } = await scanBytesForTest(zip, 'outer.zip');
    expect(format).toBe('zip');
    expect(payloadMembers(findings)).toEqual(['inner.tar!archive/model.pkl.gz']);
  });

  it('buffers a zip that is only reachable as a stream, within a bound', async () => {
    const zip = buildZip({ members: [{ name: 'archive/data.pkl', data: MALICIOUS }] });
    const { findings, format } = await scanBytesForTest(gzipSync(zip), 'model.pt.gz');
    expect(format).toBe('gzip/pytorch-zip');
    expect(payloadMembers(findings)).toEqual(['archive/data.pkl']);
    const refused = await scanBytesForTest(gzipSync(zip), 'model.pt.gz', { maxDecompressedBytes: 100 });
    expect(refused.findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['SCAN-002', 'DECOMPRESSED_SIZE'],
    ]);
  });

  it('stops at the nesting limit without calling the inner content clean', async () => {
    let bytes: Uint8Array = MALICIOUS;
    for (let level = 0; level < 4; level += 1)
      bytes = buildZip({ members: [{ name: `level${level}.zip`, data: bytes }] });
    const { findings } = await scanBytesForTest(bytes, 'deep.zip', { maxNestingDepth: 2 });
    expect(findingsOf(findings, 'SCAN-002').map((finding) => finding.evidence)).toEqual(['NESTING_DEPTH']);
  });

  it('stops listing at the member limit and says so', async () => {
    const zip = buildZip({ members: [1, 2, 3].map((n) => ({ name: `m${n}.txt`, data: text('x') })) });
    const { findings } = await scanBytesForTest(zip, 'many.zip', { maxArchiveMembers: 2 });
    expect(findingsOf(findings, 'SCAN-002').map((finding) => finding.evidence)).toEqual(['MEMBER_COUNT']);
  });

  it('reports unrecognised content under a model name, inside archives too', async () => {
    const zip = buildZip({
      members: [
        { name: 'weights.pt', data: text('\x89PNG not a model') },
        { name: 'notes.txt', data: text('hi') },
      ],
    });
    const { findings } = await scanBytesForTest(zip, 'bundle.zip');
    expect(findingsOf(findings, 'SCAN-003').map((finding) => finding.member)).toEqual(['weights.pt']);
  });
});

describe('numpy', () => {
  it('skips numeric data and reports a truncated array', async () => {
    expect((await scanBytesForTest(npy('<i4', '(2, 2)', new Uint8Array(16)), 'a.npy')).findings).toEqual([]);
    const truncated = await scanBytesForTest(npy('<i4', '(2, 2)', new Uint8Array(10)), 'a.npy');
    expect(truncated.findings.map((finding) => finding.evidence)).toEqual(['TRUNCATED']);
  });

  it('reports bytes after the array, which numpy never reads', async () => {
    const numeric = await scanBytesForTest(
      npy('<i4', '(2, 2)', concatBytes([new Uint8Array(16), MALICIOUS])),
      'a.npy',
    );
    expect(numeric.findings.map((finding) => [finding.ruleId, finding.evidence, finding.message])).toEqual([
      ['SCAN-001', 'BAD_STRUCTURE', 'Could not parse (BAD_STRUCTURE): trailing data after the array'],
    ]);
    const object = await scanBytesForTest(npy('|O', '(1,)', concatBytes([BENIGN, MALICIOUS])), 'a.npy');
    expect(ruleIds(object.findings)).toEqual(['MODEL-NUMPY-001', 'SCAN-001']);
  });

  it('scans the pickle of an object array inside an npz', async () => {
    const zip = buildZip({ members: [{ name: 'x.npy', data: npy('|O', '(1,)', MALICIOUS), method: 8 }] });
    const { findings, format } = await scanBytesForTest(zip, 'arrays.npz');
    expect(format).toBe('npz');
    expect(ruleIds(findings)).toEqual(['MODEL-NUMPY-001', 'MODEL-PICKLE-001']);
    expect(payloadMembers(findings)).toEqual(['x.npy']);
  });

  it('stops a deflated member at the decompressed-size limit', async () => {
    const zip = buildZip({
      members: [{ name: 'big.npy', data: npy('|u1', '(3000000,)', new Uint8Array(3_000_000)), method: 8 }],
    });
    const { findings } = await scanBytesForTest(zip, 'big.npz', { maxDecompressedBytes: 1024 * 1024 });
    expect(findings.map((finding) => [finding.ruleId, finding.evidence, finding.member])).toEqual([
      ['SCAN-002', 'DECOMPRESSED_SIZE', 'big.npy'],
    ]);
  });
});

describe('legacy torch files', () => {
  const legacy = readFileSync(
    resolve(import.meta.dirname, '../../../test/fixtures/model/benign/torch/state_dict_legacy.pt'),
  );

  it('accepts storages that match the data pickle exactly', async () => {
    const { findings, format } = await scanBytesForTest(legacy, 'model.pt');
    expect(format).toBe('pytorch-legacy');
    expect(findings).toEqual([]);
  });

  it('reports storages cut short', async () => {
    const { findings } = await scanBytesForTest(legacy.subarray(0, legacy.length - 3), 'model.pt');
    expect(findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['SCAN-001', 'TRUNCATED'],
    ]);
  });

  it('scans what follows the pickles as pickles when storage sizes are unknown, and is never clean', async () => {
    // Magic, protocol 1001, sys_info, data {'w': 1}, storage keys None (no sizes), then a payload and junk.
    const pickles = Buffer.from(
      '80028a0a6cfc9c46f9206aa850192e80024de9032e80027d71002858100000007072' +
        '6f746f636f6c5f76657273696f6e71014de903580d0000006c6974746c655f656e' +
        '6469616e710288752e80027d710058010000007771014b01732e80024e2e',
      'hex',
    );
    const { findings } = await scanBytesForTest(
      concatBytes([pickles, MALICIOUS, new Uint8Array(100).fill(0xff)]),
      'model.pt',
    );
    expect(findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['MODEL-PICKLE-001', "posix.system('echo pwned')"],
      ['SCAN-001', 'UNSUPPORTED'],
    ]);
    expect(verdictOf(findings)).toBe('malicious');
    const unexplained = await scanBytesForTest(concatBytes([pickles, new Uint8Array(64)]), 'model.pt');
    expect(verdictOf(unexplained.findings)).toBe('unscannable');
  });

  it('reports bytes after the last storage, which torch never reads', async () => {
    const { findings } = await scanBytesForTest(concatBytes([legacy, MALICIOUS]), 'model.pt');
    expect(findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([
      ['SCAN-001', 'BAD_STRUCTURE'],
    ]);
  });
});

describe('time limit', () => {
  it('stops the whole file once, not once per member', async () => {
    const zip = buildZip({ members: [1, 2, 3].map((n) => ({ name: `m${n}.pkl`, data: BENIGN })) });
    const path = resolve(tmpdir(), `mlsec-time-${process.pid}.zip`);
    await writeFile(path, zip);
    try {
      const { findings } = await scanFileForTest(path, { timeoutMs: -1 });
      expect(findings.map((finding) => [finding.ruleId, finding.evidence])).toEqual([['SCAN-002', 'TIME']]);
    } finally {
      await rm(path);
    }
  });
});
