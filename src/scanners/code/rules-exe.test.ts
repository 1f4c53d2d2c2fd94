import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/exe');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

describe('PY-EXE-002 exec and compile', () => {
  it('reports exec and compile(..., "exec") of a config file and of overrides', async () => {
    expect(await activeFindings(await fixture('exec_python_config.py'))).toEqual([
      'PY-EXE-002@9',
      'PY-EXE-002@10',
      'PY-EXE-002@17',
    ]);
  });

  it('does not report literals, literal_eval or compile in eval mode', async () => {
    expect(await activeFindings(await fixture('literal_config_overrides.py'))).toEqual([]);
  });

  it('follows aliases of the built-ins and keyword arguments of compile', async () => {
    expect(
      await activeFindings(
        'import builtins\nrun = exec\nrun(text)\nbuiltins.exec(text)\ncompile(source=text, filename="f", mode="exec")\n',
      ),
    ).toEqual(['PY-EXE-002@3', 'PY-EXE-002@4', 'PY-EXE-002@5']);
  });

  it('ignores a shadowing exec, a literal bound to a name and a non-exec compile mode', async () => {
    expect(
      await activeFindings(
        'SETUP = "x = 1"\nexec(SETUP)\ncompile(text, "f", "single" if tty else "eval")\ncompile(text, "f", "eval")\n' +
          'def exec(command):\n    return command\nexec(user_input)\n',
      ),
    ).toEqual([]);
  });
});
