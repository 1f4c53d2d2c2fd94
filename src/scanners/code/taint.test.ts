import { describe, expect, it } from 'vitest';
import { collectFacts } from './collect.js';
import { parsePython } from './parser.js';
import { qualifiedNames } from './resolve.js';
import { analyseSource } from './test-support.js';

const lines = (...source: string[]): string => `${source.join('\n')}\n`;

/** The qualified names of every call's callee, unknown objects included, in source order. */
async function calleeNames(source: string): Promise<string[][]> {
  const tree = await parsePython(source);
  try {
    return collectFacts(tree.rootNode, () => undefined).calls.map(({ node, scope }) => {
      const callee = node.childForFieldName('function');
      return callee === null ? [] : qualifiedNames(callee, scope, 0, true);
    });
  } finally {
    tree.delete();
  }
}

/** `RULE@line confidence: source` for each finding of the taint-aware rules. */
async function taintReport(source: string): Promise<string[]> {
  const findings = await analyseSource(source);
  return findings.map((finding) => {
    const received = /; it receives (.*) from line \d+$/.exec(finding.message)?.[1];
    return `${finding.ruleId}@${finding.line} ${finding.confidence ?? 'rule default'}${received === undefined ? '' : `: ${received}`}`;
  });
}

describe('qualified names of call results and unknown objects', () => {
  it('names methods of objects made by a constructor, through a name, a with-item or directly', async () => {
    const source = lines(
      'import tarfile',
      'from flask import Flask',
      't = tarfile.open(p)',
      't.extractall(d)',
      'with tarfile.open(p) as archive:',
      '    archive.extractall(d)',
      'tarfile.open(p).extractall(d)',
      'app = Flask(__name__)',
      'app.run(debug=True)',
    );
    const names = await calleeNames(source);
    expect(names.filter((list) => list.some((name) => name.endsWith('.extractall')))).toEqual([
      ['tarfile.open().extractall'],
      ['tarfile.open().extractall'],
      ['tarfile.open().extractall'],
    ]);
    expect(names).toContainEqual(['flask.Flask().run']);
  });

  it('names a method on an object of unknown type by its attribute path after "?"', async () => {
    const source = lines('def save(cursor, self):', '    cursor.execute(q)', '    self.db.conn.commit()');
    expect(await calleeNames(source)).toEqual([['?.execute'], ['?.db.conn.commit']]);
  });

  it('binds loop variables, comprehension variables and unpacked names so that they shadow imports', async () => {
    const source = lines(
      'import pickle',
      'for pickle in codecs:',
      '    pickle.loads(b)',
      'a, pickle = make()',
      'pickle.loads(b)',
    );
    const names = await calleeNames(source);
    expect(names.flat()).not.toContain('pickle.loads');
  });
});

describe('taint', () => {
  it('reports a sink at high confidence with the source, and at audit confidence without one', async () => {
    const source = lines(
      'import os, sys',
      'target = sys.argv[1]',
      'command = f"ls {target}"',
      'os.system(command)',
      'def clean(path):',
      '    os.system("rm -r " + path)',
    );
    expect(await taintReport(source)).toEqual(['PY-PROC-004@4 high: sys.argv', 'PY-PROC-004@6 rule default']);
  });

  it('follows string building: %, format, join, + and f-strings', async () => {
    const source = lines(
      'import os',
      'name = input()',
      'os.system("echo %s" % name)',
      'os.system("echo {}".format(name))',
      'os.system(" ".join(["echo", name]))',
      'os.system(f"echo {name.strip()}")',
    );
    expect(await taintReport(source)).toEqual([
      'PY-PROC-004@3 high: input()',
      'PY-PROC-004@4 high: input()',
      'PY-PROC-004@5 high: input()',
      'PY-PROC-004@6 high: input()',
    ]);
  });

  it('stops at sanitizers', async () => {
    const source = lines(
      'import os, shlex, sys',
      'os.system("ls " + shlex.quote(sys.argv[1]))',
      'os.system("sleep %d" % int(sys.argv[2]))',
    );
    expect(await taintReport(source)).toEqual(['PY-PROC-004@2 rule default', 'PY-PROC-004@3 rule default']);
  });

  it('treats parameters of web handlers and LLM tools as sources, and other parameters as not', async () => {
    const source = lines(
      'from fastapi import FastAPI',
      'from langchain_core.tools import tool',
      'app = FastAPI()',
      '@app.get("/calc")',
      'def calc(expression: str):',
      '    return eval(expression)',
      '@tool',
      'def python(code: str) -> str:',
      '    exec(code)',
      'def helper(expression):',
      '    return eval(expression)',
      'def view(request):',
      '    return eval(request.GET["q"])',
    );
    expect(await taintReport(source)).toEqual([
      'PY-EXE-001@6 high: parameter "expression" of a handler (@app.get)',
      'PY-EXE-002@9 high: parameter "code" of an LLM tool (@tool)',
      // PY-EXE-010 names the same flow as LLM output reaching exec, at its own (high) confidence.
      'PY-EXE-010@9 rule default',
      'PY-EXE-001@11 rule default',
      'PY-EXE-001@13 high: parameter "request"',
    ]);
  });

  it('follows the return values of functions defined in the file', async () => {
    const source = lines(
      'import os',
      'def read_choice():',
      '    answer = input("model? ")',
      '    return answer.strip()',
      'os.system("download " + read_choice())',
    );
    expect(await taintReport(source)).toEqual(['PY-PROC-004@5 high: input()']);
  });

  it('reads HTTP responses, LLM outputs and the environment as sources', async () => {
    const source = lines(
      'import os, pickle, requests',
      'from openai import OpenAI',
      'blob = requests.get(url, timeout=5).content',
      'pickle.loads(blob)',
      'client = OpenAI()',
      'reply = client.chat.completions.create(model=m, messages=msgs)',
      'exec(reply.choices[0].message.content)',
      'os.system(os.environ["POST_HOOK"])',
    );
    expect(await taintReport(source)).toEqual([
      'PY-DES-001@4 high: an HTTP response (requests.get)',
      'PY-EXE-002@7 high: LLM output (openai.OpenAI().chat.completions.create)',
      'PY-EXE-010@7 rule default',
      'PY-PROC-004@8 high: os.environ',
    ]);
  });

  it('counts a file read from a non-literal path for code execution, not for deserialisers', async () => {
    const source = lines(
      'import pickle',
      'def run(script, cache):',
      '    with open(script) as handle:',
      '        exec(handle.read())',
      '    exec(open("version.py").read())',
      '    with open(cache, "rb") as handle:',
      '        return pickle.loads(handle.read())',
    );
    expect(await taintReport(source)).toEqual([
      'PY-EXE-002@4 high: data read from a file whose path is not fixed',
      'PY-EXE-002@5 rule default',
      'PY-DES-001@7 rule default',
    ]);
  });
});
