import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseCells } from './notebook/analyse.js';
import { readNotebook } from './notebook/read.js';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/exe');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** `rule@line confidence` of the findings of one rule: to tell tainted (high) from audit findings. */
async function confidences(source: string, ruleId: string): Promise<string[]> {
  const findings = await analyseSource(source);
  return findings
    .filter((finding) => finding.ruleId === ruleId)
    .map((finding) => `${finding.line} ${finding.confidence ?? 'rule'}`);
}

/** `rule@cell:line` for the findings of one rule in a notebook fixture's code cells. */
async function notebookFindings(name: string, ruleId: string): Promise<string[]> {
  const notebook = readNotebook(await fixture(name));
  const code = notebook.cells.filter((cell) => cell.type === 'code');
  const findings = await analyseCells(code, name, () => undefined);
  return findings
    .filter((finding) => finding.ruleId === ruleId)
    .map((finding) => `${finding.ruleId}@${finding.member ?? ''}:${finding.line}`);
}

/** Findings of the rules whose id starts with `prefix`, ignoring the others the snippet may raise. */
async function findingsOf(prefix: string, source: string): Promise<string[]> {
  return (await activeFindings(source)).filter((finding) => finding.startsWith(prefix));
}

describe('PY-EXE-003 interactive interpreters', () => {
  it('reports a console fed from a request and code.interact', async () => {
    expect(await findingsOf('PY-EXE-003', await fixture('remote_debug_console.py'))).toEqual([
      'PY-EXE-003@15',
      'PY-EXE-003@25',
    ]);
    expect(await confidences(await fixture('remote_debug_console.py'), 'PY-EXE-003')).toEqual([
      '15 high',
      '25 rule',
    ]);
  });

  it('does not report the introspection twin', async () => {
    expect(await findingsOf('PY-EXE-003', await fixture('model_introspection_api.py'))).toEqual([]);
  });

  it('follows aliases and sub-interpreters, and ignores literals and shadowed names', async () => {
    expect(
      await findingsOf(
        'PY-EXE-003',
        'from code import InteractiveInterpreter as II, interact as shell\nii = II()\nii.runsource(text)\n' +
          'ii.runsource("x = 1")\nshell()\nimport _xxsubinterpreters as subs\nsubs.run_string(interp, script)\n' +
          'def f(code):\n    code.interact()\n',
      ),
    ).toEqual(['PY-EXE-003@3', 'PY-EXE-003@5', 'PY-EXE-003@7']);
  });
});

describe('PY-EXE-004 dynamic imports', () => {
  it('reports modules named by a config and by a command-line option, the latter tainted', async () => {
    const source = await fixture('model_registry_import.py');
    expect(await findingsOf('PY-EXE-004', source)).toEqual(['PY-EXE-004@11', 'PY-EXE-004@20']);
    expect(await confidences(source, 'PY-EXE-004')).toEqual(['11 rule', '20 high']);
  });

  it('does not report the allow-list twin', async () => {
    expect(await findingsOf('PY-EXE-004', await fixture('model_registry_table.py'))).toEqual([]);
  });

  it('follows aliases, lowers names inside a fixed package and ignores shadowing', async () => {
    const source =
      'from importlib import import_module as load\nNAME = "json"\nload(NAME)\nload(plugin)\n' +
      'load(f"transformers.models.{kind}")\nload("." + kind, package=__name__)\n' +
      'def g(importlib):\n    importlib.import_module(name)\n' +
      'PLUGINS = {"flip": "aug.flip", "crop": "aug.crop"}\nload(PLUGINS[name])\nload(PLUGINS.get(name))\n' +
      'MIXED = {"a": "aug.a", "b": user_value}\nload(MIXED[name])\n';
    expect(await findingsOf('PY-EXE-004', source)).toEqual([
      'PY-EXE-004@4',
      'PY-EXE-004@5',
      'PY-EXE-004@6',
      'PY-EXE-004@13',
    ]);
    const findings = await analyseSource(source);
    expect(findings.filter((f) => f.ruleId === 'PY-EXE-004').map((f) => f.severity ?? 'rule')).toEqual([
      'rule',
      'low',
      'low',
      'rule',
    ]);
  });
});

describe('PY-EXE-005 pandas eval and query', () => {
  it('reports query and pandas.eval of handler parameters at high confidence', async () => {
    const source = await fixture('dashboard_filter_query.py');
    expect(await confidences(source, 'PY-EXE-005')).toEqual(['11 high', '17 high']);
  });

  it('does not report literal expressions with @-variables', async () => {
    expect(await findingsOf('PY-EXE-005', await fixture('dashboard_filter_mask.py'))).toEqual([]);
  });

  it('follows chained DataFrames and aliases, and ignores unknown receivers', async () => {
    const source =
      'from pandas import read_csv as rc, eval as peval\nimport pandas as pd\n' +
      'rc(p).dropna().query(expr)\npd.DataFrame(rows).eval(expr)\npeval(expr)\n' +
      'def h(frame, expr):\n    return frame.query(expr)\nsession.query(expr)\n' +
      'def k(pd):\n    pd.eval(expr)\n';
    expect(await confidences(source, 'PY-EXE-005')).toEqual(['3 rule', '4 rule', '5 rule']);
  });
});

