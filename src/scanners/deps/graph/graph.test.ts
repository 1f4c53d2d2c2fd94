import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../core/errors.js';
import { PARSERS } from '../formats/index.js';
import { readManifestInput } from '../formats/input.js';
import { cyclesOf, pathFromRoot, problemsOf, rootsOf } from './analyze.js';
import { manifestGraph } from './build.js';
import { findMetadata, loadGraph } from './load.js';
import { renderDot, renderJson, renderMermaid, renderProblems, renderText } from './render.js';
import { viewOf } from './view.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const VENV = join(REPO, 'test/fixtures/deps/env/venv');
const DEBIAN = '/usr/lib/python3/dist-packages';

describe('the installed-environment graph (fixture venv)', () => {
  it('finds every distribution under a venv, and the same under its site-packages', async () => {
    const found = await findMetadata(VENV);
    expect(found.map((path) => path.slice(VENV.length + 1))).toHaveLength(10);
    const site = await loadGraph(join(VENV, 'lib/python3.11/site-packages'));
    const one = await loadGraph(join(VENV, 'lib/python3.11/site-packages/requests-2.31.0.dist-info'));
    expect([...one.nodes.keys()]).toEqual(['requests']);
    expect([...site.nodes.keys()].sort()).toEqual([
      'alpha',
      'app',
      'beta',
      'certifi',
      'charset-normalizer',
      'idna',
      'legacy',
      'oldstyle',
      'requests',
      'urllib3',
    ]);
  });

  it('reports the conflict, the missing dependency and the cycle, and decides markers with the venv Python', async () => {
    const graph = await loadGraph(VENV);
    const problems = problemsOf(graph);
    expect(problems.conflicts.map(({ from, to, required }) => [from, to, required])).toEqual([
      ['requests', 'charset-normalizer', '<4,>=2'],
    ]);
    // pywin32 is behind sys_platform == "win32", which may hold elsewhere: never reported missing.
    expect(problems.missing.map(({ from, to }) => [from, to])).toEqual([['app', 'gone']]);
    expect(problems.cycles).toEqual([['alpha', 'beta', 'alpha']]);
    expect(graph.errors).toEqual([]);
    const app = graph.edges.get('app')?.map((edge) => edge.to);
    // pyvenv.cfg says 3.11.4, so tomli (python_version < "3.11") is out; pytest needs the unrequested "test" extra.
    expect(app).toEqual(['requests', 'alpha', 'legacy', 'gone', 'pywin32']);
    expect(graph.edges.get('legacy')?.map((edge) => edge.to)).toEqual(['certifi']);
    expect(rootsOf(graph)).toEqual(['app', 'oldstyle']);
    expect(pathFromRoot(graph, 'idna')).toEqual(['app', 'requests', 'idna']);
  });

  it('follows an extra that another package asks for', async () => {
    const graph = await loadGraph(
      await environment({
        'a-1.dist-info/METADATA': 'Name: a\nVersion: 1\nRequires-Dist: b[fast]\n',
        'b-1.dist-info/METADATA':
          'Name: b\nVersion: 1\nRequires-Dist: c>=2; extra == "fast"\nRequires-Dist: d; extra == "slow"\n',
        'c-1.0.dist-info/METADATA': 'Name: c\nVersion: 1.0\n',
      }),
    );
    expect(graph.edges.get('b')?.map((edge) => [edge.to, edge.status])).toEqual([['c', 'conflict']]);
  });

  it('renders pipdeptree-style text, forward and reverse', async () => {
    const graph = await loadGraph(VENV);
    expect(renderText(viewOf(graph, { reverse: false, packages: ['requests'] }))).toBe(
      [
        'requests==2.31.0',
        '├── charset-normalizer [required: <4,>=2, installed: 4.0.0] (conflict)',
        '├── idna [required: <4,>=2.5, installed: 3.6]',
        '├── urllib3 [required: <3,>=1.21.1, installed: 2.2.1]',
        '└── certifi [required: >=2017.4.17, installed: 2024.2.2]',
        '',
      ].join('\n'),
    );
    expect(renderText(viewOf(graph, { reverse: true, packages: ['certifi'] }))).toBe(
      [
        'certifi==2024.2.2',
        '├── legacy==0.5 [requires: certifi]',
        '│   └── app==1.0 [requires: legacy]',
        '└── requests==2.31.0 [requires: certifi>=2017.4.17]',
        '    └── app==1.0 [requires: requests>=2.28]',
        '',
      ].join('\n'),
    );
    const whole = renderText(viewOf(graph, { reverse: false, packages: [] }));
    expect(whole).toContain('│       └── alpha [required: >=1.0, installed: 1.0] (cycle)');
    expect(whole).toContain('├── gone [required: >=1.0, installed: ?] (missing)');
    expect(
      renderText(viewOf(graph, { reverse: false, packages: ['app'], depth: 1 })).split('\n'),
    ).toHaveLength(7);
    expect(renderProblems(graph, problemsOf(graph))).toBe(
      [
        'Conflicting dependencies found:',
        '* requests==2.31.0 requires charset-normalizer<4,>=2, installed: 4.0.0',
        'Missing dependencies found:',
        '* app==1.0 requires gone>=1.0, not installed',
        'Cyclic dependencies found:',
        '* alpha => beta => alpha',
        '',
      ].join('\n'),
    );
  });

  it('shows a pure cycle that nothing else requires', async () => {
    const graph = await loadGraph(
      await environment({
        'x-1.dist-info/METADATA': 'Name: x\nVersion: 1\nRequires-Dist: y\n',
        'y-1.dist-info/METADATA': 'Name: y\nVersion: 1\nRequires-Dist: x\n',
        'z-1.dist-info/METADATA': 'Name: z\nVersion: 1\nRequires-Dist: z\n',
      }),
    );
    expect(renderText(viewOf(graph, { reverse: false, packages: [] }))).toBe(
      [
        'x==1',
        '└── y [required: Any, installed: 1]',
        '    └── x [required: Any, installed: 1] (cycle)',
        'z==1',
        '└── z [required: Any, installed: 1] (cycle)',
        '',
      ].join('\n'),
    );
    expect(cyclesOf(graph)).toEqual([
      ['x', 'y', 'x'],
      ['z', 'z'],
    ]);
  });

  it('stops a tree that grows exponentially', async () => {
    // 24 layers of two packages that each require both packages of the next layer: 2^24 paths.
    const files: Record<string, string> = {};
    for (let layer = 0; layer < 24; layer++)
      for (const side of ['a', 'b']) {
        const requires = layer === 23 ? '' : `Requires-Dist: a${layer + 1}\nRequires-Dist: b${layer + 1}\n`;
        files[`${side}${layer}-1.dist-info/METADATA`] = `Name: ${side}${layer}\nVersion: 1\n${requires}`;
      }
    const graph = await loadGraph(await environment(files));
    const text = renderText(viewOf(graph, { reverse: false, packages: [] }), 1000);
    expect(text.split('\n')).toHaveLength(1002);
    expect(text).toMatch(/… stopped after 1000 lines; narrow the tree with --package or --depth\n$/);
  });

  it('renders JSON with pipdeptree fields, marks and problems', async () => {
    const graph = await loadGraph(VENV);
    graph.nodes.get('urllib3')?.marks.push({ kind: 'vulnerable', label: 'PYSEC-2024-0' });
    const json = JSON.parse(
      renderJson(viewOf(graph, { reverse: false, packages: [] }), problemsOf(graph)),
    ) as {
      packages: {
        package: { key: string; marks: unknown[] };
        dependencies: { key: string; required_version: string | null; status: string }[];
        required_by: string[];
      }[];
      conflicts: unknown[];
      cycles: string[][];
    };
    expect(json.packages).toHaveLength(10);
    const urllib3 = json.packages.find((entry) => entry.package.key === 'urllib3');
    expect(urllib3?.package.marks).toEqual([{ kind: 'vulnerable', label: 'PYSEC-2024-0' }]);
    expect(urllib3?.required_by).toEqual(['requests']);
    expect(json.conflicts).toEqual([
      { from: 'requests', to: 'charset-normalizer', required: '<4,>=2', status: 'conflict' },
    ]);
    expect(json.cycles).toEqual([['alpha', 'beta', 'alpha']]);
  });

  it('renders DOT and Mermaid with escaped labels, missing nodes dashed and problem edges marked', async () => {
    const graph = await loadGraph(VENV);
    graph.nodes.get('idna')?.marks.push({ kind: 'vulnerable', label: 'GHSA-"x"' });
    const view = viewOf(graph, { reverse: false, packages: ['app'], depth: 2 });
    const dot = renderDot(view);
    expect(dot).toContain('"gone" [label="gone\\n(missing)", style=dashed];');
    expect(dot).toContain('"idna" [label="idna\\n3.6\\nvulnerable: GHSA-\\"x\\"", color=red];');
    expect(dot).toContain('"requests" -> "charset-normalizer" [label="<4,>=2", color=red];');
    const mermaid = renderMermaid(view);
    expect(mermaid.split('\n')[0]).toBe('flowchart TD');
    expect(mermaid).toMatch(/p\d+\["gone \(missing\)"\]:::missing/);
    expect(mermaid).toContain('["idna<br/>3.6<br/>vulnerable: GHSA-#quot;x#quot;"]:::marked');
    expect(mermaid).toMatch(/p\d+ -\.->\|"#lt;4,#gt;=2"\| p\d+/);
    const reverse = renderDot(viewOf(graph, { reverse: true, packages: ['idna'] }));
    expect(reverse).toContain('"idna" -> "requests" [label="<4,>=2.5"];');
  });

  it('lists an unreadable distribution and still shows the rest', async () => {
    const graph = await loadGraph(
      await environment({
        'good-1.dist-info/METADATA': 'Name: good\nVersion: 1\n',
        'bad-1.dist-info/METADATA': 'Name: bad\nVersion: 1\nRequires-Dist: ??\n',
        'empty-1.dist-info/RECORD': '',
      }),
    );
    expect([...graph.nodes.keys()]).toEqual(['good']);
    expect(graph.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/bad-1\.dist-info\/METADATA:3: expected a distribution name/),
      expect.stringMatching(/ENOENT/),
    ]);
  });

  it('refuses a folder without distributions', async () => {
    await expect(loadGraph(await mkdtemp(join(tmpdir(), 'mlsec-graph-')))).rejects.toThrow(UsageError);
  });
});

