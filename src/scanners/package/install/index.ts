import type { PackageArchive, PackageCheckContext } from '../model.js';
import { checkBuildBackend } from './build-backend.js';
import { checkPyprojectCmdclass, checkSetupCfgCmdclass } from './declared-cmdclass.js';
import { INSTALL_RULES as RULES } from './rules.js';
import { checkSetupPy } from './setup-py.js';

export const INSTALL_RULES = RULES;

/**
 * The install-time checks of an sdist (a wheel runs no code of its own when installed): command overrides in
 * `setup.py`, setup.cfg and `[tool.setuptools.cmdclass]` (PKG-INST-001), module-level actions of `setup.py` (PKG-INST-002),
 * and in-tree or shipped build backends in `pyproject.toml` (PKG-INST-003). Every install hook found is also
 * recorded as a capability for the risk score.
 */
export async function checkInstallHooks(
  archive: PackageArchive,
  context: PackageCheckContext,
): Promise<void> {
  if (archive.kind !== 'sdist') return;
  const setupPy = archive.kept.get('setup.py');
  if (setupPy !== undefined) await checkSetupPy(setupPy, context);
  const setupCfg = archive.kept.get('setup.cfg');
  if (setupCfg !== undefined) checkSetupCfgCmdclass(setupCfg, context);
  const pyproject = archive.kept.get('pyproject.toml');
  if (pyproject !== undefined) {
    checkBuildBackend(archive, pyproject, context);
    checkPyprojectCmdclass(pyproject, context);
  }
}