describe('PY-EXE-006 native libraries', () => {
  it('reports libraries from a checkpoint directory, tainted when it comes from argv', async () => {
    expect(await confidences(await fixture('load_native_kernel.py'), 'PY-EXE-006')).toEqual([
      '10 rule',
      '16 rule',
      '24 high',
    ]);
  });

  it('does not report literal, package-anchored and find_library paths', async () => {
    expect(await findingsOf('PY-EXE-006', await fixture('load_packaged_kernel.py'))).toEqual([]);
  });

  it('follows aliases and ignores a shadowing parameter', async () => {
    expect(
      await findingsOf(
        'PY-EXE-006',
        'from ctypes import CDLL as Lib, cdll\nLib(path)\ncdll.LoadLibrary(path)\nimport cffi\n' +
          'ffi = cffi.FFI()\nffi.dlopen(path)\ndef f(ctypes):\n    ctypes.CDLL(path)\n' +
          'import os\nHERE = os.path.dirname(__file__)\nLib(os.path.join(HERE, "libops.so"))\n' +
          'Lib(os.path.join(HERE, name))\nLib(config.lib_dir + "/libops.so")\nimport numpy as np\n' +
          'Lib(np.core._multiarray_umath.__file__)\n',
      ),
    ).toEqual(['PY-EXE-006@2', 'PY-EXE-006@3', 'PY-EXE-006@6', 'PY-EXE-006@12', 'PY-EXE-006@13']);
  });
});

describe('PY-MDL-014 custom ops', () => {
  it('reports torch, TensorFlow and onnxruntime ops from a downloaded snapshot', async () => {
    expect(await findingsOf('PY-MDL-014', await fixture('custom_ops_from_snapshot.py'))).toEqual([
      'PY-MDL-014@10',
      'PY-MDL-014@11',
      'PY-MDL-014@14',
    ]);
  });

  it('does not report ops built with the package or installed by onnxruntime-extensions', async () => {
    expect(await findingsOf('PY-MDL-014', await fixture('custom_ops_packaged.py'))).toEqual([]);
  });

  it('follows aliases, compat modules and taint, and ignores shadowing', async () => {
    const source =
      'import sys\nimport tensorflow.compat.v1 as tf1\nfrom torch import ops\ntf1.load_op_library(sys.argv[1])\n' +
      'ops.load_library(lib)\ndef f(torch):\n    torch.ops.load_library(lib)\n';
    expect(await confidences(source, 'PY-MDL-014')).toEqual(['4 high', '5 rule']);
  });
});

describe('PY-EXE-007 numpy.f2py.compile', () => {
  it('reports downloaded Fortran source at high confidence', async () => {
    expect(await confidences(await fixture('f2py_kernel_from_url.py'), 'PY-EXE-007')).toEqual(['10 high']);
  });

  it('does not report source written in the file', async () => {
    expect(await findingsOf('PY-EXE-007', await fixture('f2py_kernel_inline.py'))).toEqual([]);
  });

  it('follows aliases and ignores shadowing', async () => {
    expect(
      await findingsOf(
        'PY-EXE-007',
        'from numpy import f2py as fp\nfp.compile(src, modulename="m")\ndef f(numpy):\n    numpy.f2py.compile(src)\n',
      ),
    ).toEqual(['PY-EXE-007@2']);
  });
});

describe('PY-EXE-008 Flask debugger', () => {
  it('reports app.run(debug=True) on a flask.Flask app', async () => {
    expect(await findingsOf('PY-EXE-008', await fixture('flask_debug_app.py'))).toEqual(['PY-EXE-008@15']);
  });

  it('does not report a debug flag read from the environment', async () => {
    expect(await findingsOf('PY-EXE-008', await fixture('flask_env_debug_app.py'))).toEqual([]);
  });

  it('reads the positional flag and aliases, and ignores other run methods', async () => {
    expect(
      await findingsOf(
        'PY-EXE-008',
        'import flask as f\napp = f.Flask(__name__)\napp.run("0.0.0.0", 80, True)\napp.run()\n' +
          'app.run(debug=False)\nrun(debug=True)\nserver.run(debug=True)\nf.Flask(__name__).run(use_debugger=True)\n',
      ),
    ).toEqual(['PY-EXE-008@3', 'PY-EXE-008@8']);
  });
});

