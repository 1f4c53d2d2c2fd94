import { chmod, mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { walk } from './walk.js';

async function tree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mlsec-walk-'));
  for (const name of [
    'corpus/a/b.pkl',
    'corpus/a/c.bin',
    'corpus/.git/objects/x',
    'corpus/legacy/old.pkl',
    'corpus/z.npy',
  ]) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), 'x');
  }
  await symlink(join(root, 'corpus/a/b.pkl'), join(root, 'corpus/link.pkl'));
  await symlink(join(root, 'corpus'), join(root, 'corpus/a/loop'));
  return root;
}

describe('walk', () => {
  it('lists files as reached from the argument, sorted, pruning excluded directories and not following directory links', async () => {
    const root = await tree();
    const { files } = await walk([join(root, 'corpus')], {
      root,
      include: [],
      exclude: ['**/.git/**', 'corpus/legacy/**'],
    });
    expect(files.map((file) => file.displayPath.slice(root.length + 1))).toEqual([
      'corpus/a/b.pkl',
      'corpus/a/c.bin',
      'corpus/link.pkl',
      'corpus/z.npy',
    ]);
  });

  it('keeps relative display paths relative and applies include globs', async () => {
    const root = await tree();
    const previous = process.cwd();
    process.chdir(root);
    try {
      const { files } = await walk(['corpus'], { root, include: ['**/*.pkl'], exclude: ['**/.git/**'] });
      expect(files.map((file) => file.displayPath)).toEqual([
        'corpus/a/b.pkl',
        'corpus/legacy/old.pkl',
        'corpus/link.pkl',
      ]);
    } finally {
      process.chdir(previous);
    }
  });

  it('warns about a directory it cannot list and goes on with the rest', async () => {
    const root = await tree();
    await mkdir(join(root, 'corpus/locked'));
    await writeFile(join(root, 'corpus/locked/hidden.pkl'), 'x');
    await chmod(join(root, 'corpus/locked'), 0o000);
    try {
      // Root can list anything, so only check the warning path where permissions apply.
      const { files, warnings } = await walk([join(root, 'corpus')], {
        root,
        include: [],
        exclude: ['**/.git/**'],
      });
      expect(files.length).toBeGreaterThan(0);
      if (process.getuid?.() !== 0) {
        expect(warnings).toEqual([expect.stringContaining('corpus/locked')]);
        expect(files.map((file) => file.displayPath)).not.toContainEqual(
          expect.stringContaining('hidden.pkl'),
        );
      }
    } finally {
      await chmod(join(root, 'corpus/locked'), 0o755);
    }
  });

  it('marks files below a site-packages or dist-packages folder as installed, unless the argument is that folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlsec-walk-'));
    for (const name of [
      'project/train.py',
      'project/.venv/lib/python3.11/site-packages/evil/__init__.py',
      'project/.venv/lib/python3.11/site-packages/evil_init.pth',
      'dist-packages/sympy/core.py',
    ]) {
      await mkdir(join(root, name, '..'), { recursive: true });
      await writeFile(join(root, name), 'x');
    }
    const filter = { root, include: [], exclude: [] };
    const project = await walk([join(root, 'project')], filter);
    expect(
      project.files.map((file) => [file.displayPath.slice(root.length + 1), file.installed ?? false]),
    ).toEqual([
      ['project/.venv/lib/python3.11/site-packages/evil/__init__.py', true],
      ['project/.venv/lib/python3.11/site-packages/evil_init.pth', true],
      ['project/train.py', false],
    ]);
    const explicit = await walk([join(root, 'dist-packages')], filter);
    expect(explicit.files.map((file) => file.installed ?? false)).toEqual([false]);
  });

  it('reports a missing path as a usage error', async () => {
    const error = await walk(['/nonexistent/path'], { root: '/', include: [], exclude: [] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('USAGE_PATH_NOT_FOUND');
  });
});
