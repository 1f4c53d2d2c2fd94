import { describe, expect, it } from 'vitest';
import { parsePoetryLock } from './poetry-lock.js';
import { parsePyprojectText } from './pyproject.js';
import { parseToml, TomlLines } from './toml.js';

describe('parseToml', () => {
  it('refuses hostile nesting with a ParseError instead of recursing', () => {
    expect(() => parseToml(`a = ${'['.repeat(100_000)}`, 'uv.lock')).toThrow(
      /^uv\.lock:1:\d+: invalid TOML: .*nested/,
    );
    expect(() => parseToml(`a = ${'{b='.repeat(10_000)}`, 'uv.lock')).toThrow(/invalid TOML/);
  });

  it('rejects duplicate keys, as TOML requires', () => {
    expect(() => parseToml('[packages]\nnumpy = "*"\nnumpy = "==1.0"\n', 'Pipfile')).toThrow(
      /^Pipfile:3:\d+: invalid TOML/,
    );
  });

  it('keeps keys such as __proto__ and constructor as plain package names', () => {
    const manifest = parsePyprojectText(
      'pyproject.toml',
      '[tool.poetry.dependencies]\n__proto__ = "1.0"\nconstructor = "^2"\n',
    );
    expect(manifest.components.map((component) => component.name)).toEqual(['__proto__', 'constructor']);
  });
});

describe('TomlLines', () => {
  const lines = new TomlLines(
    '# c\n[tool . "poetry".dependencies]  # deps\n"numpy" = "*"\ntorch.version = "2"\n\n[[package]]\nname = "a"\n[[package]]\n  name = "b"\n',
  );

  it('finds headers whatever their quoting and spacing, and keys inside their table only', () => {
    expect(lines.headerLines('tool.poetry.dependencies')).toEqual([2]);
    expect(lines.headerLines('package')).toEqual([6, 8]);
    expect(lines.keyLine(2, 'numpy')).toBe(3);
    expect(lines.keyLine(6, 'name')).toBe(7);
    expect(lines.keyLine(8, 'name')).toBe(9);
    expect(lines.keyLine(2, 'name')).toBeUndefined();
    expect(lines.keyLine(undefined, 'name')).toBeUndefined();
  });
});

describe('bounded work', () => {
  it('reads a 20,000-package poetry.lock in linear time', async () => {
    const packages = Array.from(
      { length: 20_000 },
      (_, index) =>
        `[[package]]\nname = "pkg-${index}"\nversion = "1.0.${index}"\noptional = false\nfiles = [\n    {file = "pkg_${index}-1.0.${index}-py3-none-any.whl", hash = "sha256:${'ab'.repeat(32)}"},\n]\n\n[package.dependencies]\npkg-${index + 1} = "*"\n`,
    );
    const text = `${packages.join('\n')}\n[metadata]\nlock-version = "2.0"\n`;
    const started = performance.now();
    const manifest = await parsePoetryLock({
      path: 'poetry.lock',
      absolutePath: '/p/poetry.lock',
      text,
      readInclude: () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
    });
    expect(manifest.components).toHaveLength(20_000);
    expect(manifest.components[19_999]?.origin.line).toBe(19_999 * 11 + 2);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