describe('PY-EXE-009 logging.config.listen', () => {
  it('reports the configuration socket', async () => {
    expect(await findingsOf('PY-EXE-009', await fixture('logging_remote_config.py'))).toEqual([
      'PY-EXE-009@10',
    ]);
  });

  it('does not report dictConfig', async () => {
    expect(await findingsOf('PY-EXE-009', await fixture('logging_dict_config.py'))).toEqual([]);
  });

  it('follows aliases, honours nosec B612 and ignores shadowing', async () => {
    expect(
      await findingsOf(
        'PY-EXE-009',
        'from logging.config import listen as serve\nserve(9999)\nserve(9998)  # nosec B612\n' +
          'def f(logging):\n    logging.config.listen()\n',
      ),
    ).toEqual(['PY-EXE-009@2']);
  });
});

describe('PY-EXE-010 LLM output run as code', () => {
  it('reports REPL tools, dangerous agents, math chains and exec/subprocess of model output', async () => {
    expect(await findingsOf('PY-EXE-010', await fixture('langchain_code_agent.py'))).toEqual([
      'PY-EXE-010@15',
      'PY-EXE-010@18',
      'PY-EXE-010@19',
      'PY-EXE-010@24',
      'PY-EXE-010@29',
    ]);
  });

  it('does not report typed tools and parsed model output', async () => {
    expect(await findingsOf('PY-EXE-010', await fixture('langchain_structured_agent.py'))).toEqual([]);
  });

  it('follows model output across notebook cells, and not through a fixed menu', async () => {
    expect(await notebookFindings('llm_chart_notebook.ipynb', 'PY-EXE-010')).toEqual(['PY-EXE-010@cell 4:1']);
    expect(await notebookFindings('llm_chart_menu_notebook.ipynb', 'PY-EXE-010')).toEqual([]);
  });

  it('needs LLM taint for exec and numexpr, and follows aliases', async () => {
    expect(
      await findingsOf(
        'PY-EXE-010',
        'import sys\nimport numexpr as ne\nfrom openai import OpenAI\nclient = OpenAI()\n' +
          'reply = client.chat.completions.create(model="m", messages=[])\ntext = reply.choices[0].message.content\n' +
          'ne.evaluate(text)\nne.evaluate(sys.argv[1])\nrun = eval\nrun(text)\neval(expression)\n' +
          'from langchain_experimental.utilities import PythonREPL as Repl\nRepl()\n' +
          'from langchain_experimental.agents import create_csv_agent\ncreate_csv_agent(llm, "a.csv")\n' +
          'from langchain.agents import load_tools\nload_tools(["serpapi", "llm-math"], llm=llm)\n' +
          'load_tools(["serpapi", "wikipedia"])\n',
      ),
    ).toEqual(['PY-EXE-010@7', 'PY-EXE-010@10', 'PY-EXE-010@13', 'PY-EXE-010@17']);
  });

  it('reports the arguments of @tool functions reaching a shell', async () => {
    expect(
      await findingsOf(
        'PY-EXE-010',
        'import os\nfrom langchain_core.tools import tool\n@tool\ndef shell(command: str) -> str:\n' +
          '    """Run a command."""\n    return os.popen(command).read()\n',
      ),
    ).toEqual(['PY-EXE-010@6']);
  });
});

describe('PY-EXE-011 obfuscated execution', () => {
  it('reports decoded payloads and __import__("os").system, once per statement', async () => {
    expect(await findingsOf('PY-EXE-011', await fixture('setup_payload.py'))).toEqual([
      'PY-EXE-011@6',
      'PY-EXE-011@7',
      'PY-EXE-011@10',
    ]);
  });

  it('does not report decoded data that is not run', async () => {
    expect(await findingsOf('PY-EXE-011', await fixture('setup_plain.py'))).toEqual([]);
  });

  it('follows aliases and codecs, and ignores text decoding and shadowed names', async () => {
    expect(
      await findingsOf(
        'PY-EXE-011',
        'from base64 import b64decode as d\nimport codecs\nexec(d(p))\nexec(codecs.decode(p, "rot13"))\n' +
          'exec(codecs.decode(p, "utf-8"))\nexec(bytes.fromhex(p))\neval(__import__("base64").b64decode(p))\n' +
          '__import__(name).system("x")\ndef f(base64):\n    exec(base64.b64decode(p))\n' +
          'exec(__import__("json").loads(p))\nexec(__import__("zlib").decompress(p))\n' +
          'exec(codecs.decode(p, encoding="hex"))\n',
      ),
    ).toEqual([
      'PY-EXE-011@3',
      'PY-EXE-011@4',
      'PY-EXE-011@6',
      'PY-EXE-011@7',
      'PY-EXE-011@12',
      'PY-EXE-011@13',
    ]);
  });
});
