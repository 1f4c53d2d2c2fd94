/**
 * The line layer of pip's requirements-file format, read the way pip's `req_file.py` reads it: physical lines
 * joined at trailing backslashes, comments removed, `${NAME}` variables expanded, then each logical line split into
 * the requirement text and its options (shell-quoted, as optparse sees them).
 */

/** Python's `str.splitlines` boundaries, so that line numbers match pip's. */
// eslint-disable-next-line no-control-regex -- splitlines also breaks at the file, group and record separators.
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;
/** pip expands only the POSIX-portable `${NAME}` form (upper case, digits, underscore); `$NAME` stays literal. */
const VARIABLE = /\$\{([A-Z0-9_]+)\}/g;

export interface LogicalLine {
  /** The first physical line, 1-based, as pip reports it. */
  readonly line: number;
  /** The text with continuations joined, the comment removed, variables expanded, trimmed; never empty. */
  readonly text: string;
}

/**
 * Joins continuations and drops comments and blank lines. A comment line ends a continuation (pip appends it
 * and the comment then removes it), and a trailing backslash on the last line is ignored.
 */
export function logicalLines(text: string, env: Readonly<Record<string, string>>): LogicalLine[] {
  const joined: { line: number; text: string }[] = [];
  let pending: { line: number; parts: string[] } | undefined;
  text.split(LINE_BREAK).forEach((physical, index) => {
    const isComment = /^\s*#/.test(physical);
    if (!physical.endsWith('\\') || isComment) {
      const piece = isComment ? ` ${physical}` : physical;
      if (pending === undefined) joined.push({ line: index + 1, text: piece });
      else {
        pending.parts.push(piece);
        joined.push({ line: pending.line, text: pending.parts.join('') });
        pending = undefined;
      }
    } else {
      pending ??= { line: index + 1, parts: [] };
      pending.parts.push(stripBackslashes(physical));
    }
  });
  if (pending !== undefined) joined.push({ line: pending.line, text: pending.parts.join('') });
  const lines: LogicalLine[] = [];
  for (const { line, text: raw } of joined) {
    const stripped = withoutComment(raw).trim();
    if (stripped === '') continue;
    lines.push({
      line,
      text: stripped.replace(VARIABLE, (whole, name: string) => {
        // pip leaves a variable that is unset or empty as written.
        const value = env[name];
        return value === undefined || value === '' ? whole : value;
      }),
    });
  }
  return lines;
}

/**
 * A comment starts at the beginning of a line or after whitespace, so `https://host/p#egg=x` keeps its fragment.
 * Scanned by hand: pip's regex `(^|\s+)#.*$` backtracks quadratically on long runs of spaces.
 */
function withoutComment(line: string): string {
  for (let at = line.indexOf('#'); at >= 0; at = line.indexOf('#', at + 1)) {
    if (at === 0 || /\s/.test(line.charAt(at - 1))) return line.slice(0, at);
  }
  return line;
}

/** Python's `line.strip("\\")`: pip removes backslashes at both ends of a continued line. */
function stripBackslashes(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && line[start] === '\\') start++;
  while (end > start && line[end - 1] === '\\') end--;
  return line.slice(start, end);
}

/**
 * pip's `break_args_options`: words separated by single spaces up to the first word starting with `-` are the
 * requirement; the rest are options.
 */
export function splitArguments(text: string): { requirement: string; options: string } {
  const words = text.split(' ');
  const first = words.findIndex((word) => word.startsWith('-'));
  if (first < 0) return { requirement: words.join(' '), options: '' };
  return { requirement: words.slice(0, first).join(' '), options: words.slice(first).join(' ') };
}

