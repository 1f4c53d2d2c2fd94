import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { runScan } from '../../core/engine.js';
import type { RawFinding } from '../../core/finding.js';
import type { ScanContext } from '../../core/scanner.js';
import { checkShadowing, shadowCandidate, shadowFormat } from './shadow.js';
import { GENERATED_3_11, PYTHON_VERSIONS, STDLIB_NAMES, shadowedIn } from './shadow-stdlib.js';

const REPO = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(REPO, 'test/fixtures/env/shadow');
/** Written by the notes' author from five interpreters on the development machine; not part of the repository. */
const SHARED = join(REPO, '../shared/data/stdlib-module-names.json');

interface SharedInterpreter {
  readonly stdlib_module_names: readonly string[];
  readonly builtin_module_names: readonly string[];
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe.skipIf(!existsSync(SHARED))('stdlib names against the interpreters recorded in the notes', () => {
  const shared = existsSync(SHARED)
    ? (JSON.parse(readFileSync(SHARED, 'utf8')) as { interpreters: Record<string, SharedInterpreter> })
        .interpreters
    : {};
  const interpreter = (label: string): SharedInterpreter => {
    const found = shared[label];
    if (found === undefined) throw new Error(`no ${label} in ${SHARED}`);
    return found;
  };

  it('generated 3.11 exactly from the Debian interpreter, built-ins included', () => {
    const debian = interpreter('3.11.2 (debian /usr/bin/python3)');
    expect(GENERATED_3_11.python).toBe('3.11.2');
    expect(sorted(GENERATED_3_11.stdlib)).toEqual(sorted(debian.stdlib_module_names));
    expect(sorted(GENERATED_3_11.builtin)).toEqual(sorted(debian.builtin_module_names));
  });

  it.each([
    ['3.10', '3.10.13 (pyenv)'],
    ['3.11', '3.11.7 (pyenv)'],
    ['3.12', '3.12.1 (pyenv)'],
    ['3.13', '3.13.0 (pyenv)'],
  ] as const)(
    'derives %s exactly: standard library and the built-ins of a plain build (%s)',
    (version, label) => {
      const recorded = interpreter(label);
      expect(sorted(STDLIB_NAMES[version].stdlib)).toEqual(sorted(recorded.stdlib_module_names));
      expect(sorted(STDLIB_NAMES[version].builtin)).toEqual(sorted(recorded.builtin_module_names));
    },
  );

  it('explains the one difference: Debian builds 30 more modules in, which plain builds load from files', () => {
    const debian = new Set(interpreter('3.11.2 (debian /usr/bin/python3)').builtin_module_names);
    const core = STDLIB_NAMES['3.11'].builtin;
    expect([...core].filter((name) => !debian.has(name))).toEqual([]);
    const extra = sorted([...debian].filter((name) => !core.has(name)));
    expect(extra).toHaveLength(30);
    expect(extra).toEqual(
      expect.arrayContaining(['_pickle', '_socket', 'math', 'pyexpat', 'select', 'zlib']),
    );
  });
});

describe('stdlib names per version', () => {
  it('knows additions, removals and built-ins', () => {
    expect(shadowedIn('json')).toEqual([...PYTHON_VERSIONS]);
    expect(shadowedIn('tomllib')).toEqual(['3.11', '3.12', '3.13']);
    expect(shadowedIn('distutils')).toEqual(['3.10', '3.11']);
    expect(shadowedIn('crypt')).toEqual(['3.10', '3.11', '3.12']);
    expect(shadowedIn('_pyrepl')).toEqual(['3.13']);
    expect(shadowedIn('binhex')).toEqual(['3.10']);
    expect(shadowedIn('sys')).toEqual([]);
    expect(shadowedIn('posix')).toEqual([]);
    expect(shadowedIn('_typing')).toEqual(['3.11']);
    expect(shadowedIn('zlib')).toEqual([...PYTHON_VERSIONS]);
    expect(shadowedIn('mymodule')).toEqual([]);
    expect(shadowedIn('crypt', ['3.13'])).toEqual([]);
  });
});

describe('module names of files', () => {
  it.each([
    ['app/json.py', 'json', 'source'],
    ['json.pyc', 'json', 'bytecode'],
    ['app/json/__init__.py', 'json', 'package'],
    ['zlib.so', 'zlib', 'extension'],
    ['readline.cpython-311-x86_64-linux-gnu.so', 'readline', 'extension'],
    ['_ssl.cpython-313t-darwin.so', '_ssl', 'extension'],
    ['ssl.abi3.so', 'ssl', 'extension'],
    ['select.pyd', 'select', 'extension'],
    ['_socket.cp312-win_amd64.pyd', '_socket', 'extension'],
  ])('%s provides %s (%s)', (path, module, kind) => {
    expect(shadowCandidate(path)).toEqual({ module, kind });
  });

  it.each(['__pycache__/json.cpython-311.pyc', 'json.cpython-311.pyc', 'my-json.py', 'json.txt', '1json.so'])(
    '%s provides no importable top-level module',
    (path) => {
      expect(shadowCandidate(path)).toBeUndefined();
    },
  );

  it('claims only colliding bytecode and extension files for the environment scanner', () => {
    expect(shadowFormat('readline.cpython-311-x86_64-linux-gnu.so')).toBe('python-extension');
    expect(shadowFormat('pickle.pyc')).toBe('python-bytecode');
    expect(shadowFormat('mylib.cpython-311-x86_64-linux-gnu.so')).toBeUndefined();
    expect(shadowFormat('json.py')).toBeUndefined();
  });
});

describe('checkShadowing', () => {
  let root = '';
  afterEach(() => {
    if (root !== '') rmSync(root, { recursive: true, force: true });
    root = '';
  });

  function check(
    files: readonly string[],
    target: string,
    targets?: readonly ('3.10' | '3.13')[],
  ): RawFinding[] {
    root = mkdtempSync(join(tmpdir(), 'mlsec-shadow-'));
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), 'x = 1\n');
    }
    const findings: RawFinding[] = [];
    const context: ScanContext = {
      settings: {} as ScanContext['settings'],
      report: (finding) => findings.push(finding),
      checkDeadline: () => undefined,
    };
    const probe = { path: target, head: new Uint8Array(), size: 6 };
    checkShadowing(join(root, target), probe, context, targets);
    return findings;
  }

  it('rates extension modules high, security-relevant sources medium and other collisions low', () => {
    expect(check(['app/zlib.so'], 'app/zlib.so')[0]?.severity).toBe('high');
    expect(check(['app/json.py'], 'app/json.py')[0]?.severity).toBe('medium');
    expect(check(['app/_json.py'], 'app/_json.py')[0]?.severity).toBe('medium');
    expect(check(['app/types.py'], 'app/types.py')[0]?.severity).toBe('low');
    expect(check(['calendar/__init__.py'], 'calendar/__init__.py')[0]?.severity).toBe('low');
    expect(check(['app/pickle.pyc'], 'app/pickle.pyc')[0]?.severity).toBe('medium');
  });

  it('reports modules Python imports while starting at low severity, saying why', () => {
    const [finding] = check(['os.py'], 'os.py');
    expect(finding?.severity).toBe('low');
    expect(finding?.message).toContain('python -S');
  });

  it('explains the risk and the fix, and names the versions', () => {
    const [finding] = check(['crypt.py'], 'crypt.py');
    expect(finding).toMatchObject({ ruleId: 'ENV-SHADOW-001', evidence: 'crypt.py' });
    expect(finding?.message).toContain('(Python 3.10–3.12)');
    for (const text of ['python -m', '-c', 'REPL', 'python script.py', '-P', 'PYTHONSAFEPATH=1', '-I'])
      expect(finding?.message).toContain(text);
    expect(check(['tomllib.py'], 'tomllib.py')[0]?.message).toContain('(Python 3.11–3.13)');
    expect(check(['_pyrepl.py'], '_pyrepl.py')[0]?.message).toContain('(Python 3.13)');
  });

  it('reports a package folder by its name', () => {
    expect(check(['json/__init__.py'], 'json/__init__.py')[0]?.evidence).toBe('json/__init__.py');
  });

  it('leaves modules inside packages, installed files, the standard library and built-ins alone', () => {
    expect(check(['mypkg/__init__.py', 'mypkg/json.py'], 'mypkg/json.py')).toEqual([]);
    expect(check(['outer/__init__.py', 'outer/json/__init__.py'], 'outer/json/__init__.py')).toEqual([]);
    expect(
      check(['venv/lib/python3.11/site-packages/enum.py'], 'venv/lib/python3.11/site-packages/enum.py'),
    ).toEqual([]);
    expect(
      check(['usr/lib/python3/dist-packages/typing.py'], 'usr/lib/python3/dist-packages/typing.py'),
    ).toEqual([]);
    expect(check(['usr/lib/python3.11/json/__init__.py'], 'usr/lib/python3.11/json/__init__.py')).toEqual([]);
    expect(
      check(
        ['usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so'],
        'usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so',
      ),
    ).toEqual([]);
    expect(check(['sys.py'], 'sys.py')).toEqual([]);
    expect(check(['mymodule.py'], 'mymodule.py')).toEqual([]);
  });

  it('checks only the target versions when given', () => {
    expect(check(['tomllib.py'], 'tomllib.py', ['3.10'])).toEqual([]);
    expect(check(['crypt.py'], 'crypt.py', ['3.13'])).toEqual([]);
    expect(check(['crypt.py'], 'crypt.py', ['3.10'])).toHaveLength(1);
  });
});

describe('ENV-SHADOW-001 in a scan', () => {
  async function shadowFindings(path: string): Promise<{ path: string; severity: string }[]> {
    const config = await loadConfig(path);
    const report = await runScan({ paths: [path], config, workers: 0 });
    return report.findings
      .filter((finding) => finding.ruleId === 'ENV-SHADOW-001')
      .map((finding) => ({ path: finding.location.path, severity: finding.severity }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  it('reports json.py and the fake readline extension, not mypkg/json.py', async () => {
    const findings = await shadowFindings(FIXTURES);
    expect(findings.map(({ path, severity }) => [path.slice(path.indexOf('shadow/')), severity])).toEqual([
      ['shadow/app/json.py', 'medium'],
      ['shadow/repl/readline.cpython-311-x86_64-linux-gnu.so', 'high'],
    ]);
  });
});
