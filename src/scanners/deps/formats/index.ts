import { posix } from 'node:path';
import type { Manifest } from '../model.js';
import { parseConda } from './conda.js';
import type { ManifestInput } from './input.js';
import { parseInstalled } from './installed.js';
import { parsePdmLock } from './pdm-lock.js';
import { parsePipfile, parsePipfileLock } from './pipfile.js';
import { parsePoetryLock } from './poetry-lock.js';
import { parsePylock } from './pylock.js';
import { parsePyproject } from './pyproject.js';
import { parseRequirements } from './requirements.js';
import { parseSetupCfg } from './setup-cfg.js';
import { parseUvLock } from './uv-lock.js';

/** The dependency file formats mlsec reads, named as in `Manifest.format`. */
export type ManifestFormat =
  | 'requirements'
  | 'pyproject'
  | 'poetry-lock'
  | 'pipfile'
  | 'pipfile-lock'
  | 'uv-lock'
  | 'pdm-lock'
  | 'pylock'
  | 'conda'
  | 'setup-cfg'
  | 'dist-info'
  | 'egg-info';

export type ManifestParser = (input: ManifestInput) => Promise<Manifest>;

const EXACT_NAMES: Readonly<Record<string, ManifestFormat>> = {
  'pyproject.toml': 'pyproject',
  'poetry.lock': 'poetry-lock',
  Pipfile: 'pipfile',
  'Pipfile.lock': 'pipfile-lock',
  'uv.lock': 'uv-lock',
  'pdm.lock': 'pdm-lock',
  'pylock.toml': 'pylock',
  'setup.cfg': 'setup-cfg',
  'conda.yaml': 'conda',
  'conda.yml': 'conda',
};

/** `requirements.txt`, `requirements-dev.in`, `dev-requirements.txt`, `constraints.txt`. */
const REQUIREMENTS_NAME = /^(?:.*[-_.])?(?:requirements?|constraints)(?:[-_.].*)?\.(?:txt|in)$/i;
/** PEP 751 names a lock for one purpose `pylock.<name>.toml`. */
const PYLOCK_NAME = /^pylock\.[^./]+\.toml$/;
/** Conda environment files: `environment.yml`, `environment-gpu.yaml`. */
const CONDA_NAME = /^environment(?:[-_.][^/]*)?\.ya?ml$/i;

/**
 * The format of a dependency file, from its path alone (`/` separators). Text files in a `requirements/` folder
 * (`requirements/base.txt`, `requirements/dev.in`) are requirement files too; installed metadata is recognised by
 * its folder (`foo-1.0.dist-info/METADATA`, `foo.egg-info/PKG-INFO`).
 */
export function manifestFormatOf(path: string): ManifestFormat | undefined {
  const name = posix.basename(path);
  const folder = posix.basename(posix.dirname(path));
  const exact = EXACT_NAMES[name];
  if (exact !== undefined) return exact;
  if (REQUIREMENTS_NAME.test(name) || (/^requirements$/i.test(folder) && /\.(?:txt|in)$/i.test(name)))
    return 'requirements';
  if (PYLOCK_NAME.test(name)) return 'pylock';
  if (CONDA_NAME.test(name)) return 'conda';
  if (name === 'METADATA' && folder.endsWith('.dist-info')) return 'dist-info';
  if (name === 'PKG-INFO' && folder.endsWith('.egg-info')) return 'egg-info';
  return undefined;
}

/** The parser of each format. */
export const PARSERS: Partial<Record<ManifestFormat, ManifestParser>> = {
  requirements: parseRequirements,
  pyproject: parsePyproject,
  'poetry-lock': parsePoetryLock,
  pipfile: parsePipfile,
  'pipfile-lock': parsePipfileLock,
  'uv-lock': parseUvLock,
  'pdm-lock': parsePdmLock,
  pylock: parsePylock,
  conda: parseConda,
  'setup-cfg': parseSetupCfg,
  'dist-info': parseInstalled,
  'egg-info': parseInstalled,
};
