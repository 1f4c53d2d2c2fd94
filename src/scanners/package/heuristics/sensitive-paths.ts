/**
 * Files and folders that hold credentials or personal data, as they appear in the string literals code builds
 * paths from (`~/.ssh/id_rsa`, `os.path.join(home, ".aws", "credentials")`, `r"Google\Chrome\User Data"`).
 * Patterns are tested against one literal with backslashes turned into slashes.
 */
const SENSITIVE_PATHS: readonly (readonly [RegExp, string])[] = [
  [/(?:^|\/)id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?!\.pub|\w)/, 'SSH private keys'],
  [/(?:^|\/)\.ssh(?:\/|$)/, 'the SSH folder (~/.ssh)'],
  [/(?:^|\/)\.aws(?:\/|$)/, 'AWS credentials (~/.aws)'],
  [
    /(?:^|\/)\.config\/gcloud(?:\/|$)|(?:^|\/)gcloud$|application_default_credentials\.json/,
    'Google Cloud credentials',
  ],
  [/(?:^|\/)\.azure(?:\/|$)/, 'Azure credentials (~/.azure)'],
  [/(?:^|\/)\.kube(?:\/|$)/, 'Kubernetes credentials (~/.kube/config)'],
  [/(?:^|\/)\.docker\/config\.json|(?:^|\/)\.docker$/, 'Docker registry credentials'],
  [/(?:^|\/)\.git-credentials$|(?:^|\/)\.git-credentials\b/, 'Git credentials (.git-credentials)'],
  [/(?:^|\/)[._]netrc$/, 'the .netrc file'],
  [/(?:^|\/)\.pypirc$/, 'PyPI upload credentials (.pypirc)'],
  [/(?:^|\/)\.npmrc$/, 'npm credentials (.npmrc)'],
  [/(?:^|\/)\.(?:bash|zsh)_history$/, 'the shell history'],
  [/(?:^|\/)(?:Login Data|Web Data|Local State)$|(?:^|\/)User Data(?:\/|$)/, 'browser passwords and keys'],
  [/(?:^|\/)Cookies$|cookies\.sqlite$/, 'browser cookies'],
  [/(?:^|\/)(?:logins\.json|key[34]\.db)$/, 'Firefox saved passwords'],
  [/Local Storage\/leveldb/, 'app tokens (Local Storage/leveldb)'],
  [
    /(?:^|\/)wallet\.dat$|(?:^|\/)(?:\.electrum|Electrum\/wallets|Exodus|\.bitcoin|Ethereum\/keystore)(?:\/|$)|nkbihfbeogaeaoehlefnkodbefgpgknn/,
    'cryptocurrency wallets',
  ],
  [/^\/etc\/(?:passwd|shadow)$/, 'system accounts (/etc/passwd, /etc/shadow)'],
];

/** Files of the SSH folder that are public or configuration, read by every SSH client. */
export const PUBLIC_SSH_FILE = /known_hosts|authorized_keys|\bconfig\b|\.pub\b|ssh_config/;

/**
 * What sensitive data the literal `text` names, if any. `context` is the statement it is written in: the SSH
 * folder there counts only when the statement does not name one of its public files (`known_hosts`).
 */
export function sensitivePathIn(text: string, context: string): string | undefined {
  const path = text.replace(/\\\\?/g, '/');
  if (path.length > 400) return undefined;
  for (const [pattern, label] of SENSITIVE_PATHS) {
    if (!pattern.test(path)) continue;
    if (label.startsWith('the SSH folder') && PUBLIC_SSH_FILE.test(context)) return undefined;
    return label;
  }
  return undefined;
}

/** Lower-case text any file that reads sensitive data contains (a necessary condition, used to skip files). */
export const SENSITIVE_HINT =
  /\.ssh|id_rsa|id_ed25519|id_ecdsa|id_dsa|\.aws|gcloud|application_default|\.azure|\.kube|\.docker|git-credentials|netrc|pypirc|npmrc|_history|login data|web data|local state|user data|cookies|logins\.json|key[34]\.db|leveldb|wallet|electrum|exodus|bitcoin|ethereum|nkbihfbeogaeaoehlefnkodbefgpgknn|\/etc\/passwd|\/etc\/shadow|environ/;
