import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { type Argument, argumentOf, type CallSite, type CodeRule, everyCall } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import type { Scope } from '../scopes.js';
import { importedNames } from './imported-names.js';
import { HTTP_VERBS } from './net.js';
import { REQUESTS_SESSIONS } from './net-exposure.js';

/**
 * The fixed beginning of a string expression: the whole value of a constant, the text before the first
 * interpolation of an f-string, the left operand of `"http://" + host`. Undefined when nothing is fixed.
 */
function literalPrefix(node: Node, scope: Scope): string | undefined {
  const constant = constantOf(node, scope);
  if (constant?.kind === 'string') return constant.value;
  if (node.type === 'string') {
    let prefix = '';
    for (const part of node.namedChildren) {
      if (part?.type === 'interpolation') break;
      if (part?.type === 'string_content' || part?.type === 'escape_sequence') prefix += part.text;
    }
    return prefix === '' ? undefined : prefix;
  }
  if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '+') {
    const left = node.childForFieldName('left');
    return left === null ? undefined : literalPrefix(left, scope);
  }
  return undefined;
}

/** Hosts on the machine or a private network, where cleartext HTTP does not cross the internet. */
const PRIVATE_HOST =
  /^(?:localhost|.*\.localhost|127\.[\d.]+|0\.0\.0\.0|\[::1?\]|10\.[\d.]+|192\.168\.[\d.]+|172\.(?:1[6-9]|2\d|3[01])\.[\d.]+|[^.]+|.*\.(?:local|internal|lan|svc|home\.arpa))$/i;

