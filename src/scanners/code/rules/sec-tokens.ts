import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import {
  ANCHORS_IN_LOWER_CASE,
  findSecrets,
  KAGGLE_KEY,
  MIN_SECRET_TEXT,
  redact,
  redactAll,
  type SecretMatch,
} from './sec-formats.js';

export const PY_SEC_004 = defineRule({
  id: 'PY-SEC-004',
  domain: 'code',
  title: 'API key or private key of a known format in code, comments or notebook outputs',
  description:
    'A credential recognisable by its format: Hugging Face (`hf_…`), OpenAI (`sk-…T3BlbkFJ…`, `sk-proj-…`), ' +
    'Anthropic (`sk-ant-api03-…`), AWS access key ids (`AKIA…`, `ASIA…`) and secret keys, GitHub (`ghp_…`, ' +
    '`github_pat_…`), Slack tokens and webhooks, Google API keys (`AIza…`), PEM and GCP service-account private ' +
    'keys, Weights & Biases keys given to `wandb login`, and Kaggle `{"username", "key"}` JSON — in string ' +
    "literals, comments, and the saved outputs of notebook cells (the first MiB of each output's text). The key " +
    'is usable by anyone who reads the file, its git history or a rendered copy of the notebook; scrapers find ' +
    'such keys on public repositories within minutes. Evidence shows only the prefix and last four characters.',
  fix: 'Revoke and rotate the key now (removing it from the file does not remove it from git history or forks), then load it at run time from the environment or a secret manager; clear notebook outputs before committing (`jupyter nbconvert --clear-output --inplace`, or `nbstripout` as a git filter).',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-798'],
  owasp: [],
});

export const PY_SEC_006 = defineRule({
  id: 'PY-SEC-006',
  domain: 'code',
  title: 'notebook output shows environment variables or a secret in a traceback',
  description:
    'A saved notebook cell output that dumps the environment (`!env`, `%env`, `print(os.environ)`, ' +
    '`os.environ` displayed: several `NAME=value` lines or an `environ({...})` repr with `PATH`, `HOME`…) ' +
    'or a traceback that carries a credential of a known format. Environments of notebook servers hold cloud, ' +
    'Hub and tracking credentials, and outputs are committed and rendered on GitHub with the notebook. Only the ' +
    "first MiB of each output's text is read; images and other binary outputs are never read.",
  fix: 'Clear the output and commit the notebook again (`jupyter nbconvert --clear-output --inplace nb.ipynb`; `nbstripout` as a git filter prevents it), rotate any credential the output showed, and print single, non-secret variables instead of the whole environment.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-200', 'CWE-532'],
  owasp: [],
});

/** What a text's secrets are, for a message that does not repeat them. */
export function describeSecrets(secrets: readonly SecretMatch[]): string {
  const [first] = secrets;
  if (first === undefined) return '';
  const more = secrets.length > 1 ? ` and ${secrets.length - 1} more` : '';
  return `${first.kind} ${redact(first.secret)}${more}`;
}

/** The line of `text` where a match starts, redacted of every secret found in the text. */
export function redactedLine(text: string, index: number, secrets: readonly SecretMatch[]): string {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  const end = text.indexOf('\n', index);
  const line = text.slice(start, end === -1 ? undefined : end);
  return redactAll(
    line,
    secrets.map((secret) => secret.secret),
  );
}

function secretMatch(node: Node, where: string, kind?: string): CodeMatch | undefined {
  // Byte length, known without copying the text: most strings and comments are too short for any key.
  if (node.endIndex - node.startIndex < MIN_SECRET_TEXT) return undefined;
  const text = node.text;
  const secrets = findSecrets(text).filter((secret) => kind === undefined || secret.kind === kind);
  const [first] = secrets;
  if (first === undefined) return undefined;
  const lineInNode = text.slice(0, first.index).split('\n').length - 1;
  const at = lineInNode === 0 ? '' : ` (line ${node.startPosition.row + 1 + lineInNode})`;
  return {
    message: `${describeSecrets(secrets)} in a ${where}${at}`,
    evidence: redactedLine(text, first.index, secrets),
  };
}

/** Keys in string literals (docstrings and f-strings included) and comments. */
export const secretFormatCheck: NodeRule = {
  rule: PY_SEC_004,
  nodes: ['string', 'comment'],
  textHint: ANCHORS_IN_LOWER_CASE,
  check: (node) => secretMatch(node, node.type === 'comment' ? 'comment' : 'string literal'),
};

/** `kaggle.json` holds two short entries: larger dicts are data, not credentials. */
const MAX_KAGGLE_DICT = 400;

/** A Kaggle key written as a dict (`json.dump({"username": …, "key": …}, f)` into `kaggle.json`). */
export const kaggleDictCheck: NodeRule = {
  rule: PY_SEC_004,
  nodes: ['dictionary'],
  textHint: /username/,
  check(node) {
    if (node.endIndex - node.startIndex > MAX_KAGGLE_DICT) return undefined;
    const text = node.text;
    if (!text.includes('username') || !text.includes('key')) return undefined;
    // Other keys in the dict's strings are reported on those strings.
    return secretMatch(node, 'credentials dict', KAGGLE_KEY);
  },
};
