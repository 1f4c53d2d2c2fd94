import { describe, expect, it } from 'vitest';
import { activeFindings } from './test-support.js';

const lines = (...source: string[]): string => `${source.join('\n')}\n`;

describe('name resolution', () => {
  it('follows import aliases, from-imports and module attributes', async () => {
    const source = lines(
      'import pickle as pkl',
      'from pickle import loads as unpickle',
      'import torch.serialization',
      'import os.path',
      'pkl.load(f)',
      'unpickle(data)',
      'torch.serialization.load(p)',
      'os.path.join(a, b)',
    );
    expect(await activeFindings(source)).toEqual(['PY-DES-001@5', 'PY-DES-001@6', 'PY-MDL-001@7']);
  });

  it('resolves a callable stored in a variable, also through a chain', async () => {
    const source = lines('import pickle', 'l = pickle.loads', 'm = l', 'l(d)', 'm(d)');
    expect(await activeFindings(source)).toEqual(['PY-DES-001@4', 'PY-DES-001@5']);
  });

  it('does not resolve a parameter or a local that shadows the module', async () => {
    const source = lines(
      'import pickle',
      'def restore(pickle, data):',
      '    return pickle.loads(data)',
      'def other(data):',
      '    pickle = make_codec()',
      '    return pickle.loads(data)',
      'handler = lambda pickle: pickle.load(f)',
    );
    expect(await activeFindings(source)).toEqual([]);
  });

  it('sees the latest binding in the same scope when a name is reassigned', async () => {
    const source = lines(
      'import yaml',
      'load = yaml.unsafe_load',
      'load(text)',
      'load = json.loads',
      'load(text)',
    );
    expect(await activeFindings(source)).toEqual(['PY-DES-006@3']);
  });

  it('keeps relative imports relative, so a local module named pickle is not the stdlib one', async () => {
    const source = lines('from .pickle import loads', 'from . import pickle', 'loads(d)', 'pickle.load(f)');
    expect(await activeFindings(source)).toEqual([]);
  });

  it('resolves module-level imports inside functions, methods and try/except import fallbacks', async () => {
    const source = lines(
      'try:',
      '    import cPickle as pickle',
      'except ImportError:',
      '    import pickle',
      'class Cache:',
      '    def get(self, blob):',
      '        return pickle.loads(blob)',
      'decode = lambda blob: pickle.loads(blob)',
      '# a default is evaluated outside the function, where pickle is still the module',
      'def fetch(pickle=pickle.loads(blob)): return pickle.loads(x)',
    );
    expect(await activeFindings(source)).toEqual(['PY-DES-001@7', 'PY-DES-001@8', 'PY-DES-001@10']);
  });

  it('treats an unbound eval as the builtin, but not a local function named eval', async () => {
    const builtin = lines('def run(expr):', '    return eval(expr)');
    const local = lines('def eval(expr):', '    return expr', 'eval(user_text)');
    expect(await activeFindings(builtin)).toEqual(['PY-EXE-001@2']);
    expect(await activeFindings(local)).toEqual([]);
  });

  it('applies a global declaration to assignments inside a function', async () => {
    const source = lines(
      'loader = None',
      'def setup():',
      '    global loader',
      '    loader = torch.load',
      'import torch',
      'loader(p, weights_only=False)',
    );
    expect(await activeFindings(source)).toEqual(['PY-MDL-001@6']);
  });
  it('binds a nonlocal assignment in the enclosing function, not the module', async () => {
    const source = lines(
      'import pickle',
      'def outer(x):',
      '    pickle = None',
      '    def inner():',
      '        nonlocal pickle',
      '        pickle = make_codec()',
      '    return pickle.loads(x)',
      'pickle.loads(y)',
    );
    expect(await activeFindings(source)).toEqual(['PY-DES-001@8']);
  });
});

describe('constant evaluation', () => {
  it('folds literals, concatenations and names bound once', async () => {
    const source = lines(
      'EXPR = "1 + " "2"',
      'eval(EXPR)',
      'eval(3)',
      'eval(f"{x}")',
      'TRUST = True',
      'from transformers import AutoModel',
      'AutoModel.from_pretrained("m", trust_remote_code=TRUST)',
    );
    expect(await activeFindings(source)).toEqual(['PY-EXE-001@4', 'PY-MDL-006@7', 'PY-MDL-007@7']);
  });

  it('does not fold a name bound more than once', async () => {
    const source = lines('expr = "1"', 'if flag:', '    expr = read()', 'def f():', '    return eval(expr)');
    expect(await activeFindings(source)).toEqual(['PY-EXE-001@5']);
  });

  it('evaluates keyword references to loaders as qualified names', async () => {
    const source = lines(
      'import yaml as y',
      'from yaml import CSafeLoader, UnsafeLoader',
      'y.load(s, Loader=y.SafeLoader)',
      'y.load(s, Loader=CSafeLoader)',
      'y.load(s, UnsafeLoader)',
      'y.load(s, Loader=y.FullLoader)',
      'y.load(s, Loader=pick_loader())',
      'y.load(s, **options)',
    );
    expect(await activeFindings(source)).toEqual(['PY-DES-006@5', 'PY-DES-006@6', 'PY-DES-006@7']);
  });
});

describe('rule aliases in suppression comments', () => {
  it('accepts an alias id in # mlsec: ignore[...]', async () => {
    const source = lines(
      'from transformers import AutoModel',
      'AutoModel.from_pretrained(name, trust_remote_code=True, revision="0123456789abcdef0123456789abcdef01234567")  # mlsec: ignore[PY-SUP-002] reviewed',
    );
    expect(await activeFindings(source)).toEqual([]);
  });
});
