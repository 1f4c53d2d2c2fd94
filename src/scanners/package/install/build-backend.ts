import { posix } from 'node:path';
import { parseToml, stringAt, stringsAt, tableAt, TomlLines } from '../../deps/formats/toml.js';
import type { PackageArchive, PackageCheckContext, TextMember } from '../model.js';
import { PKG_INST_003 } from './rules.js';

/** The build backends of the common packaging tools, by module. */
const STANDARD_BACKENDS = new Set([
  'setuptools.build_meta',
  'setuptools.build_meta.__legacy__',
  'flit_core.buildapi',
  'flit.buildapi',
  'hatchling.build',
  'poetry.core.masonry.api',
  'poetry.masonry.api',
  'pdm.backend',
  'pdm.pep517.api',
  'maturin',
  'scikit_build_core.build',
  'mesonpy',
  'enscons.api',
  'sipbuild.api',
  'whey',
  'uv_build',
  'pbr.build',
  'jupyter_packaging.build_api',
]);

/** `a.b:obj` → `a.b`. */
function moduleOf(backend: string): string {
  return (backend.split(':')[0] ?? '').trim();
}

/** The archive paths a module would be imported from, below `folder` ('' for the project root). */
function moduleFiles(folder: string, module: string): string[] {
  const base = posix.join(folder, ...module.split('.'));
  return [`${base}.py`, `${base}/__init__.py`];
}

/** `..` or an absolute path: a backend path that leaves the project. */
function escapes(folder: string): boolean {
  if (posix.isAbsolute(folder) || /^[A-Za-z]:[\\/]/.test(folder) || folder.startsWith('\\')) return true;
  return posix.normalize(folder.replace(/\\/g, '/')).split('/')[0] === '..';
}

/** PKG-INST-003 over an sdist's `pyproject.toml`. */
export function checkBuildBackend(
  archive: PackageArchive,
  kept: TextMember,
  context: PackageCheckContext,
): void {
  const where = { path: kept.member.name };
  const table = parseToml(kept.text, kept.member.name);
  const buildSystem = tableAt(table, 'build-system', where);
  if (buildSystem === undefined) return;
  const backend = stringAt(buildSystem, 'build-backend', where);
  if (backend === undefined) return;
  const paths = stringsAt(buildSystem, 'backend-path', where);
  const lines = new TomlLines(kept.text);
  const header = lines.headerLines('build-system')[0];
  const backendLine = lines.keyLine(header, 'build-backend') ?? header;
  const pathLine = lines.keyLine(header, 'backend-path') ?? backendLine;
  const module = moduleOf(backend);
  const files = new Set(
    archive.members.filter((member) => member.type === 'file').map((member) => member.path),
  );
  const standard = STANDARD_BACKENDS.has(module);
  const report = (message: string, line: number | undefined, evidence: string, high: boolean): void => {
    context.report({
      ruleId: PKG_INST_003.id,
      message,
      member: kept.member.name,
      ...(line !== undefined && { line }),
      evidence,
      ...(high && { severity: 'high' }),
    });
  };
  if (paths.length > 0) {
    const evidence = `build-backend = ${JSON.stringify(backend)}, backend-path = ${JSON.stringify(paths)}`;
    const outside = paths.filter(escapes);
    if (outside.length > 0) {
      report(
        `pyproject.toml puts ${outside.map((path) => `\`${path}\``).join(', ')} outside the project on the build ` +
          `backend's import path: the build imports \`${module}\` from wherever that points.`,
        pathLine,
        evidence,
        true,
      );
      return;
    }
    const found = paths.flatMap((folder) => moduleFiles(folder, module)).find((path) => files.has(path));
    if (found === undefined) {
      if (standard) return;
      report(
        `pyproject.toml declares an in-tree build backend \`${module}\` (backend-path ${paths.join(', ')}), but the ` +
          'sdist has no such module: the build would import a module of that name from somewhere else.',
        backendLine,
        evidence,
        true,
      );
      return;
    }
    context.addCapability({ capability: 'install-hook', path: found, evidence });
    report(
      `pyproject.toml builds the package with \`${module}\`, shipped in the sdist as \`${found}\`` +
        `${standard ? ', in place of the standard backend of that name' : ''}: its code runs on every build and ` +
        'install from source.',
      backendLine,
      evidence,
      false,
    );
    return;
  }
  if (standard) return;
  const shipped = moduleFiles('', module).find((path) => files.has(path));
  if (shipped === undefined) return;
  context.addCapability({
    capability: 'install-hook',
    path: shipped,
    evidence: `build-backend = ${backend}`,
  });
  report(
    `pyproject.toml names the non-standard build backend \`${module}\`, and the sdist ships a module of that name ` +
      `(\`${shipped}\`): a build that finds it runs its code.`,
    backendLine,
    `build-backend = ${JSON.stringify(backend)}`,
    false,
  );
}
