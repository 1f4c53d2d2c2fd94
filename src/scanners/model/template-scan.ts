import { LimitError } from '../../core/errors.js';
import { section, type ModelSection } from '../../core/model-part.js';
import type { ScanContext } from '../../core/scanner.js';
import { analyzeTemplate, inspectTags, looksLikeTemplate } from './jinja.js';
import { TEMPLATE_SANDBOX_ESCAPE, TEMPLATE_SUSPICIOUS } from './rules.js';
import type { Scope } from './scope.js';

/** Longest tag shown in the `inspect` view; the evidence of a finding carries the rest. */
const MAX_TAG_CHARS = 300;

/** Largest `tokenizer_config.json` or template file read (real ones are well under 1 MiB). */
export const MAX_TEMPLATE_FILE_BYTES = 16 * 1024 * 1024;

/** Reports the issues of one template; `where` names it (`tokenizer.chat_template`, `chat_template[tool_use]`). */
export function reportTemplate(
  context: ScanContext,
  template: string,
  where: string,
  member: string | undefined,
): void {
  for (const issue of analyzeTemplate(template)) {
    const escape = issue.severity === 'escape';
    context.report({
      ruleId: escape ? TEMPLATE_SANDBOX_ESCAPE.id : TEMPLATE_SUSPICIOUS.id,
      message: `Chat template ${where}: ${issue.reason}`,
      evidence: issue.snippet,
      ...(member !== undefined && { member }),
    });
  }
}

/**
 * The `inspect` view of a template: its code, one `{{ … }}` / `{% … %}` tag a line (the text between tags is what
 * the model sees, not what runs), each tag the analysis flags marked with its rule's severity.
 */
export function templateSection(where: string, template: string): ModelSection {
  return section(
    `template ${where}`,
    inspectTags(template).map(({ tag, issue }) => ({
      text: tag.text.length > MAX_TAG_CHARS ? `${tag.text.slice(0, MAX_TAG_CHARS)}…` : tag.text,
      ...(issue !== undefined && {
        risk: issue.severity === 'escape' ? TEMPLATE_SANDBOX_ESCAPE.severity : TEMPLATE_SUSPICIOUS.severity,
      }),
    })),
  );
}

/** `tokenizer_config.json` (whatever the directory), and stand-alone Jinja template files. */
export function templateFileKind(path: string): 'tokenizer-config' | 'jinja' | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name === 'tokenizer_config.json') return 'tokenizer-config';
  if (name.endsWith('.jinja') || name.endsWith('.jinja2') || name.endsWith('.j2')) return 'jinja';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The templates of a parsed `tokenizer_config.json`: `chat_template` as a string or as a list of
 * `{name, template}`, and any other top-level string value that contains template tags (some loaders and
 * forks read extra keys such as `custom_chat_template`).
 */
export function configTemplates(config: unknown): [where: string, template: string][] {
  if (!isRecord(config)) return [];
  const found: [string, string][] = [];
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string') {
      if (key === 'chat_template' || looksLikeTemplate(value)) found.push([key, value]);
    } else if (key === 'chat_template' && Array.isArray(value)) {
      value.forEach((entry: unknown, index) => {
        if (!isRecord(entry) || typeof entry.template !== 'string') return;
        const name = typeof entry.name === 'string' ? entry.name : String(index);
        found.push([`chat_template[${JSON.stringify(name)}]`, entry.template]);
      });
    }
  }
  return found;
}

/**
 * Scans a template-bearing text file already read into memory. A `tokenizer_config.json` that is not JSON is
 * not a config any loader accepts; it is analysed as text, so a payload in it is still found. With detail, the
 * file is described with one section per template. `member` is the archive member it was read from, if any.
 */
export function scanTemplateFile(
  scope: Scope,
  kind: 'tokenizer-config' | 'jinja',
  bytes: Uint8Array,
  member?: string,
): void {
  if (bytes.length > MAX_TEMPLATE_FILE_BYTES) {
    throw new LimitError('MEMORY', `template file larger than ${MAX_TEMPLATE_FILE_BYTES} bytes`);
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  const templates = kind === 'jinja' ? [['file', text] as const] : templatesOfConfigText(text);
  for (const [where, template] of templates) reportTemplate(scope.context, template, where, member);
  if (scope.detail) {
    scope.describe({
      ...(member !== undefined && { member }),
      format: kind,
      sections: templates.map(([where, template]) => templateSection(where, template)),
    });
  }
}

/** The templates of a `tokenizer_config.json`'s text; text that is not JSON is one template called `text`. */
function templatesOfConfigText(text: string): (readonly [string, string])[] {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return [['text', text]];
  }
  return configTemplates(config);
}
