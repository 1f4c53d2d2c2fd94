import { normalizeName } from '../deps/pep508/parse.js';

/**
 * `.pth` files that packaging tools write on purpose, recognised by file name, content and the distribution
 * that must own them. Only an owned, unmodified copy is benign (the caller checks ownership and the RECORD hash);
 * a recognised template owned by anyone else, or not at all, is judged like any other `.pth`.
 */
export interface BenignTemplate {
  /** What wrote the file, for the inventory. */
  readonly label: string;
  /** The normalized name of the distribution that must own the file. */
  readonly owner: string;
  /**
   * The tool that wrote the file never listed it in a RECORD (easy_install predates RECORD files), so having no
   * owner is normal; a RECORD that lists it with another hash still makes it tampered.
   */
  readonly unowned?: true;
}

/** setuptools' `distutils-precedence.pth`; the default is `'local'` in new versions, `'stdlib'` in 3.8/3.9-era copies. */
const DISTUTILS_PRECEDENCE =
  /^import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os\.environ\.get\(var, '(?:local|stdlib)'\) == 'local'; enabled and __import__\('_distutils_hack'\)\.add_shim\(\); ?$/;

/** setuptools' namespace-package template (`setuptools/namespaces.py`), with names and path tuples abstracted. */
const NSPKG_LINE =
  "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join(sys._getframe(1).f_locals['S'], *(T));importlib = has_mfs and __import__('S');has_mfs and __import__('S');m = has_mfs and sys.modules.setdefault('S', importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec('S', [os.path.dirname(p)])));m = m or sys.modules.setdefault('S', types.ModuleType('S'));mp = (m or []) and m.__dict__.setdefault('S',[]);(p not in mp) and mp.append(p)";
const NSPKG_CHILD = ";m and setattr(sys.modules['S'], 'S', m)";

function abstractNspkg(line: string): string {
  return line
    .trimEnd()
    .replace(/'[\w.]*'/g, "'S'")
    .replace(/\('S'(?:,\)|(?:, 'S')+\))/g, '(T)');
}

function isNspkgLine(line: string): boolean {
  const abstract = abstractNspkg(line);
  return abstract === NSPKG_LINE || abstract === NSPKG_LINE + NSPKG_CHILD;
}

/** The two lines setuptools' `easy_install` wrote around the egg paths of `easy-install.pth`. */
const EASY_INSTALL_LINES = new Set([
  'import sys; sys.__plen = len(sys.path)',
  "import sys; new = sys.path[sys.__plen:]; del sys.path[sys.__plen:]; p = getattr(sys, '__egginsert', 0); sys.path[p:p] = new; sys.__egginsert = p + len(new)",
]);

/**
 * The template a `.pth` file follows, given its name and its executable lines (path lines never execute and need
 * no allowance). Undefined when the file is not one of the known templates.
 */
export function benignTemplate(name: string, execLines: readonly string[]): BenignTemplate | undefined {
  const all = (test: (line: string) => boolean): boolean => execLines.length > 0 && execLines.every(test);
  const trimmed = (line: string): string => line.trimEnd();
  if (name === 'distutils-precedence.pth' && all((line) => DISTUTILS_PRECEDENCE.test(trimmed(line))))
    return { label: "setuptools' distutils shim", owner: 'setuptools' };
  if (name === '_virtualenv.pth' && all((line) => trimmed(line) === 'import _virtualenv'))
    return { label: "virtualenv's startup patch", owner: 'virtualenv' };
  const editable = /^__editable__\.(.+)-([^-]+)\.pth$/.exec(name);
  if (editable !== null) {
    const [, dist = '', version = ''] = editable;
    const finder = `__editable___${dist}_${version.replace(/\W/g, '_')}_finder`;
    if (all((line) => trimmed(line) === `import ${finder}; ${finder}.install()`))
      return { label: 'PEP 660 editable install', owner: normalizeName(dist) };
  }
  const nspkg = /^(.+?)-[^-]+-nspkg\.pth$/.exec(name) ?? /^(.+)-nspkg\.pth$/.exec(name);
  if (nspkg !== null && all(isNspkgLine))
    return { label: 'setuptools namespace package', owner: normalizeName(nspkg[1] ?? '') };
  if (name === 'pytest-cov.pth' || name === 'init_cov_core.pth')
    return { label: "pytest-cov's subprocess coverage hook", owner: 'pytest-cov' };
  if (all((line) => /^import coverage; ?coverage\.process_startup\(\)$/.test(trimmed(line))))
    return { label: "coverage's subprocess measurement", owner: 'coverage' };
  if (name === 'easy-install.pth' && all((line) => EASY_INSTALL_LINES.has(trimmed(line))))
    return { label: "setuptools' legacy easy_install path list", owner: 'setuptools', unowned: true };
  if (name === 'pywin32.pth') return { label: "pywin32's DLL bootstrap", owner: 'pywin32' };
  return undefined;
}