/** `shlex.split` in POSIX mode without comments: quotes group, backslashes escape. Throws on an open quote. */
export function shellWords(text: string): string[] {
  if (!/['"\\]/.test(text)) return text.split(/\s+/).filter((word) => word !== '');
  const words: string[] = [];
  let word: string | undefined;
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      index++;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end < 0) throw new Error('no closing quotation');
      word = (word ?? '') + text.slice(index + 1, end);
      index = end + 1;
    } else if (char === '"') {
      let value = '';
      index++;
      for (;;) {
        if (index >= text.length) throw new Error('no closing quotation');
        const inner = text.charAt(index);
        if (inner === '"') break;
        // Inside double quotes a backslash escapes only `\`, `"`, `$` and a newline, as in the shell.
        if (inner === '\\' && index + 1 < text.length && '\\"$\n'.includes(text.charAt(index + 1))) {
          value += text.charAt(index + 1);
          index += 2;
        } else {
          value += inner;
          index++;
        }
      }
      word = (word ?? '') + value;
      index++;
    } else if (char === '\\') {
      if (index + 1 >= text.length) throw new Error('no escaped character');
      word = (word ?? '') + text.charAt(index + 1);
      index += 2;
    } else {
      word = (word ?? '') + char;
      index++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The options pip accepts in requirement files; `value` ones take an argument. */
const OPTIONS = {
  '-i': 'index-url',
  '--index-url': 'index-url',
  '--extra-index-url': 'extra-index-url',
  '--no-index': 'no-index',
  '-c': 'constraint',
  '--constraint': 'constraint',
  '-r': 'requirement',
  '--requirement': 'requirement',
  '-e': 'editable',
  '--editable': 'editable',
  '-f': 'find-links',
  '--find-links': 'find-links',
  '--no-binary': 'no-binary',
  '--only-binary': 'only-binary',
  '--prefer-binary': 'prefer-binary',
  '--require-hashes': 'require-hashes',
  '--pre': 'pre',
  '--trusted-host': 'trusted-host',
  '--use-feature': 'use-feature',
  '--global-option': 'global-option',
  '--config-settings': 'config-settings',
  '--hash': 'hash',
} as const;
export type OptionName = (typeof OPTIONS)[keyof typeof OPTIONS];
const FLAGS: ReadonlySet<OptionName> = new Set(['no-index', 'prefer-binary', 'require-hashes', 'pre']);
const LONG_NAMES = Object.keys(OPTIONS).filter((spelling) => spelling.startsWith('--'));

export interface ParsedOption {
  readonly name: OptionName;
  /** The argument; empty for flags. */
  readonly value: string;
}

/**
 * Reads the options of one line as optparse does: `--name value`, `--name=value`, `-x value`, `-xvalue`, and
 * unambiguous prefixes of long names (`--extra-index` for `--extra-index-url`). Throws on anything pip rejects:
 * an unknown option, a missing argument, a stray word.
 */
export function parseOptions(text: string): ParsedOption[] {
  const words = shellWords(text);
  const options: ParsedOption[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? '';
    let spelling: string;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      const written = equals < 0 ? word : word.slice(0, equals);
      if (equals >= 0) inline = word.slice(equals + 1);
      spelling = longOption(written);
    } else if (word.startsWith('-') && word.length >= 2) {
      spelling = word.slice(0, 2);
      if (word.length > 2) inline = word.slice(2);
      if (!(spelling in OPTIONS)) throw new Error(`no such option: ${spelling}`);
    } else {
      throw new Error(`unexpected ${JSON.stringify(word)} among the options`);
    }
    const name = OPTIONS[spelling as keyof typeof OPTIONS];
    if (FLAGS.has(name)) {
      if (inline !== undefined) throw new Error(`${spelling} option does not take a value`);
      options.push({ name, value: '' });
      continue;
    }
    if (inline === undefined) {
      index++;
      inline = words[index];
      if (inline === undefined) throw new Error(`${spelling} option requires an argument`);
    }
    options.push({ name, value: inline });
  }
  return options;
}

function longOption(written: string): string {
  if (written in OPTIONS) return written;
  const candidates = LONG_NAMES.filter((spelling) => spelling.startsWith(written));
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only !== undefined) return only;
  if (candidates.length === 0) throw new Error(`no such option: ${written}`);
  throw new Error(`ambiguous option: ${written} (${candidates.join(', ')})`);
}
