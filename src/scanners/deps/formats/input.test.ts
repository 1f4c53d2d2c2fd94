import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../core/errors.js';
import { projectRootOf, readManifestInput } from './input.js';

/** A repository with a requirements folder, and a secret-looking file beside the repository. */
async function layout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mlsec-include-'));
  await mkdir(join(root, 'repo/.git'), { recursive: true });
  await mkdir(join(root, 'repo/requirements'), { recursive: true });
  await writeFile(join(root, 'repo/requirements/base.txt'), 'numpy==1.26.4\n');
  await writeFile(join(root, 'repo/requirements/dev.txt'), '-r base.txt\n');
  await writeFile(join(root, 'outside.txt'), 'API_KEY=not-for-scanners\n');
  await symlink(join(root, 'outside.txt'), join(root, 'repo/requirements/link.txt'));
  return root;
}

describe('includes', () => {
  it('stay inside the repository that holds the manifest', async () => {
    const root = await layout();
    const dev = join(root, 'repo/requirements/dev.txt');
    expect(projectRootOf(dev)).toBe(join(root, 'repo'));
    const input = await readManifestInput(dev, 'requirements/dev.txt');
    expect((await input.readInclude('base.txt')).text).toBe('numpy==1.26.4\n');
    await expect(input.readInclude('../../outside.txt')).rejects.toThrow(ParseError);
    await expect(input.readInclude(join(root, 'outside.txt'))).rejects.toThrow(/outside the project/);
    // A link inside the repository that points out of it is refused as well.
    await expect(input.readInclude('link.txt')).rejects.toThrow(/outside the project/);
  });

  it('stay in the manifest’s own folder when no repository is found', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlsec-include-'));
    await mkdir(join(root, 'app'), { recursive: true });
    await writeFile(join(root, 'app/requirements.txt'), '-r ../shared.txt\n');
    await writeFile(join(root, 'shared.txt'), 'torch==2.3.0\n');
    expect(projectRootOf(join(root, 'app/requirements.txt'))).toBe(join(root, 'app'));
    const input = await readManifestInput(join(root, 'app/requirements.txt'), 'app/requirements.txt');
    await expect(input.readInclude('../shared.txt')).rejects.toThrow(/outside the project/);
  });
});
