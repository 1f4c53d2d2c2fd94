/**
 * Static analysis of Jinja chat templates (`tokenizer.chat_template` in GGUF metadata, `chat_template` in
 * `tokenizer_config.json`, `.jinja` files). Loaders that render these with an unsandboxed Jinja2 environment run
 * whatever the template reaches through Python's object graph (CVE-2024-34359). The template is never rendered:
 * its `{{ … }}` and `{% … %}` tags are cut out of the text and their expressions tokenized, so malformed templates
 * are analysed as far as they go.
 */

export type TemplateSeverity = 'escape' | 'suspicious';

export interface TemplateIssue {
  readonly severity: TemplateSeverity;
  /** What was seen, for the message: `access to __globals__`. */
  readonly reason: string;
  /** The offending tag, truncated and escaped. */
  readonly snippet: string;
}

/** Attributes that walk from any object to classes, modules and builtins: the sandbox-escape path. */
const ESCAPE_DUNDERS = new Set([
  '__class__',
  '__mro__',
  '__base__',
  '__bases__',
  '__subclasses__',
  '__globals__',
  '__builtins__',
  '__import__',
  '__init__',
  '__getattribute__',
  '__getattr__',
  '__dict__',
  '__code__',
  '__func__',
  '__self__',
  '__module__',
  '__loader__',
  '__spec__',
  '__reduce__',
  '__reduce_ex__',
  '__closure__',
  '__call__',
  '__new__',
]);

/** Names that only code execution, imports or process control need; no chat template uses them. */
const EXECUTION_NAMES = new Set([
  'popen',
  'subprocess',
  'eval',
  'exec',
  'execfile',
  'compile',
  'getattr',
  'setattr',
  'import_module',
  'b64decode',
  'check_output',
  'spawn',
  'execv',
  'execve',
  'spawnv',
]);

/** Names of Jinja2 / Flask globals that hold functions whose `__globals__` reach `os`. */
const GADGET_GLOBALS = new Set([
  'lipsum',
  'cycler',
  'joiner',
  'namespace',
  'self',
  'request',
  'config',
  'url_for',
  'get_flashed_messages',
  'range',
]);

const MAX_SNIPPET = 160;
const MAX_ISSUES = 20;

interface Token {
  readonly kind: 'name' | 'string' | 'number' | 'op';
  readonly text: string;
}

interface Tag {
  readonly text: string;
  readonly code: string;
}

/** The `{{ … }}` and `{% … %}` tags of a template (an unclosed last tag runs to the end); comments are skipped. */
export function extractTags(template: string): Tag[] {
  const tags: Tag[] = [];
  let index = 0;
  while (index < template.length) {
    const open = template.indexOf('{', index);
    if (open < 0 || open + 1 >= template.length) break;
    const kind = template[open + 1];
    const close = kind === '{' ? '}}' : kind === '%' ? '%}' : kind === '#' ? '#}' : undefined;
    if (close === undefined) {
      index = open + 1;
      continue;
    }
    const end = template.indexOf(close, open + 2);
    const stop = end < 0 ? template.length : end + 2;
    if (kind !== '#') {
      const text = template.slice(open, stop);
      const inner = template.slice(open + 2, end < 0 ? template.length : end);
      tags.push({ text, code: inner.replace(/^[-+]/, '').replace(/[-+]$/, '') });
    }
    index = stop;
  }
  return tags;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0' };

/** Decodes a Python string literal's escapes (`\x5f`, `\u005f`, `\N` is left as is). */
function decodeString(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs, (_all, escape: string) => {
    if (/^[xuU]/.test(escape) && escape.length > 1) {
      const point = Number.parseInt(escape.slice(1), 16);
      return point <= 0x10ffff ? String.fromCodePoint(point) : '';
    }
    return ESCAPES[escape] ?? escape;
  });
}

/**
 * Folds string literals joined by `~` or `+` into one literal, as Jinja's constant folding does, so that
 * `'_' ~ '_class_' ~ '_'` is seen as `'__class__'`.
 */
function foldConcatenation(tokens: readonly Token[]): Token[] {
  const folded: Token[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token === undefined) continue;
    const last = folded.at(-1);
    const next = tokens[index + 1];
    if (
      last?.kind === 'string' &&
      token.kind === 'op' &&
      (token.text === '~' || token.text === '+') &&
      next?.kind === 'string' &&
      folded.at(-2)?.text !== '.'
    ) {
      folded[folded.length - 1] = { kind: 'string', text: last.text + next.text };
      index++;
    } else {
      folded.push(token);
    }
  }
  return folded;
}