/** The public host of an `http://` URL whose host is written in the source; undefined otherwise. */
function publicHttpHost(node: Node, scope: Scope): string | undefined {
  const match = /^http:\/\/([^/:?#{}]+)(?=[/:?#]|$)/i.exec(literalPrefix(node, scope) ?? '');
  const host = match?.[1];
  return host === undefined || PRIVATE_HOST.test(host) ? undefined : host;
}

export const PY_NET_007 = defineRule({
  id: 'PY-NET-007',
  domain: 'code',
  title: 'cleartext protocol: Telnet, FTP or http:// download',
  description:
    '`telnetlib` and `ftplib.FTP` send credentials and data unencrypted, and models, data sets and checkpoints ' +
    'fetched from an `http://` URL (`requests.get`, `urllib.request.urlopen`, `torch.hub.download_url_to_file`, ' +
    '`hf_hub_download(endpoint=...)`, `load_dataset(data_files=...)`, `keras.utils.get_file`, `pandas.read_csv`) ' +
    'can be read and replaced by anyone on the path: a swapped pickle or checkpoint runs code when loaded. Imports ' +
    'of `telnetlib` and `ftplib` (other than `FTP_TLS`) are reported too; `http://` URLs to localhost, private ' +
    'addresses and single-label service names are not.',
  fix: 'Use `https://` URLs (and pin a checksum or revision for downloaded artefacts), `ftplib.FTP_TLS` with `prot_p()` or SFTP (`paramiko`), and SSH instead of Telnet.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-319'],
  owasp: ['ML06:2023'],
  bandit: ['B312', 'B321', 'B401', 'B402'],
  ruff: ['S312', 'S321', 'S401', 'S402'],
});

/** Where each download call takes its URL: [keyword, position], several for `load_dataset`. */
const URL_ARGUMENTS: Readonly<Record<string, readonly (readonly [string, number?])[]>> = {
  ...Object.fromEntries(
    HTTP_VERBS.flatMap((verb) => {
      const url: readonly [string, number] = ['url', verb === 'request' ? 1 : 0];
      return [
        `requests.${verb}`,
        `requests.api.${verb}`,
        `httpx.${verb}`,
        ...REQUESTS_SESSIONS.map((session) => `${session}.${verb}`),
      ].map((name) => [name, [url]]);
    }),
  ),
  'urllib.request.urlopen': [['url', 0]],
  'urllib.request.urlretrieve': [['url', 0]],
  'urllib.request.Request': [['url', 0]],
  'torch.hub.download_url_to_file': [['url', 0]],
  'torch.hub.load_state_dict_from_url': [['url', 0]],
  'torch.utils.model_zoo.load_url': [['url', 0]],
  'huggingface_hub.hf_hub_download': [['endpoint']],
  'huggingface_hub.snapshot_download': [['endpoint']],
  'huggingface_hub.HfApi': [['endpoint', 0]],
  'datasets.load_dataset': [['path', 0], ['data_files']],
  'keras.utils.get_file': [['origin', 1]],
  'tensorflow.keras.utils.get_file': [['origin', 1]],
  'wget.download': [['url', 0]],
  'pandas.read_csv': [['filepath_or_buffer', 0]],
  'pandas.read_parquet': [['path', 0]],
  'pandas.read_json': [['path_or_buf', 0]],
};

/** The nodes of a URL argument: itself, or the strings of a list or dict of them (`data_files={...}`). */
function urlNodes(argument: Argument): readonly Node[] {
  const node = argument.node;
  if (node.type === 'list' || node.type === 'tuple')
    return node.namedChildren.filter((child) => child !== null);
  if (node.type === 'dictionary')
    return node.namedChildren.flatMap((pair) => {
      const value = pair?.childForFieldName('value');
      return value === null || value === undefined
        ? []
        : value.type === 'list'
          ? value.namedChildren.filter((child) => child !== null)
          : [value];
    });
  return [node];
}

const cleartextDownloadCheck: CodeRule = {
  rule: PY_NET_007,
  calls: Object.keys(URL_ARGUMENTS),
  check(call) {
    for (const [keyword, position] of URL_ARGUMENTS[call.name] ?? []) {
      const argument = argumentOf(call, keyword, position);
      if (argument === undefined) continue;
      for (const node of urlNodes(argument)) {
        const host = publicHttpHost(node, call.scope);
        if (host !== undefined)
          return { message: `${call.name} fetches from http://${host} in cleartext`, node };
      }
    }
    return undefined;
  },
};

const cleartextClientCheck = everyCall(
  PY_NET_007,
  ['telnetlib.Telnet', 'ftplib.FTP'],
  'sends credentials and data in cleartext',
);

/** `ftplib` names that involve no cleartext session: the TLS client and the exceptions. */
const FTPLIB_SAFE_NAMES = new Set([
  'FTP_TLS',
  'all_errors',
  'error_perm',
  'error_reply',
  'error_temp',
  'error_proto',
]);

const cleartextImportCheck: NodeRule = {
  rule: PY_NET_007,
  nodes: ['import_statement', 'import_from_statement'],
  textHint: /telnetlib|ftplib/,
  check(node) {
    const text = node.text;
    // Quick test first: import statements are frequent.
    if (!text.includes('telnetlib') && !text.includes('ftplib')) return undefined;
    const imported = importedNames(node).find((name) => {
      const [module, member] = name.split('.');
      return (module === 'telnetlib' || module === 'ftplib') && !FTPLIB_SAFE_NAMES.has(member ?? '');
    });
    if (imported === undefined) return undefined;
    return {
      message: `import of ${imported}: ${imported.startsWith('telnetlib') ? 'Telnet' : 'FTP'} is a cleartext protocol`,
    };
  },
};

export const CLEARTEXT_CALLS: readonly CodeRule[] = [cleartextDownloadCheck, cleartextClientCheck];
export const CLEARTEXT_NODES: readonly NodeRule[] = [cleartextImportCheck];

export const PY_NET_008 = defineRule({
  id: 'PY-NET-008',
  domain: 'code',
  title: 'urllib opens a URL whose scheme is not fixed',
  description:
    '`urllib.request.urlopen`, `urlretrieve`, `Request` and opener `open` calls accept `file://` (and `ftp://`, ' +
    'custom handlers) as well as `http(s)://`: a URL that comes from a request, a config or a model card can read ' +
    'local files such as `file:///etc/passwd` or credentials, and return them to the caller. Reported when the URL ' +
    'is not a literal with an `http(s)://` prefix (at high confidence when it is a `file://` literal or comes from ' +
    'an untrusted source); the legacy `URLopener`/`FancyURLopener` classes are always reported.',
  fix: 'Check the scheme before opening (`urllib.parse.urlsplit(url).scheme in {"https"}`) or use `requests`/`httpx`, which only speak HTTP(S); write the `https://` prefix in the source and interpolate only the path.',
  severity: 'medium',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-22', 'CWE-939'],
  owasp: [],
  bandit: ['B310'],
  ruff: ['S310'],
});

const URLLIB_ROOTS = ['urllib.request', 'six.moves.urllib.request'];
const URL_OPENERS = [
  ...URLLIB_ROOTS.flatMap((root) => [
    `${root}.urlopen`,
    `${root}.urlretrieve`,
    `${root}.Request`,
    `${root}.OpenerDirector().open`,
    `${root}.build_opener().open`,
  ]),
  'urllib.urlopen',
  'urllib.urlretrieve',
  'urllib2.urlopen',
  'urllib2.Request',
];
const LEGACY_OPENERS = URLLIB_ROOTS.flatMap((root) => [`${root}.URLopener`, `${root}.FancyURLopener`]);

const isRequestObject = (node: Node, scope: Scope): boolean =>
  qualifiedNames(node, scope).some((name) => name.endsWith('.Request()'));

const urlArgument = (call: CallSite): Argument | undefined =>
  argumentOf(call, call.name.endsWith('.open') ? 'fullurl' : 'url', 0);

export const urlSchemeCheck: CodeRule = {
  rule: PY_NET_008,
  calls: [...URL_OPENERS, ...LEGACY_OPENERS],
  sink: { arguments: (call) => [urlArgument(call)] },
  check(call) {
    if (LEGACY_OPENERS.includes(call.name))
      return {
        message: `${call.name} opens file:// and other local URLs (and is deprecated)`,
        confidence: 'high',
      };
    const url = urlArgument(call);
    if (url === undefined) return undefined;
    const scheme = /^([a-z][a-z0-9+.-]*):/i
      .exec(literalPrefix(url.node, call.scope) ?? '')?.[1]
      ?.toLowerCase();
    if (scheme === 'http' || scheme === 'https') return undefined;
    if (scheme !== undefined)
      return {
        message: `${call.name} opens a ${scheme}: URL`,
        confidence: scheme === 'ftp' ? 'medium' : 'high',
      };
    // A Request object built here was checked where it was built.
    if (isRequestObject(url.node, call.scope)) return undefined;
    return { message: `${call.name} opens a URL whose scheme is not fixed (file:// would read local files)` };
  },
};

export const PY_NET_010 = defineRule({
  id: 'PY-NET-010',
  domain: 'code',
  title: 'SNMP without encryption (v1/v2c community, v3 without privacy)',
  description:
    'pysnmp `CommunityData` speaks SNMPv1 (`mpModel=0`) or v2c (`mpModel=1`, the default): the community string ' +
    'is a cleartext password and the data travels unencrypted. `UsmUserData` without `authKey` and `privKey` is ' +
    'SNMPv3 noAuthNoPriv or authNoPriv: no authentication, or authenticated but readable. Monitoring of GPU nodes ' +
    'and network gear set up this way leaks the credentials and lets them be reused to reconfigure devices.',
  fix: 'Use SNMPv3 with authentication and privacy: `UsmUserData("user", authKey, privKey, authProtocol=usmHMACSHAAuthProtocol, privProtocol=usmAesCfb128Protocol)`.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-319'],
  owasp: [],
  bandit: ['B508', 'B509'],
  ruff: ['S508', 'S509'],
});

