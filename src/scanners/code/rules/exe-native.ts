import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type Argument, type CallSite, type CodeRule } from '../call-site.js';
import { constantOf, isLiteral, qualifiedNames } from '../resolve.js';
import type { Scope } from '../scopes.js';

export const PY_EXE_006 = defineRule({
  id: 'PY-EXE-006',
  domain: 'code',
  title: 'native library loaded from a non-literal path',
  description:
    '`ctypes.CDLL`/`PyDLL`/`WinDLL`/`OleDLL`, `ctypes.cdll.LoadLibrary` (and the other loaders), ' +
    '`numpy.ctypeslib.load_library` and `cffi.FFI().dlopen` map a shared library into the process, which runs ' +
    'its initialisers at once. A path that comes from a config, a download directory, a model folder or an ' +
    'argument lets whoever controls it run native code with no sandbox.',
  fix: 'Load only libraries shipped with the package, by a path anchored on the package (`Path(__file__).with_name("libops.so")`), or a system library by name (`ctypes.util.find_library("c")`); never load a library from a path read at run time.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-114', 'CWE-829'],
  owasp: [],
});

const CTYPES_LOADERS = ['CDLL', 'PyDLL', 'WinDLL', 'OleDLL'].map((loader) => `ctypes.${loader}`);
const CTYPES_LIBRARY_LOADERS = ['cdll', 'pydll', 'windll', 'oledll'].map(
  (loader) => `ctypes.${loader}.LoadLibrary`,
);

export const nativeLibraryCheck: CodeRule = {
  rule: PY_EXE_006,
  calls: [
    ...CTYPES_LOADERS,
    ...CTYPES_LIBRARY_LOADERS,
    'ctypes.LibraryLoader().LoadLibrary',
    '_ctypes.dlopen',
    'numpy.ctypeslib.load_library',
    'cffi.FFI().dlopen',
  ],
  sink: { arguments: (call) => [libraryPath(call)] },
  check(call) {
    const path = libraryPath(call);
    if (path === undefined || isFixedLibrary(call, path)) return undefined;
    return { message: `${call.name} loads a native library from a path that is not fixed in the source` };
  },
};

/** numpy's `load_library(libname, loader_path)` finds the library in `loader_path`; the others take a path. */
function libraryPath(call: CallSite): Argument | undefined {
  if (call.name === 'numpy.ctypeslib.load_library') return argumentOf(call, 'loader_path', 1);
  return argumentOf(call, 'name', 0) ?? argumentOf(call, 'path');
}

/** Attributes (methods and properties) that build a path from another: `os.path.join`, `Path(...).parent`. */
const PATH_HELPERS = new Set([
  'path',
  'dirname',
  'abspath',
  'realpath',
  'join',
  'Path',
  'parent',
  'parents',
  'resolve',
  'with_name',
  'joinpath',
  'fspath',
]);
/** Imported names a fixed path may be built with. */
const PATH_MODULES = /^(?:os(?:\.path(?:\.\w+)?|\.fspath)?|pathlib(?:\.\w+)?|builtins\.str)$/;

/** Functions that return the path of a library inside an installed package, not one chosen at run time. */
const INSTALLED_LIBRARY_PATHS = new Set(['onnxruntime_extensions.get_library_path']);

/**
 * A library path the author fixed: a literal, a system library found by a literal name
 * (`ctypes.util.find_library("c")`), an installed package's library (`onnxruntime_extensions.
 * get_library_path()`), or a path built only from literals and the package's own `__file__`.
 */
function isFixedLibrary(call: CallSite, path: Argument): boolean {
  if (isLiteral(path.constant) || path.constant?.kind === 'none') return true;
  if (path.node.type === 'call') {
    const callee = path.node.childForFieldName('function');
    const names = callee === null ? [] : qualifiedNames(callee, call.scope);
    if (names.some((name) => INSTALLED_LIBRARY_PATHS.has(name))) return true;
    const [name] = path.node.childForFieldName('arguments')?.namedChildren ?? [];
    if (names.includes('ctypes.util.find_library') && name !== null && name !== undefined)
      return isLiteral(constantOf(name, call.scope));
  }
  return isBuiltFromFixedParts(path.node, call.scope, 0);
}

