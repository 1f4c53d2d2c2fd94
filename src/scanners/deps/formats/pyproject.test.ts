import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePyprojectText } from './pyproject.js';

const REAL = resolve(import.meta.dirname, '../../../../../shared/corpora/real-manifests');

const PEP621 = `[project]
name = "vision-trainer"
dependencies = [
    "torch==2.4.0",
    "Pillow>=10.4",
    "tokenizers @ git+https://github.com/huggingface/tokenizers.git@v0.19.1#subdirectory=bindings/python",
    "numpy",
]

[project.optional-dependencies]
Tracking = ["mlflow-skinny[databricks]>=2.15; python_version >= '3.10'"]

[dependency-groups]
lint = ["ruff>=0.5"]
dev = [{include-group = "lint"}, "pytest>=8"]
`;

describe('PEP 621 and PEP 735', () => {
  const manifest = parsePyprojectText('pyproject.toml', PEP621);

  it('reads dependencies, extras and groups with scope, pin kind and line', () => {
    expect(
      manifest.components.map((component) => [
        component.normalizedName,
        component.scope,
        component.pin,
        component.version,
        component.origin.line,
      ]),
    ).toEqual([
      ['torch', 'main', 'exact', '2.4.0', 4],
      ['pillow', 'main', 'range', undefined, 5],
      ['tokenizers', 'main', 'vcs', undefined, 6],
      ['numpy', 'main', 'unpinned', undefined, 7],
      ['mlflow-skinny', 'tracking', 'range', undefined, 11],
      ['ruff', 'lint', 'range', undefined, 14],
      ['pytest', 'dev', 'range', undefined, 15],
    ]);
    expect(manifest.components[4]).toMatchObject({
      extras: ['databricks'],
      markerText: "python_version >= '3.10'",
    });
    expect(manifest.components.every((component) => component.direct)).toBe(true);
    expect(manifest).toMatchObject({ format: 'pyproject', lock: false, indexes: [], indexPins: [] });
  });

  it('reads an empty file and a project without dependencies as no components', () => {
    expect(parsePyprojectText('pyproject.toml', '').components).toEqual([]);
    expect(
      parsePyprojectText('pyproject.toml', '[project]\nname = "x"\ndynamic = ["dependencies"]\n').components,
    ).toEqual([]);
  });

  it('fails closed on an unknown or circular include-group and a bad requirement, with file and line', () => {
    expect(() =>
      parsePyprojectText('p/pyproject.toml', '[dependency-groups]\ndev = [{include-group = "tests"}]\n'),
    ).toThrow(/p\/pyproject\.toml:2: dependency group "dev" includes unknown group "tests"/);
    expect(() =>
      parsePyprojectText(
        'pyproject.toml',
        '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n',
      ),
    ).toThrow(/includes itself/);
    expect(() =>
      parsePyprojectText('pyproject.toml', '[project]\ndependencies = [\n  "torch >= ",\n]\n'),
    ).toThrow(/pyproject\.toml:3: "torch >= ": .*expected a version/);
  });

  it('turns TOML syntax errors into a ParseError with line and column', () => {
    expect(() =>
      parsePyprojectText('pyproject.toml', '[project]\nname = "x"\ndependencies = [\n  "a",\n  = \n'),
    ).toThrow(/^pyproject\.toml:5:\d+: invalid TOML/);
    expect(() => parsePyprojectText('pyproject.toml', '[project]\ndependencies = "torch"\n')).toThrow(
      /"dependencies" must be an array/,
    );
  });
});

const POETRY = `[tool.poetry]
name = "churn"

[tool.poetry.dependencies]
python = "^3.10"
numpy = "^1.26"
acme-features = { version = "2.4.1", source = "acme" }
shap = { version = "^0.45", optional = true }

[tool.poetry.group."test".dependencies]
pytest = "*"

[tool.poetry.extras]
explain = ["shap"]

[[tool.poetry.source]]
name = "acme"
url = "https://pypi.acme.example/simple/"
priority = "supplemental"

[[tool.poetry.source]]
name = "PyPI"
priority = "primary"

[tool.uv.sources]
torch = [
  { index = "pytorch", marker = "sys_platform == 'linux'" },
]

[[tool.uv.index]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cu121"
explicit = true
`;

