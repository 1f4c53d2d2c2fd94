/*
 * Credential formats precise enough to report wherever they appear (code, comments, notebook outputs), and the
 * redaction that keeps a report from becoming a second copy of the secret. Each format has a fixed prefix and a
 * fixed length and alphabet, as issued by its provider, so that ordinary identifiers, hashes and base64 data do not
 * match; bodies made of a few repeated characters (`hf_xxxx…`) or marked as examples are placeholders, not keys.
 */

/** A credential found in a text: what it is, the secret itself and where it starts in the text. */
export interface SecretMatch {
  readonly kind: string;
  readonly secret: string;
  readonly index: number;
}

export const KAGGLE_KEY = 'Kaggle API key';

/** What each named group of {@link SECRET_FORMATS} is, for messages. */
const KINDS: Readonly<Record<string, string>> = {
  huggingface: 'Hugging Face token',
  anthropic: 'Anthropic API key',
  openai: 'OpenAI API key',
  aws: 'AWS access key id',
  awsSecret: 'AWS secret access key',
  github: 'GitHub token',
  slack: 'Slack token',
  slackWebhook: 'Slack webhook URL',
  google: 'Google API key',
  gcpServiceAccount: 'GCP service-account private key',
  privateKey: 'PEM private key',
  wandb: 'Weights & Biases API key',
  kaggle: KAGGLE_KEY,
};

/**
 * One compiled alternation, so that each text is read once whatever the number of formats. Boundaries are
 * look-arounds on the format's own alphabet: a key inside a longer run of the same characters is something else.
 */
const SECRET_FORMATS = new RegExp(
  [
    String.raw`(?<![A-Za-z0-9_])(?<huggingface>(?:hf|api_org)_[A-Za-z]{34})(?![A-Za-z0-9])`,
    String.raw`(?<![\w-])(?<anthropic>sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{93}AA)(?![\w-])`,
    String.raw`(?<![\w-])(?<openai>sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|proj-[A-Za-z0-9_-]{100,200}))(?![\w-])`,
    String.raw`(?<![A-Za-z0-9])(?<aws>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])`,
    String.raw`(?:aws_?secret_?(?:access_?)?key|AWS_?SECRET_?(?:ACCESS_?)?KEY|SecretAccessKey)["']?\s*[:=]\s*["']?(?<awsSecret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
    String.raw`(?<![A-Za-z0-9_])(?<github>gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])`,
    String.raw`(?<![\w-])(?<slack>xox[abposr]-(?:\d{10,13}-){1,3}[A-Za-z0-9]{24,34})(?![\w-])`,
    String.raw`(?<slackWebhook>hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})`,
    String.raw`(?<![\w-])(?<google>AIza[0-9A-Za-z_-]{35})(?![\w-])`,
    String.raw`(?<gcpServiceAccount>\\?"private_key\\?"\s*:\s*\\?"-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\n|\s)+[A-Za-z0-9+/]{40})`,
    String.raw`(?<privateKey>-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----(?:\\n|\\r|\s)+[A-Za-z0-9+/]{40})`,
    String.raw`(?:wandb\.login\(\s*(?:key\s*=\s*)?|wandb\s+login\s+(?:--relogin\s+)?|WANDB_API_KEY["']?\s*[:=]\s*)["']?(?<wandb>[0-9a-f]{40})(?![0-9a-f])`,
    String.raw`\{\s*\\?["']username\\?["']\s*:\s*(?:\\?["'][\w.-]{1,64}\\?["']|\w+)\s*,\s*\\?["']key\\?["']\s*:\s*\\?["'](?<kaggle>[0-9a-f]{32})\\?["']`,
  ].join('|'),
  'g',
);

/**
 * A literal fragment every format contains, in one simple alternation that the regex engine scans for quickly:
 * most strings and comments contain none and never reach the full expression with its look-arounds.
 */
const ANCHORS =
  /hf_|api_org_|sk-|AKIA|ASIA|ABIA|ACCA|ecret|gh[pousr]_|github_pat_|xox|hooks\.slack|AIza|PRIVATE KEY|andb|WANDB|username/i;

/** The same fragments for text already in lower case (the node rules' file-level text hint). */
export const ANCHORS_IN_LOWER_CASE = new RegExp(ANCHORS.source.toLowerCase());

/** The shortest text any format can match (an AWS key id): shorter strings are skipped without a regex. */
export const MIN_SECRET_TEXT = 20;

/** Bits per character below which a body is a placeholder (`xxxx`, `0000`, `abcabc`), not an issued key. */
const MIN_ENTROPY = 3;

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Documentation keys (AWS's `AKIAIOSFODNN7EXAMPLE`) and runs of one character are not credentials. */
function isPlaceholder(secret: string): boolean {
  if (/EXAMPLE|example|XXXX|xxxx|0000000/.test(secret)) return true;
  const body = secret.replace(/^[a-z]+[_-](?:[a-z]+\d*[_-])?|^(?:AKIA|ASIA|ABIA|ACCA|AIza)/, '');
  return entropy(body) < MIN_ENTROPY;
}

/** Every credential of a known format in `text`, in order. */
export function findSecrets(text: string): SecretMatch[] {
  const found: SecretMatch[] = [];
  if (text.length < MIN_SECRET_TEXT || !ANCHORS.test(text)) return found;
  for (const match of text.matchAll(SECRET_FORMATS)) {
    // Groups of the alternatives that did not match are undefined at run time, whatever their static type says.
    const groups: Record<string, string | undefined> = match.groups ?? {};
    const [kind, secret] = Object.entries(groups).find(([, value]) => value !== undefined) ?? [];
    if (kind === undefined || secret === undefined || isPlaceholder(secret)) continue;
    found.push({ kind: KINDS[kind] ?? kind, secret, index: match.index + match[0].lastIndexOf(secret) });
  }
  return found;
}

/**
 * Enough of a secret to recognise it (its prefix and last four characters, `hf_ab…wxyz`), too little to use it.
 * Short values keep a quarter at each end at most, so that a five-letter password shows as `b…g`.
 */
export function redact(secret: string): string {
  const pem = /^(.*-----BEGIN [A-Z ]*PRIVATE KEY-----)/.exec(secret);
  if (pem !== null) return `${pem[1] ?? ''}…`;
  const keep = Math.min(5, Math.floor(secret.length / 4));
  const last = Math.min(4, Math.floor(secret.length / 4));
  return `${secret.slice(0, keep)}…${last === 0 ? '' : secret.slice(-last)}`;
}

/** `text` with every occurrence of each secret replaced by its redacted form. */
export function redactAll(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) if (secret !== '') redacted = redacted.split(secret).join(redact(secret));
  return redacted;
}

/**
 * Values written where a credential goes that are not one: empty, a template or prompt (`<your-token>`,
 * `{token}`, `${HF_TOKEN}`, `%(password)s`), masks and ellipses (`xxx`, `***`, `...`), and the name of an
 * environment variable to read it from (`HF_TOKEN`).
 */
export function isPlaceholderValue(value: string): boolean {
  const trimmed = value.trim();
  return (
    trimmed === '' ||
    /^(?:<[^<>]*>|\{[^{}]*\}|\$\{?\w+\}?|%\(\w+\)s|x+|X+|\*+|\.{3,}|…|-+|\?+|none|null)$/i.test(trimmed) ||
    /^your[\s_-]/i.test(trimmed) ||
    /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(trimmed)
  );
}
