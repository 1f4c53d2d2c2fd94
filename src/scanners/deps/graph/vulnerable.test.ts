import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIndex } from '../osv/cache.js';
import { buildIndex } from '../osv/index.js';
import { recordOf, type OsvRecord } from '../osv/schema.js';
import { pathFromDirect, problemsOf } from './analyze.js';
import { loadGraph } from './load.js';
import { renderJson, renderText } from './render.js';
import { viewOf } from './view.js';
import { markVulnerable, renderVulnerablePaths } from './vulnerable.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const SHARED_DB = join(REPO, '../shared/data/pypa-advisory-db.osv.jsonl');

function record(
  id: string,
  name: string,
  events: Record<string, string>[],
  aliases: string[] = [],
): OsvRecord {
  return recordOf({
    id,
    modified: '2024-01-01T00:00:00Z',
    aliases,
    affected: [{ package: { name, ecosystem: 'PyPI' }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  });
}

async function environment(files: Readonly<Record<string, string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mlsec-vulngraph-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('vulnerable nodes in the dependency graph', () => {
  it('marks the fixture venv against the shared PyPA database', async () => {
    const graph = await loadGraph(join(REPO, 'test/fixtures/deps/env/venv'));
    markVulnerable(graph, await loadIndex(SHARED_DB, { cacheDir: false }));
    const marked = [...graph.nodes.values()].filter((node) => node.marks.length > 0);
    expect(marked.map((node) => [node.key, node.marks])).toEqual([
      [
        'idna',
        [
          {
            kind: 'vulnerable',
            label: 'PYSEC-2024-60',
            advisory: { id: 'PYSEC-2024-60', aliases: ['CVE-2024-3651'], fixed: ['3.7'] },
          },
        ],
      ],
    ]);
    expect(renderVulnerablePaths(graph, graph.nodes.keys())).toBe(
      'Vulnerable dependencies found:\n* idna 3.6 ← requests 2.31.0 ← app 1.0 (direct): PYSEC-2024-60\n',
    );
    // Only the shown nodes are summarised.
    expect(renderVulnerablePaths(graph, ['requests'])).toBe('');
  });

  it('prefers a path from a direct dependency, falls back to a top, and groups aliases', async () => {
    const graph = await loadGraph(
      await environment({
        'top-1.dist-info/METADATA': 'Name: top\nVersion: 1\nRequires-Dist: mid\n',
        'mine-1.dist-info/METADATA': 'Name: mine\nVersion: 1\nRequires-Dist: x\nRequires-Dist: y\n',
        'mine-1.dist-info/REQUESTED': '',
        'mid-1.dist-info/METADATA': 'Name: mid\nVersion: 1\nRequires-Dist: lib\n',
        'x-1.dist-info/METADATA': 'Name: x\nVersion: 1\nRequires-Dist: z\n',
        'y-1.dist-info/METADATA': 'Name: y\nVersion: 1\n',
        'z-1.dist-info/METADATA': 'Name: z\nVersion: 1\nRequires-Dist: lib\n',
        'lib-2.0.dist-info/METADATA': 'Name: lib\nVersion: 2.0\n',
        'bad-0.1.dist-info/METADATA': 'Name: bad\nVersion: 0.1\n',
      }),
    );
    const index = buildIndex(
      [
        record('PYSEC-1', 'lib', [{ introduced: '0' }, { fixed: '2.1' }], ['CVE-1']),
        record('GHSA-aaaa', 'lib', [{ introduced: '1.0' }, { fixed: '2.2' }], ['CVE-1']),
        record('PYSEC-2', 'lib', [{ introduced: '0' }, { last_affected: '2.0' }]),
        record('MAL-1', 'bad', [{ introduced: '0' }]),
        record('PYSEC-3', 'y', [{ introduced: '0' }, { fixed: '1' }]),
      ],
      'test',
    );
    markVulnerable(graph, index);
    expect(
      graph.nodes.get('lib')?.marks.map((mark) => [mark.kind, mark.label, mark.advisory?.fixed]),
    ).toEqual([
      ['vulnerable', 'GHSA-aaaa', ['2.1', '2.2']],
      ['vulnerable', 'PYSEC-2', []],
    ]);
    expect(graph.nodes.get('y')?.marks).toEqual([]);
    // lib is one step closer to the top `top`, but `mine` is what the user asked for.
    expect(pathFromDirect(graph, 'lib')).toEqual(['mine', 'x', 'z', 'lib']);
    expect(pathFromDirect(graph, 'mid')).toEqual(['top', 'mid']);
    expect(renderVulnerablePaths(graph, graph.nodes.keys())).toBe(
      [
        'Vulnerable dependencies found:',
        '* bad 0.1 (top level): MAL-1',
        '* lib 2.0 ← z 1 ← x 1 ← mine 1 (direct): GHSA-aaaa, PYSEC-2',
        '',
      ].join('\n'),
    );
    const text = renderText(viewOf(graph, { reverse: false, packages: ['bad', 'z'] }));
    expect(text).toBe(
      [
        'bad==0.1 [malicious: MAL-1]',
        'z==1',
        '└── lib [vulnerable: GHSA-aaaa, PYSEC-2] [required: Any, installed: 2.0]',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(
      renderJson(viewOf(graph, { reverse: false, packages: [] }), problemsOf(graph)),
    ) as {
      packages: { package: { key: string; vulnerabilities: unknown[]; dependency_path?: string[] } }[];
    };
    const bad = json.packages.find((entry) => entry.package.key === 'bad')?.package;
    expect(bad?.vulnerabilities).toEqual([{ id: 'MAL-1', aliases: [], fixed: [], malicious: true }]);
    expect(bad?.dependency_path).toEqual(['bad']);
  });

  it('shows at most five ids per kind in the tree', async () => {
    const graph = await loadGraph(
      await environment({ 'old-1.0.dist-info/METADATA': 'Name: old\nVersion: 1.0\n' }),
    );
    const records = Array.from({ length: 7 }, (_, n) =>
      record(`PYSEC-${n}`, 'old', [{ introduced: '0' }, { fixed: '2' }]),
    );
    markVulnerable(graph, buildIndex(records, 'test'));
    expect(renderText(viewOf(graph, { reverse: false, packages: [] }))).toBe(
      'old==1.0 [vulnerable: PYSEC-0, PYSEC-1, PYSEC-2, PYSEC-3, PYSEC-4 (+2 more)]\n',
    );
    expect(renderVulnerablePaths(graph, ['old'])).toContain('PYSEC-5, PYSEC-6');
  });

  // A poetry.lock alone does not say which packages the project declares: the path starts at a top.
  it('marks a lock file graph by its locked versions', async () => {
    const graph = await loadGraph(join(REPO, 'test/fixtures/deps/env/lock/poetry.lock'));
    markVulnerable(
      graph,
      buildIndex([record('PYSEC-9', 'MarkupSafe', [{ introduced: '2.0' }, { fixed: '2.2' }])], 'test'),
    );
    expect(renderVulnerablePaths(graph, graph.nodes.keys())).toBe(
      'Vulnerable dependencies found:\n* markupsafe 2.1.5 ← werkzeug 3.0.1 ← flask 3.0.2 (top level): PYSEC-9\n',
    );
  });
});
