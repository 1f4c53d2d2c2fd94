/*
 * IPython syntax in a code cell, rewritten to the Python that IPython itself runs, one line for one line, so that the
 * cell parses and finding lines stay the cell's own lines. Shell escapes and magics become `get_ipython()` calls
 * whose string arguments carry the command, so they stay visible as calls in the syntax tree:
 *   `!cmd`           → get_ipython().system("cmd")
 *   `x = !cmd`       → x = get_ipython().getoutput("cmd")
 *   `%pip install x` → get_ipython().run_line_magic("pip", "install x")
 *   `obj?`, `??obj`  → get_ipython().run_line_magic("pinfo", "obj")
 * A cell magic whose body is shell or another language (`%%bash`, `%%writefile f.py`, `%%html`) becomes one
 * `run_cell_magic("bash", "args", "<body>")` call on the first line, and the body's lines are left empty: the body is
 * not Python. Cell magics that run their body as Python (`%%time`, `%%capture`) only lose their first line to a
 * comment, so the body is analysed like any other code.
 * As in IPython's own line transformers, a line is read on its own: a `!` at the start of a line inside a
 * multi-line string is rewritten too.
 */

/** Cell magics whose body IPython runs as Python code in the notebook's namespace. */
const PYTHON_BODY_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug']);

const CELL_MAGIC = /^[ \t]*%%([\w.-]+)[ \t]*(.*)$/;
const SHELL_ESCAPE = /^([ \t]*)!(!?)(.*)$/;
const ASSIGNED_ESCAPE = /^([ \t]*[\w.[\], \t]+?[ \t]*=[ \t]*)([!%])([^=].*)$/;
const LINE_MAGIC = /^([ \t]*)%([\w.-]+)[ \t]*(.*)$/;
const HELP = /^([ \t]*)(?:\?{1,2}([\w.]+)|([\w.]+)\?{1,2})[ \t]*$/;

/** A Python string literal for any text: JSON's escapes are all valid in Python strings. */
function literal(text: string): string {
  return JSON.stringify(text);
}

function lineMagic(name: string, args: string): string {
  return `get_ipython().run_line_magic(${literal(name)}, ${literal(args.trimEnd())})`;
}

function translateLine(line: string): string {
  const escape = SHELL_ESCAPE.exec(line);
  if (escape !== null) {
    const [, indent = '', double = '', command = ''] = escape;
    const method = double === '' ? 'system' : 'getoutput';
    return `${indent}get_ipython().${method}(${literal(command.trim())})`;
  }
  const magic = LINE_MAGIC.exec(line);
  if (magic !== null) {
    const [, indent = '', name = '', args = ''] = magic;
    return `${indent}${lineMagic(name, args)}`;
  }
  const assigned = ASSIGNED_ESCAPE.exec(line);
  if (assigned !== null) {
    const [, target = '', sigil = '', rest = ''] = assigned;
    if (sigil === '!') return `${target}get_ipython().getoutput(${literal(rest.trim())})`;
    const [name = '', ...args] = rest.trim().split(/\s+/);
    return `${target}${lineMagic(name, args.join(' '))}`;
  }
  const help = HELP.exec(line);
  if (help !== null) {
    const [, indent = '', before, after] = help;
    return `${indent}${lineMagic('pinfo', before ?? after ?? '')}`;
  }
  return line;
}

/** The cell's source as Python with the same number of lines. */
export function translateCell(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  const cellMagic = first === -1 ? null : CELL_MAGIC.exec(lines[first] ?? '');
  if (cellMagic !== null) {
    const [, name = '', args = ''] = cellMagic;
    if (PYTHON_BODY_CELL_MAGICS.has(name)) {
      lines[first] = `# %%${name} ${args}`.trimEnd();
      return lines.map((line, index) => (index <= first ? line : translateLine(line))).join('\n');
    }
    const body = lines.slice(first + 1).join('\n');
    const call = `get_ipython().run_cell_magic(${literal(name)}, ${literal(args.trimEnd())}, ${literal(body)})`;
    return lines.map((_, index) => (index === first ? call : '')).join('\n');
  }
  return lines.map(translateLine).join('\n');
}
