import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import { coreOf } from './families.js';
import { foldName, formsOf } from './forms.js';
import { TyposquatIndex, typosquatIndexFor } from './matcher.js';
import { parsePopularList, popularListFor, type PopularList } from './popular.js';

/** The shared top-15000 list beside the repository; never copied into it. */
const POPULAR = new URL(
  '../../../../../shared/data/top-pypi-packages/top-pypi-packages.min.json',
  import.meta.url,
).pathname;

describe('forms and families', () => {
  it('folds homoglyphs before and after PEP 503 normalisation', () => {
    expect(foldName('fIask')).toBe('flask');
    expect(foldName('nurnpy')).toBe('numpy');
    expect(foldName('b0t0_3')).toBe('boto-3');
    expect(foldName('Django-REST')).toBe('django-rest');
  });

  it('derives GuardDog confused forms and exact-only variants', () => {
    const forms = new Map(formsOf('python-dateutil').map((form) => [form.text, form.kind]));
    expect(forms.get('python-dateutil')).toBe('name');
    expect(forms.get('py-dateutil')).toBe('py-swap');
    expect(forms.get('dateutil')).toBe('py-drop');
    expect(forms.get('dateutil-python')).toBe('permutation');
    expect(formsOf('a-b-c-d-e').some((form) => form.kind === 'permutation')).toBe(false);
    expect(formsOf('google-cloud-storage').find((form) => form.kind === 'joined')?.text).toBe(
      'googlecloudstorage',
    );
  });

  it('strips build qualifiers to find sibling distributions', () => {
    expect(coreOf('nvidia-cublas-cu12')).toBe('nvidia-cublas');
    expect(coreOf('opencv-python-headless')).toBe('opencv-python');
    expect(coreOf('psycopg2-binary')).toBe('psycopg2');
  });
});

describe('popular list', () => {
  it('rejects malformed files with a clear configuration error', () => {
    expect(() => parsePopularList('{"rows": [', 'top.json')).toThrow(
      /popular-package list top.json: not valid JSON/,
    );
    expect(() => parsePopularList('[]', 'top.json')).toThrow(/"rows" array/);
    expect(() => parsePopularList('{"rows": [{"project": "a b"}]}', 'top.json')).toThrow(/row 1/);
    expect(() => parsePopularList('{"rows": []}', 'top.json')).toThrow(ConfigError);
  });

  it('reports a missing file as a configuration error', async () => {
    await expect(popularListFor('/nonexistent/top.json')).rejects.toThrow(/cannot read popular-package list/);
  });

  it('normalises names and ranks them in file order', () => {
    const list = parsePopularList(
      '{"rows": [{"project": "Foo_Bar"}, {"project": "baz"}, {"project": "foo-bar"}]}',
      'x',
    );
    expect(list.names).toEqual(['foo-bar', 'baz']);
    expect(list.rankOf.get('baz')).toBe(2);
  });
});

describe('TyposquatIndex on the real top-15000 list', () => {
  let list: PopularList;
  let index: TyposquatIndex;
  beforeAll(async () => {
    list = parsePopularList(await readFile(POPULAR, 'utf8'), POPULAR);
    index = new TyposquatIndex(list);
  });

  it("flags the talk's example through a reordering of python-dateutil", () => {
    expect(index.match('dateutil-python3')).toEqual({
      target: 'python-dateutil',
      rank: 12,
      evidence:
        '1 inserted character (`3`) from `dateutil-python`, which is `python-dateutil` (rank 12) with its terms reordered',
    });
  });

  it('flags edits, homoglyphs, py/python swaps and dropped terms', () => {
    expect(index.match('reqeusts')?.evidence).toBe(
      '1 transposition (`eu` for `ue`) from `requests` (rank 7)',
    );
    expect(index.match('fIask')?.evidence).toBe(
      'same as `flask` (rank 134) after folding look-alike characters',
    );
    expect(index.match('nurnpy')?.target).toBe('numpy');
    expect(index.match('py-dateutil')?.target).toBe('python-dateutil');
    expect(index.match('dateutil')?.target).toBe('python-dateutil');
    expect(index.match('Python_DateUtil')).toBeUndefined();
  });

  it('never flags popular near-neighbours', () => {
    for (const name of ['boto', 'pyaml', 'toml', 'scapy', 'tomli', 'pyyaml', 'boto3']) {
      expect(index.match(name), name).toBeUndefined();
    }
  });

  it('allows build variants and numbered generations of families the list vouches for', () => {
    expect(index.match('nvidia-cudnn-cu13')).toBeUndefined();
    expect(index.match('onnxruntime-tpu')).toBeUndefined();
    expect(index.match('boto2')).toBeUndefined();
    // `jinja2` is the only popular project of its family: `jinja3` stays suspicious.
    expect(index.match('jinja3')?.target).toBe('jinja2');
  });

  it('flags none of the 15,000 popular names themselves', () => {
    expect(list.names.filter((name) => index.match(name) !== undefined)).toEqual([]);
  });

  it('checks 1,000 names in well under 100 ms once the index is built', () => {
    const names = list.names.slice(0, 1000).map((name, at) => (at % 2 === 0 ? `${name}x` : name));
    const start = performance.now();
    for (const name of names) index.match(name);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('builds one index per list file and process', async () => {
    expect(await typosquatIndexFor(POPULAR)).toBe(await typosquatIndexFor(POPULAR));
  });
});
