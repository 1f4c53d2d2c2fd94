import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { readPackageArchive } from './archive.js';
import type { PackageArchive, PackageKind } from './model.js';

const DIST = resolve(import.meta.dirname, '../../../test/fixtures/package/dist');
const HOSTILE = resolve(import.meta.dirname, '../../../test/fixtures/package/hostile');
const noDeadline = (): void => undefined;

async function read(
  path: string,
  kind: PackageKind,
  limits = DEFAULT_LIMITS,
): Promise<{ archive: PackageArchive; modules: Map<string, string> }> {
  const modules = new Map<string, string>();
  const archive = await readPackageArchive(path, path.slice(path.lastIndexOf('/') + 1), kind, {
    limits,
    checkDeadline: noDeadline,
    onModule: (member, text) => {
      modules.set(member.path, text);
      return Promise.resolve();
    },
  });
  return { archive, modules };
}

describe('readPackageArchive on archives setuptools built', () => {
  it('reads an sdist: its top folder, its modules as they stream by, and the files the later checks need', async () => {
    const { archive, modules } = await read(`${DIST}/plainlib-1.4.2.tar.gz`, 'sdist');
    expect(archive.root).toBe('plainlib-1.4.2/');
    expect([...modules.keys()].sort()).toEqual([
      'plainlib/__init__.py',
      'plainlib/scaling.py',
      'plainlib/store.py',
      'setup.py',
    ]);
    expect(modules.get('setup.py')).toContain('long_description = handle.read()');
    expect([...archive.kept.keys()].sort()).toEqual([
      'PKG-INFO',
      'plainlib.egg-info/PKG-INFO',
      'setup.cfg',
      'setup.py',
    ]);
    expect(archive.kept.get('PKG-INFO')?.text).toContain('Name: plainlib');
    const store = archive.members.find((member) => member.path === 'plainlib/store.py');
    expect(store).toMatchObject({ name: 'plainlib-1.4.2/plainlib/store.py', type: 'file' });
  });

  it('reads a platform wheel: dist-info files kept, the extension module seen by its ELF magic only', async () => {
    const { archive, modules } = await read(`${DIST}/fastsum-0.3.1-cp311-cp311-linux_x86_64.whl`, 'wheel');
    expect(archive.root).toBe('');
    expect([...modules.keys()]).toEqual(['fastsum/__init__.py']);
    expect([...archive.kept.keys()].sort()).toEqual([
      'fastsum-0.3.1.dist-info/METADATA',
      'fastsum-0.3.1.dist-info/RECORD',
      'fastsum-0.3.1.dist-info/WHEEL',
    ]);
    const extension = archive.members.find((member) => member.path.endsWith('.so'));
    expect(extension?.size).toBeGreaterThan(1000);
    expect([...(extension?.head.subarray(0, 4) ?? [])]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(extension?.head.length).toBe(64);
  });
});

describe('readPackageArchive on hostile archives', () => {
  it('keeps link targets, devices and duplicate names of a tar for the structure checks', async () => {
    const { archive } = await read(`${HOSTILE}/slip-1.0.tar.gz`, 'sdist');
    const byName = new Map(archive.members.map((member) => [member.name, member]));
    expect(byName.get('slip-1.0/ssh')).toMatchObject({
      type: 'symlink',
      linkTarget: '../../../../home/user/.ssh',
    });
    expect(byName.get('slip-1.0/passwd')).toMatchObject({ type: 'hardlink', linkTarget: '/etc/passwd' });
    expect(byName.get('slip-1.0/pipe')?.type).toBe('other');
    expect(archive.members.filter((member) => member.name === 'slip-1.0/setup.py')).toHaveLength(2);
    // Members outside the top folder mean the archive has none to strip.
    expect(archive.root).toBe('');
  });

  it('reads a zip member that unzip restores as a symbolic link as a link, with its target', async () => {
    const { archive } = await read(`${HOSTILE}/slip-1.0-py3-none-any.whl`, 'wheel');
    expect(archive.members.find((member) => member.name === 'slip/config')).toMatchObject({
      type: 'symlink',
      linkTarget: '../../../../etc/passwd',
    });
  });

  it('refuses bombs by their declared ratio (zip) and by their output (gzip) before reading them out', async () => {
    await expect(read(`${HOSTILE}/bomb-1.0-py3-none-any.whl`, 'wheel')).rejects.toMatchObject({
      code: 'COMPRESSION_RATIO',
    });
    await expect(read(`${HOSTILE}/bomb-1.0.tar.gz`, 'sdist')).rejects.toMatchObject({
      code: 'COMPRESSION_RATIO',
    });
  });

  it('stops at the member limit and at text members too large to be real sources', async () => {
    await expect(
      read(`${DIST}/plainlib-1.4.2.tar.gz`, 'sdist', { ...DEFAULT_LIMITS, maxArchiveMembers: 3 }),
    ).rejects.toMatchObject({ code: 'MEMBER_COUNT' });
    await expect(
      read(`${DIST}/plainlib-1.4.2-py3-none-any.whl`, 'wheel', { ...DEFAULT_LIMITS, maxArchiveMembers: 3 }),
    ).rejects.toMatchObject({ code: 'MEMBER_COUNT' });
  });
});
