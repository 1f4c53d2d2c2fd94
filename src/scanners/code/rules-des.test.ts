import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/des');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

describe('deserialisation rules on realistic code', () => {
  it.each([
    ['dill_worker_payloads.py', ['PY-DES-002@15', 'PY-DES-002@21', 'PY-DES-002@25', 'PY-DES-002@29']],
    ['shelve_experiment_cache.py', ['PY-DES-003@9', 'PY-DES-003@17']],
    ['jsonpickle_run_state.py', ['PY-DES-004@11', 'PY-DES-004@18']],
    ['marshal_bytecode_cache.py', ['PY-DES-005@11', 'PY-EXE-002@13', 'PY-DES-005@18']],
    ['pandas_pickle_dataset.py', ['PY-DES-007@9', 'PY-DES-007@14']],
    ['numpy_allow_pickle.py', ['PY-DES-008@10', 'PY-DES-008@15', 'PY-DES-008@23']],
  ])('reports %s', async (name, expected) => {
    expect(await activeFindings(await fixture(name))).toEqual(expected);
  });

  it.each([
    'dill_named_tasks.py',
    'sqlite_experiment_cache.py',
    'json_run_state.py',
    'marshal_free_plugins.py',
    'pandas_parquet_dataset.py',
    'numpy_plain_arrays.py',
  ])('does not report %s', async (name) => {
    expect(await activeFindings(await fixture(name))).toEqual([]);
  });
});

describe('PY-DES-002 dill and cloudpickle', () => {
  it('follows aliases and re-bindings of the loaders', async () => {
    expect(
      await activeFindings(
        'import dill as dl\nfrom cloudpickle import load\nrestore = dl.loads\nrestore(b)\nload(f)\ndl.Unpickler(f).load()\n',
      ),
    ).toEqual(['PY-DES-002@4', 'PY-DES-002@5', 'PY-DES-002@6']);
  });

  it('ignores a shadowing parameter, a local module and the dumpers', async () => {
    expect(
      await activeFindings(
        'import dill\nfrom . import cloudpickle\ndef f(dill):\n    return dill.loads(b)\n' +
          'cloudpickle.loads(b)\ndill.dumps(obj)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-DES-003 shelve', () => {
  it('reports shelve.open under an alias and ignores a local variable named shelve', async () => {
    expect(
      await activeFindings(
        'import shelve as sh\nsh.open("cache")\ndef g(shelve):\n    shelve.open("cache")\n',
      ),
    ).toEqual(['PY-DES-003@2']);
  });
});

describe('PY-DES-004 jsonpickle', () => {
  it('reports decode by any spelling and not encode', async () => {
    expect(
      await activeFindings(
        'import jsonpickle as jp\nfrom jsonpickle import unpickler\njp.decode(t)\nunpickler.Unpickler().restore(t)\njp.encode(o)\n',
      ),
    ).toEqual(['PY-DES-004@3', 'PY-DES-004@4']);
  });
});

describe('PY-DES-005 marshal', () => {
  it('reports load and loads and not dumps', async () => {
    expect(
      await activeFindings(
        'from marshal import loads as unmarshal\nimport marshal\nunmarshal(b)\nmarshal.dumps(c)\n',
      ),
    ).toEqual(['PY-DES-005@3']);
  });
});

describe('PY-DES-007 pandas.read_pickle', () => {
  it('resolves import pandas as pd and ignores a reassigned pd', async () => {
    expect(
      await activeFindings(
        'import pandas as pd\npd.read_pickle("train.pkl")\ndef h():\n    pd = Storage()\n    return pd.read_pickle("x")\n',
      ),
    ).toEqual(['PY-DES-007@2']);
  });
});

describe('PY-DES-008 numpy.load allow_pickle', () => {
  const grade = async (source: string) =>
    (await analyseSource(`import numpy as np\n${source}\n`)).map(({ ruleId, severity, confidence }) => ({
      ruleId,
      severity,
      confidence,
    }));

  it('reports a literal True with the rule defaults (high)', async () => {
    expect(await grade('np.load(p, allow_pickle=True)')).toEqual([
      { ruleId: 'PY-DES-008', severity: undefined, confidence: undefined },
    ]);
    expect(await grade('np.load(p, None, 1)')).toHaveLength(1);
  });

  it('reports a value not known statically as medium with low confidence', async () => {
    expect(await grade('np.load(p, allow_pickle=opts.pickle)')).toEqual([
      { ruleId: 'PY-DES-008', severity: 'medium', confidence: 'low' },
    ]);
  });

  it('ignores an absent, False or None allow_pickle, and **kwargs without it', async () => {
    expect(
      await grade('np.load(p)\nnp.load(p, allow_pickle=False)\nnp.load(p, None, None)\nnp.load(p, **kw)'),
    ).toEqual([]);
  });

  it('does not take a local np for numpy', async () => {
    expect(await activeFindings('def f(np):\n    return np.load(p, allow_pickle=True)\n')).toEqual([]);
  });
});