export const snmpCheck: CodeRule = {
  rule: PY_NET_010,
  calls: ['pysnmp.*.CommunityData', 'pysnmp.*.UsmUserData'],
  check(call) {
    if (call.name.endsWith('.CommunityData')) {
      const model = argumentOf(call, 'mpModel')?.constant;
      const version = model?.kind === 'number' && model.value === 0 ? 'SNMPv1' : 'SNMPv2c';
      return { message: `${call.name} uses ${version}: the community string and data travel in cleartext` };
    }
    if (call.hasUnpacking || argumentOf(call, 'privKey', 2) !== undefined) return undefined;
    const level = argumentOf(call, 'authKey', 1) === undefined ? 'noAuthNoPriv' : 'authNoPriv';
    return { message: `${call.name} without privKey is SNMPv3 ${level}: the data travels unencrypted` };
  },
};

export const PY_NET_011 = defineRule({
  id: 'PY-NET-011',
  domain: 'code',
  title: 'CGI handler open to httpoxy',
  description:
    '`wsgiref.handlers.CGIHandler` and Twisted `twcgi.CGIScript`/`CGIDirectory` put request headers into the ' +
    'environment as `HTTP_*` variables: a client sending `Proxy: attacker:8080` sets `HTTP_PROXY`, which ' +
    "`requests`, `urllib` and many clients then use, sending the app's outgoing calls (with their API keys) " +
    'through the attacker (httpoxy, CVE-2016-5385 and siblings).',
  fix: 'Serve the WSGI app with a real server (`gunicorn`, `uvicorn`, `waitress`) instead of CGI, or strip the `Proxy` request header at the front server; in the app, ignore `HTTP_PROXY` when running under CGI (`REQUEST_METHOD` set).',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-284'],
  owasp: [],
  bandit: ['B412'],
  ruff: ['S412'],
});