describe('the lock-file graph', () => {
  it('builds edges from recorded dependencies and reports what the lock lacks', async () => {
    const graph = await loadGraph(join(REPO, 'test/fixtures/deps/env/lock/poetry.lock'));
    expect(graph.kind).toBe('lock');
    expect(rootsOf(graph)).toEqual(['flask']);
    expect(problemsOf(graph).missing.map(({ from, to }) => [from, to])).toEqual([
      ['flask', 'blinker'],
      ['click', 'colorama'],
    ]);
    expect(renderText(viewOf(graph, { reverse: true, packages: ['markupsafe'] }))).toBe(
      [
        'markupsafe==2.1.5',
        '└── werkzeug==3.0.1 [requires: markupsafe]',
        '    └── flask==3.0.2 [requires: werkzeug]',
        '',
      ].join('\n'),
    );
  });

  it('reads the real privateGPT poetry.lock through the registered parser', async () => {
    const parser = PARSERS['poetry-lock'];
    if (parser === undefined) throw new Error('poetry.lock parser not registered');
    const path = '../shared/corpora/real-manifests/privategpt__poetry.lock';
    const graph = manifestGraph(await parser(await readManifestInput(resolve(REPO, path), 'poetry.lock')));
    expect(graph.nodes.size).toBeGreaterThan(100);
    const edges = [...graph.edges.values()].flat();
    expect(edges.length).toBeGreaterThan(graph.nodes.size);
    // Poetry locks every platform's packages, so every recorded dependency is in the lock.
    expect(problemsOf(graph).missing.length / edges.length).toBeLessThan(0.02);
  });
});