describe('Poetry and uv tables', () => {
  const manifest = parsePyprojectText('pyproject.toml', POETRY);

  it('converts Poetry constraints, skips python, and scopes optional packages by their extra', () => {
    expect(
      manifest.components.map((component) => [
        component.name,
        component.scope,
        component.pin,
        component.origin.line,
      ]),
    ).toEqual([
      ['numpy', 'main', 'range', 6],
      ['acme-features', 'main', 'exact', 7],
      ['shap', 'explain', 'range', 8],
      ['pytest', 'test', 'unpinned', 11],
    ]);
    expect(manifest.components[1]).toMatchObject({
      version: '2.4.1',
      index: 'https://pypi.acme.example/simple/',
    });
  });

  it('reads sources with their priority and the per-package index pins', () => {
    expect(manifest.indexes.map((index) => [index.name, index.kind, index.url, index.origin.line])).toEqual([
      ['acme', 'extra', 'https://pypi.acme.example/simple/', 16],
      ['PyPI', 'primary', 'https://pypi.org/simple', 21],
      ['pytorch', 'explicit', 'https://download.pytorch.org/whl/cu121', 30],
    ]);
    expect(manifest.indexPins).toEqual([
      {
        packageName: 'acme-features',
        indexName: 'acme',
        url: 'https://pypi.acme.example/simple/',
        origin: { path: 'pyproject.toml', line: 7 },
      },
      {
        packageName: 'torch',
        indexName: 'pytorch',
        url: 'https://download.pytorch.org/whl/cu121',
        origin: { path: 'pyproject.toml', line: 26 },
      },
    ]);
  });

  it("reads uv's legacy index-url and extra-index-url, and pdm sources", () => {
    const other = parsePyprojectText(
      'pyproject.toml',
      `[tool.uv]
index-url = "https://nexus.acme.example/simple"
extra-index-url = ["https://download.pytorch.org/whl/cpu"]

[[tool.pdm.source]]
name = "internal"
url = "https://pypi.acme.example/simple"

[[tool.pdm.source]]
name = "wheels"
url = "https://wheels.acme.example/links/"
type = "find_links"
`,
    );
    expect(other.indexes.map((index) => [index.kind, index.url, index.origin.line])).toEqual([
      ['primary', 'https://nexus.acme.example/simple', 2],
      ['extra', 'https://download.pytorch.org/whl/cpu', 3],
      ['extra', 'https://pypi.acme.example/simple', 5],
      ['find-links', 'https://wheels.acme.example/links/', 9],
    ]);
  });

  it('reads a Poetry 2 entry for a [project] dependency as its index pin only', () => {
    const poetry2 = parsePyprojectText(
      'pyproject.toml',
      `[project]
dependencies = ["acme-auth>=1.8"]

[tool.poetry.dependencies]
acme-auth = { source = "acme" }

[[tool.poetry.source]]
name = "acme"
url = "https://pypi.acme.example/simple"
priority = "explicit"
`,
    );
    expect(poetry2.components.map((component) => [component.name, component.pin, component.index])).toEqual([
      ['acme-auth', 'range', 'https://pypi.acme.example/simple'],
    ]);
    expect(poetry2.indexPins).toEqual([
      expect.objectContaining({ packageName: 'acme-auth', indexName: 'acme' }),
    ]);
  });

  it('fails closed on an unknown source priority', () => {
    expect(() =>
      parsePyprojectText(
        'pyproject.toml',
        '[[tool.poetry.source]]\nname = "a"\nurl = "https://a.example/simple"\npriority = "first"\n',
      ),
    ).toThrow(/pyproject\.toml:1: unknown priority "first"/);
  });
});

describe('real spleeter pyproject.toml', () => {
  const manifest = parsePyprojectText(
    'pyproject.toml',
    readFileSync(`${REAL}/spleeter__pyproject.toml`, 'utf8'),
  );

  it('reads 14 main and 7 dev dependencies, python excluded', () => {
    expect(manifest.components).toHaveLength(21);
    expect(manifest.components.filter((component) => component.scope === 'dev')).toHaveLength(7);
    expect(manifest.components.some((component) => component.normalizedName === 'python')).toBe(false);
  });

  it('reads bare versions as exact pins and carets as ranges, never guessed', () => {
    const byName = (name: string) => manifest.components.find((component) => component.name === name);
    expect(byName('ffmpeg-python')).toMatchObject({ pin: 'exact', version: '0.2.0', origin: { line: 49 } });
    expect(byName('tensorflow')).toMatchObject({
      pin: 'range',
      specifiers: [
        { operator: '>=', version: '2.5.0' },
        { operator: '<', version: '3.0.0' },
      ],
    });
    expect(byName('tensorflow')?.version).toBeUndefined();
    expect(byName('httpx')).toMatchObject({ extras: ['http2'], origin: { line: 51 } });
    expect(byName('importlib-metadata')?.markerText).toBe('python_version < "3.8"');
    expect(byName('musdb')).toMatchObject({ scope: 'evaluation', pin: 'exact' });
  });
});