export const httpoxyCheck = everyCall(
  PY_NET_011,
  ['wsgiref.handlers.CGIHandler', 'twisted.web.twcgi.CGIScript', 'twisted.web.twcgi.CGIDirectory'],
  'passes the Proxy request header to the app as HTTP_PROXY (httpoxy)',
);

export const PY_NET_012 = defineRule({
  id: 'PY-NET-012',
  domain: 'code',
  title: 'server-side request forgery: untrusted URL fetched',
  description:
    "A URL taken from a request, the command line or an LLM's output (a tool call of an agent) and fetched with " +
    '`requests`, `httpx`, `aiohttp`, `urllib` or `urllib3` lets its author make the server call any address it can ' +
    'reach: cloud metadata endpoints (`169.254.169.254`, credentials), internal model servers, vector stores and ' +
    'admin APIs. Reported only when such a source reaches the URL and the scheme and host are not fixed in the source.',
  fix: 'Fix the host in code (`f"https://api.example.com/{quote(path)}"`) or check the parsed URL against an allow-list of schemes and hosts (`urllib.parse.urlsplit(url)`), resolve and reject private, loopback and link-local addresses, and disable redirects (`allow_redirects=False`) or re-check each hop.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-918'],
  owasp: [],
});

const CLIENT_OBJECTS = [
  ...REQUESTS_SESSIONS,
  'httpx.Client()',
  'httpx.AsyncClient()',
  'aiohttp.ClientSession()',
  'urllib3.PoolManager()',
];
const SSRF_CALLS = [
  ...HTTP_VERBS.flatMap((verb) => [`requests.${verb}`, `requests.api.${verb}`, `httpx.${verb}`]),
  ...HTTP_VERBS.flatMap((verb) => CLIENT_OBJECTS.map((client) => `${client}.${verb}`)),
  'httpx.stream',
  'aiohttp.request',
  'urllib3.PoolManager().urlopen',
  'urllib3.request',
  ...URL_OPENERS,
];

/** Where the URL is: second for `request(method, url)` and `urlopen(method, url)`, first otherwise. */
function requestedUrl(call: CallSite): Argument | undefined {
  const last = call.name.slice(call.name.lastIndexOf('.') + 1);
  const methodFirst =
    last === 'request' || last === 'stream' || (last === 'urlopen' && call.name.startsWith('urllib3.'));
  return call.name.endsWith('.open')
    ? argumentOf(call, 'fullurl', 0)
    : argumentOf(call, 'url', methodFirst ? 1 : 0);
}

/** `https://host/` written in the source: whatever follows, the request goes to that host. */
const FIXED_HOST = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i;

export const ssrfCheck: CodeRule = {
  rule: PY_NET_012,
  calls: SSRF_CALLS,
  check(call) {
    const url = requestedUrl(call);
    if (url === undefined || FIXED_HOST.test(literalPrefix(url.node, call.scope) ?? '')) return undefined;
    // A Request object is reported where it is built from the URL.
    if (isRequestObject(url.node, call.scope)) return undefined;
    const source = call.taint(url.node);
    // The environment and earlier responses are configuration and pagination, not an attacker's choice of host.
    if (source === undefined || (source.kind !== 'user' && source.kind !== 'llm')) return undefined;
    return { message: `${call.name} fetches a URL taken from ${source.label} on line ${source.line}` };
  },
};