describe.runIf(existsSync(DEBIAN))("Debian's real dist-packages (read-only)", () => {
  it('reads every distribution without errors, finds numpy, in well under a second', async () => {
    const started = performance.now();
    const graph = await loadGraph(DEBIAN);
    const elapsed = performance.now() - started;
    expect(graph.errors).toEqual([]);
    expect(graph.nodes.size).toBeGreaterThan(50);
    expect(graph.nodes.get('numpy')?.version).toMatch(/^\d+\.\d+/);
    renderText(viewOf(graph, { reverse: false, packages: [] }));
    renderJson(viewOf(graph, { reverse: true, packages: [] }), problemsOf(graph));
    console.log(
      `dist-packages: ${graph.nodes.size} distributions, ${problemsOf(graph).conflicts.length} conflicts, ${elapsed.toFixed(0)} ms`,
    );
    expect(elapsed).toBeLessThan(5_000);
  });
});

/**
 * The reference: Python's own importlib.metadata and packaging read the same folder (metadata only: no package is
 * imported). Its requirement lists are evaluated for the running interpreter; ours keep a requirement whose marker
 * may hold on another platform, so each package's reference list must lie between our unconditional and all edges.
 */
const REFERENCE = `
import json, re, sys, importlib.metadata as md
from packaging.requirements import Requirement
key = lambda name: re.sub(r'[-_.]+', '-', name).lower()
out = {}
for dist in md.distributions(path=[sys.argv[1]]):
    requires = [Requirement(text) for text in (dist.requires or [])]
    names = sorted({key(r.name) for r in requires if r.marker is None or r.marker.evaluate({'extra': ''})})
    out.setdefault(key(dist.metadata['Name']), {'version': dist.version, 'requires': names})
print(json.dumps(out))
`;

describe.runIf(existsSync(DEBIAN) && existsSync('/usr/bin/python3'))(
  'agreement with importlib.metadata',
  () => {
    it('finds the same distributions, versions and requirements in dist-packages', async () => {
      const run = spawnSync('/usr/bin/python3', ['-I', '-c', REFERENCE, DEBIAN], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const reference = JSON.parse(run.stdout) as Record<string, { version: string; requires: string[] }>;
      const graph = await loadGraph(DEBIAN);
      expect([...graph.nodes.keys()].sort()).toEqual(Object.keys(reference).sort());
      for (const [key, node] of graph.nodes) {
        const expected = reference[key];
        expect(node.version, key).toBe(expected?.version);
        const edges = graph.edges.get(key) ?? [];
        const all = new Set(edges.map((edge) => edge.to));
        const unconditional = edges.filter((edge) => edge.markerText === undefined).map((edge) => edge.to);
        for (const name of expected?.requires ?? [])
          expect(all.has(name), `${key} requires ${name}`).toBe(true);
        for (const name of unconditional) expect(expected?.requires, key).toContain(name);
      }
    });
  },
);

/** A throwaway site-packages folder from file texts. */
async function environment(files: Readonly<Record<string, string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mlsec-graph-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
