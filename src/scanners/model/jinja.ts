import { extractTags, tokenize, type Tag, type Token } from './jinja-lexer.js';

/**
 * Static analysis of Jinja chat templates (`tokenizer.chat_template` in GGUF metadata, `chat_template` in
 * `tokenizer_config.json`, `.jinja` files). Loaders that render these with an unsandboxed Jinja2 environment run
 * whatever the template reaches through Python's object graph (CVE-2024-34359). The template is never rendered:
 * its `{{ … }}` and `{% … %}` tags are cut out of the text and their expressions tokenized (jinja-lexer.ts), so
 * malformed templates are analysed as far as they go.
 *
 * Why a tolerant tokenizer and not @huggingface/jinja's parser (0.5.11; measured against Jinja2 3.1.6 parsing
 * the same inputs). It rejects templates that Jinja2 accepts, and exactly the attacks: 3 of the 43 templates of
 * the modelaudit Jinja2 corpus and 2 of the 7 of our fixtures, all CVE-2024-34359 payloads starting from the
 * empty tuple `()`, which it cannot parse (its other rejection, `{{ unclosed_bracket`, Jinja2 rejects too). Of
 * 67 probed constructs it rejects 17 that Jinja2 accepts: `()`, `(1,)`, `\N{…}` escapes, the `raw`, `with`,
 * `do`, `include`, `import`, `extends`, `block` and `autoescape` tags, `recursive` loops, tests with arguments,
 * hex, underscored and exponent numbers. It parsed all 50 real chat templates tried (42 distinct: Qwen 3.5/3.6,
 * Gemma 4, community forks of them, 18 templates of common model families). Since an attacker picks the syntax,
 * each rejected template would need a fallback scan as strong as this one, so this one is used alone.
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
        (isDunder(token.text) && ['[', ',', '(', '='].includes(previous?.text ?? ''))
      ) {
        return { severity: 'escape', reason: `access to ${token.text}` };
      }
      if (token.text.includes('__')) suspicious ??= 'a string literal containing "__"';
      // Constant pieces are folded already, so this literal is joined to a computed value: building a dunder
      // name needs underscores at the ends of the pieces (`'_' ~ name ~ '_'`), unlike joined prompt text
      // (`'<|im_start|>user\n' ~ content`).
      const joined = ['~', '+'].includes(previous?.text ?? '') || ['~', '+'].includes(next?.text ?? '');
      if (joined && /^_|_$/.test(token.text)) suspicious ??= 'underscores joined to a computed value';
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
  const issues = inspectTags(template).flatMap(({ issue }) => (issue === undefined ? [] : [issue]));
  const ordered = [
    ...issues.filter((issue) => issue.severity === 'escape'),
    ...issues.filter((issue) => issue.severity === 'suspicious'),
  ];
  return ordered.slice(0, MAX_ISSUES);
}

/** Every tag of a template, in order, with what it does that a chat template should not (if anything). */
export function inspectTags(template: string): { tag: Tag; issue?: TemplateIssue }[] {
  return extractTags(template).map((tag) => {
    const found = inspectTag(tokenize(tag.code));
    return found === undefined ? { tag } : { tag, issue: { ...found, snippet: snippetOf(tag.text) } };
  });
}

/** Whether a string is worth analysing as a template. */
export function looksLikeTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}