/** Tokens of a tag's expression: names, decoded string literals (constant concatenations folded), numbers and operators. */
export function tokenize(code: string): Token[] {
  return foldConcatenation(scan(code));
}

function scan(code: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < code.length) {
    const char = code[index] ?? '';
    if (/\s/.test(char)) {
      index++;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_]\w*/.exec(code.slice(index, index + 256)) ?? [char];
      tokens.push({ kind: 'name', text: match[0] });
      index += match[0].length;
    } else if (/\d/.test(char)) {
      const match = /^[\d.]+/.exec(code.slice(index, index + 64)) ?? [char];
      tokens.push({ kind: 'number', text: match[0] });
      index += match[0].length;
    } else if (char === '"' || char === "'") {
      let end = index + 1;
      while (end < code.length && code[end] !== char) end += code[end] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', text: decodeString(code.slice(index + 1, Math.min(end, code.length))) });
      index = end + 1;
    } else {
      tokens.push({ kind: 'op', text: char });
      index++;
    }
  }
  return tokens;
}

function isDunder(text: string): boolean {
  return /^__\w+__$/.test(text);
}

/** Escapes control and non-ASCII characters and truncates, so evidence is one safe line. */
export function snippetOf(text: string): string {
  const short = text.length > MAX_SNIPPET ? `${text.slice(0, MAX_SNIPPET)}…` : text;
  return short.replace(/[^\x20-\x7e…]/g, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** What one tag does that a chat template should not; the worst finding first. */
function inspectTag(tokens: readonly Token[]): { severity: TemplateSeverity; reason: string } | undefined {
  let suspicious: string | undefined;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token === undefined) continue;
    const previous = tokens[index - 1];
    const next = tokens[index + 1];
    const afterDot = previous?.kind === 'op' && previous.text === '.';
    if (token.kind === 'name') {
      if (ESCAPE_DUNDERS.has(token.text) || (isDunder(token.text) && afterDot)) {
        return { severity: 'escape', reason: `access to ${token.text}` };
      }
      if (EXECUTION_NAMES.has(token.text)) return { severity: 'escape', reason: `use of ${token.text}` };
      if (token.text === 'os' && (afterDot || next?.text === '.')) {
        return { severity: 'escape', reason: 'access to the os module' };
      }
      if (token.text === 'system' && afterDot && next?.text === '(') {
        return { severity: 'escape', reason: 'call of system()' };
      }
      if (token.text === 'attr' && previous?.text === '|') {
        const argument = tokens[index + 2];
        if (argument?.kind === 'string' && isDunder(argument.text)) {
          return { severity: 'escape', reason: `|attr('${argument.text}')` };
        }
        if (argument?.kind !== 'string' || tokens[index + 3]?.text !== ')') {
          suspicious ??= '|attr with a computed name';
        }
      }
      if (
        GADGET_GLOBALS.has(token.text) &&
        !afterDot &&
        (next?.text === '.' ||
          next?.text === '[' ||
          (next?.text === '|' && tokens[index + 2]?.text === 'attr'))
      ) {
        suspicious ??= `attribute access on the Jinja global '${token.text}'`;
      }
      if (token.text === 'chr' && next?.text === '(') suspicious ??= 'characters built with chr()';
    } else if (token.kind === 'string') {
      if (
        ESCAPE_DUNDERS.has(token.text) ||
        (isDunder(token.text) && (previous?.text === '[' || previous?.text === ','))
      ) {
        return { severity: 'escape', reason: `access to ${token.text}` };
      }
      if (token.text.includes('__')) suspicious ??= 'a string literal containing "__"';
      if (token.text.includes('_') && (previous?.text === '~' || next?.text === '~')) {
        suspicious ??= "'~'-concatenated underscore names";
      }
    }
  }
  return suspicious === undefined ? undefined : { severity: 'suspicious', reason: suspicious };
}

/**
 * The issues of one template: at most one per tag and {@link MAX_ISSUES} in all, sandbox escapes before
 * suspicious tags. Benign chat templates (loops over messages, `raise_exception`, `namespace()`, string filters)
 * yield none.
 */
export function analyzeTemplate(template: string): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  for (const tag of extractTags(template)) {
    const found = inspectTag(tokenize(tag.code));
    if (found !== undefined) issues.push({ ...found, snippet: snippetOf(tag.text) });
  }
  const ordered = [
    ...issues.filter((issue) => issue.severity === 'escape'),
    ...issues.filter((issue) => issue.severity === 'suspicious'),
  ];
  return ordered.slice(0, MAX_ISSUES);
}

/** Whether a string is worth analysing as a template. */
export function looksLikeTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}