/** `os`, `os.path.join`, `Path` (from pathlib) or `str`, by any import spelling. */
function isPathModule(name: Node, scope: Scope): boolean {
  const names = qualifiedNames(name, scope);
  return names.length > 0 && names.every((qualified) => PATH_MODULES.test(qualified));
}

/** Local names followed into their single assignment, as in `HERE = Path(__file__).parent`. */
const MAX_ALIASES = 4;

/**
 * Every name in the expression is `__file__`, a path helper (`os.path.join`, `Path(...).parent`) or a local
 * bound once to such an expression: the path is built from literals and the package's own location.
 */
function isBuiltFromFixedParts(node: Node, scope: Scope, depth: number): boolean {
  const pending: Node[] = [node];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.type === 'attribute') {
      const attribute = next.childForFieldName('attribute')?.text ?? '';
      // `package.module.__file__`: where an imported module lives, as fixed as this file's own `__file__`.
      if (attribute === '__file__') continue;
      // `x.parent`: the attribute is a method or property name, not a variable.
      if (!PATH_HELPERS.has(attribute)) return false;
      const object = next.childForFieldName('object');
      if (object !== null) pending.push(object);
      continue;
    }
    if (next.type === 'identifier' && next.text !== '__file__' && !isPathModule(next, scope)) {
      const found = scope.lookup(next.text, next.startIndex);
      const [binding] = found?.bindings ?? [];
      if (depth >= MAX_ALIASES || found?.total !== 1 || binding?.kind !== 'value') return false;
      if (!isBuiltFromFixedParts(binding.value, binding.scope, depth + 1)) return false;
    }
    // Literal text inside f-strings is fixed; interpolations are walked like any expression.
    for (const child of next.namedChildren) if (child !== null) pending.push(child);
  }
  return true;
}

export const PY_MDL_014 = defineRule({
  id: 'PY-MDL-014',
  domain: 'code',
  title: 'custom ops or native extension loaded into an ML framework',
  description:
    '`torch.ops.load_library`, `torch.classes.load_library`, `tf.load_op_library`, `tf.load_library` and ' +
    "onnxruntime's `SessionOptions().register_custom_ops_library` load a shared library into the process so a " +
    'model can use its operators. The library runs native code as soon as it is loaded; one that ships next ' +
    'to a downloaded model, or whose path comes from a config, is a way to run arbitrary code that no weights ' +
    'scanner sees.',
  fix: 'Build custom ops from reviewed source as part of your own package and load them by a path anchored on it (`Path(__file__).with_name("libcustom_ops.so")`); never load an operator library that comes with a model or from a path read at run time, and pin and hash-check any prebuilt wheel that provides one.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const customOpsCheck: CodeRule = {
  rule: PY_MDL_014,
  calls: [
    'torch.ops.load_library',
    'torch.classes.load_library',
    'tensorflow.load_op_library',
    'tensorflow.load_library',
    'tensorflow.*.load_op_library',
    'tensorflow.*.load_library',
    'onnxruntime.SessionOptions().register_custom_ops_library',
  ],
  sink: { arguments: (call) => [opsLibrary(call)] },
  check(call) {
    const path = opsLibrary(call);
    // A library the author fixed (their own build, an installed package's) is part of the deployment, not of
    // the model.
    if (path === undefined || isFixedLibrary(call, path)) return undefined;
    return {
      message: `${call.name} loads a native operator library from a path that is not fixed in the source`,
    };
  },
};

/** The library path: `path` for torch, `library_filename` for TensorFlow, `library_path` for onnxruntime. */
function opsLibrary(call: CallSite): Argument | undefined {
  return (
    argumentOf(call, 'path', 0) ?? argumentOf(call, 'library_filename') ?? argumentOf(call, 'library_path')
  );
}
