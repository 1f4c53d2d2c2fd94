import { defineRule } from '../../core/rule.js';

export const TORCHSCRIPT_CUSTOM_NAMESPACE = defineRule({
  id: 'MODEL-TORCHSCRIPT-001',
  domain: 'model',
  title: 'TorchScript code calls a custom operator or class namespace',
  description:
    'The TorchScript source in the archive (`code/**/*.py`) calls an operator `ops.<namespace>.<op>` or uses a ' +
    'custom C++ class `__torch__.torch.classes.<namespace>.<Class>` whose namespace PyTorch itself does not ' +
    'register. `torch.jit.load` resolves such names only after a native library has been loaded ' +
    '(`torch.ops.load_library`, or importing the package that registers them), so running the model runs ' +
    'native code that the archive does not contain and cannot vouch for.',
  fix: 'Check that the namespace belongs to a library you trust and have installed on purpose (for example `torchvision` for `ops.torchvision.nms`); otherwise do not load the model, or re-export it with built-in operators.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

export const TORCHSCRIPT_PYTHON_OP = defineRule({
  id: 'MODEL-TORCHSCRIPT-002',
  domain: 'model',
  title: 'TorchScript code contains a Python call (prim::PythonOp)',
  description:
    'The TorchScript source in the archive calls `ops.prim.PythonOp`, or uses `^name(...)`, the spelling ' +
    'TorchScript\'s printer gives a call back into Python. `torch.jit.save` refuses to write either ("Could ' +
    'not export Python function call"), so the member was edited by hand after saving. A Python call is ' +
    'the one way TorchScript code escapes into the interpreter, and loaders do not handle it safely: ' +
    '`torch.jit.load` of PyTorch 1.13 crashes on `ops.prim.PythonOp`.',
  fix: 'Do not load the model. Re-export it from its source with `torch.jit.script` or `torch.jit.trace` and `torch.jit.save`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94'],
  owasp: ['ML06:2023'],
});
