import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { type Constant, constantOf, qualifiedNames } from '../resolve.js';

/** Disabled certificate checks let anyone on the path swap the model, data set or API response in transit. */
const CERTIFICATE_CHECK = {
  verdict: 'suspicious',
  cwe: ['CWE-295'],
  owasp: ['ML06:2023'],
} as const;

export const PY_NET_001 = defineRule({
  id: 'PY-NET-001',
  domain: 'code',
  title: 'HTTP request with certificate verification disabled',
  description:
    '`verify=False` on `requests` and `httpx` calls and clients, and `ssl=False` / `verify_ssl=False` on an ' +
    '`aiohttp` connector or request, accept any TLS certificate: whoever sits on the network path can serve ' +
    'their own weights, data set or API answer, or read the token sent with the request.',
  fix: 'Leave verification on (`verify=True`, the default). For a private CA pass its bundle: `verify="/etc/ssl/certs/corp-ca.pem"` (or set `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE`); for aiohttp pass `ssl=ssl.create_default_context(cafile=...)`.',
  severity: 'high',
  confidence: 'high',
  bandit: ['B501'],
  ruff: ['S501'],
  ...CERTIFICATE_CHECK,
});

/** The request functions of `requests` and `httpx`, which are also the method names of their sessions and clients. */
export const HTTP_VERBS = ['request', 'get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
const AIOHTTP_CALLS = ['aiohttp.TCPConnector', 'aiohttp.request', 'aiohttp.ClientSession'];

const isFalse = (constant: Constant | undefined): boolean => constant?.kind === 'bool' && !constant.value;

export const unverifiedRequestCheck: CodeRule = {
  rule: PY_NET_001,
  calls: [
    ...HTTP_VERBS.flatMap((verb) => [`requests.${verb}`, `requests.api.${verb}`, `httpx.${verb}`]),
    'httpx.stream',
    'httpx.Client',
    'httpx.AsyncClient',
    ...AIOHTTP_CALLS,
  ],
  check(call) {
    const keywords = AIOHTTP_CALLS.includes(call.name) ? ['ssl', 'verify_ssl'] : ['verify'];
    for (const keyword of keywords) {
      if (isFalse(argumentOf(call, keyword)?.constant))
        return { message: `${call.name} with ${keyword}=False accepts any TLS certificate` };
    }
    return undefined;
  },
};

export const PY_NET_002 = defineRule({
  id: 'PY-NET-002',
  domain: 'code',
  title: 'unverified SSL context',
  description:
    '`ssl._create_unverified_context()` (and `ssl._create_stdlib_context`) build a context that checks neither the ' +
    'certificate nor the host name; `cert_reqs=ssl.CERT_NONE` (or `"CERT_NONE"` for urllib3) does the same for ' +
    '`ssl.wrap_socket`, `urllib3.PoolManager` and friends. Often pasted in to get past a download error, it makes ' +
    'every connection through it open to interception.',
  fix: 'Use `ssl.create_default_context()` (pass `cafile=` for a private CA) and keep `cert_reqs=ssl.CERT_REQUIRED`; fix certificate errors by installing the CA bundle (`certifi`) rather than turning verification off.',
  severity: 'high',
  confidence: 'high',
  bandit: ['B323'],
  ruff: ['S323'],
  ...CERTIFICATE_CHECK,
});

const UNVERIFIED_CONTEXT_FACTORIES = ['ssl._create_unverified_context', 'ssl._create_stdlib_context'];

const isCertNone = (constant: Constant | undefined): boolean =>
  (constant?.kind === 'string' && constant.value === 'CERT_NONE') ||
  (constant?.kind === 'reference' && constant.names.includes('ssl.CERT_NONE'));

export const unverifiedContextCheck: CodeRule = {
  rule: PY_NET_002,
  calls: [
    ...UNVERIFIED_CONTEXT_FACTORIES,
    'ssl.wrap_socket',
    'urllib3.PoolManager',
    'urllib3.ProxyManager',
    'urllib3.HTTPSConnectionPool',
    'urllib3.connection_from_url',
  ],
  check(call) {
    if (UNVERIFIED_CONTEXT_FACTORIES.includes(call.name))
      return { message: `${call.name} builds a context that verifies neither certificate nor host name` };
    const certReqs = argumentOf(call, 'cert_reqs');
    if (!isCertNone(certReqs?.constant)) return undefined;
    return {
      message: `${call.name} with cert_reqs=${certReqs?.node.text ?? ''} accepts any TLS certificate`,
    };
  },
};

export const PY_NET_009 = defineRule({
  id: 'PY-NET-009',
  domain: 'code',
  title: 'paramiko accepts unknown SSH host keys',
  description:
    '`paramiko.AutoAddPolicy` trusts and stores the key of any host on first connection, and `WarningPolicy` only ' +
    'logs it: a man in the middle of the first (or every) connection to a training node or data server receives ' +
    'the credentials and the data sent over it.',
  fix: 'Load known hosts (`client.load_system_host_keys()` or `client.load_host_keys(path)`) and keep the default `paramiko.RejectPolicy()`; distribute host keys to the machines that connect.',
  severity: 'high',
  confidence: 'high',
  bandit: ['B507'],
  ruff: ['S507'],
  ...CERTIFICATE_CHECK,
});

const LAX_POLICIES = ['AutoAddPolicy', 'WarningPolicy'].flatMap((policy) => [
  `paramiko.${policy}`,
  `paramiko.client.${policy}`,
]);
const SET_POLICY = 'set_missing_host_key_policy';

/**
 * Instances of the lax policies wherever they are made, and the classes themselves passed uncalled to
 * `set_missing_host_key_policy` (paramiko instantiates a class it is given). The method is matched on any
 * client, resolved or not: the argument's qualified name is what makes the finding.
 */
export const sshHostKeyCheck: CodeRule = {
  rule: PY_NET_009,
  calls: [...LAX_POLICIES, `*.${SET_POLICY}`, `?.${SET_POLICY}`],
  check(call) {
    if (!call.name.endsWith(`.${SET_POLICY}`))
      return { message: `${call.name} accepts SSH host keys it has never seen` };
    const policy = argumentOf(call, 'policy', 0);
    // An instance (`AutoAddPolicy()`) is reported where it is made.
    if (policy === undefined || policy.node.type === 'call') return undefined;
    const lax = qualifiedNames(policy.node, call.scope).find((name) => LAX_POLICIES.includes(name));
    return lax === undefined
      ? undefined
      : { message: `${SET_POLICY}(${lax}) accepts SSH host keys it has never seen` };
  },
};

export const PY_NET_003 = defineRule({
  id: 'PY-NET-003',
  domain: 'code',
  title: 'insecure SSL/TLS protocol version',
  description:
    'SSLv2, SSLv3, TLS 1.0 and TLS 1.1 are broken or deprecated (POODLE, BEAST, RFC 8996). Passing ' +
    '`ssl.PROTOCOL_SSLv2`/`SSLv3`/`TLSv1`/`TLSv1_1` (or pyOpenSSL `SSLv2_METHOD`, `SSLv23_METHOD`, `SSLv3_METHOD`, ' +
    '`TLSv1_METHOD`, `TLSv1_1_METHOD`) to `ssl.SSLContext`, `ssl.wrap_socket`, `OpenSSL.SSL.Context` or urllib3 pins ' +
    'the connection to it; `ssl.wrap_socket` without `ssl_version` uses weak defaults on old Pythons. A ' +
    'function whose parameter defaults to one of them hands it to every caller that relies on the default.',
  fix: 'Use `ssl.create_default_context()` (TLS 1.2+ with verification), or `ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)` with `context.minimum_version = ssl.TLSVersion.TLSv1_2`; for pyOpenSSL use `SSL.TLS_CLIENT_METHOD`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-327'],
  owasp: [],
  bandit: ['B502', 'B503', 'B504'],
  ruff: ['S502', 'S503', 'S504'],
});

const INSECURE_PROTOCOLS = new Set([
  'PROTOCOL_SSLv2',
  'PROTOCOL_SSLv3',
  'PROTOCOL_TLSv1',
  'PROTOCOL_TLSv1_1',
  'SSLv2_METHOD',
  'SSLv23_METHOD',
  'SSLv3_METHOD',
  'TLSv1_METHOD',
  'TLSv1_1_METHOD',
]);

/** Where each subscribed call takes its protocol: keyword, and position when it has one. */
const PROTOCOL_ARGUMENT: Readonly<Record<string, readonly [string, number?]>> = {
  'ssl.SSLContext': ['protocol', 0],
  'ssl.wrap_socket': ['ssl_version'],
  'OpenSSL.SSL.Context': ['method', 0],
  'urllib3.PoolManager': ['ssl_version'],
  'urllib3.HTTPSConnectionPool': ['ssl_version'],
  'urllib3.connection_from_url': ['ssl_version'],
};

const insecureProtocolOf = (constant: Constant | undefined): string | undefined =>
  constant?.kind === 'reference'
    ? constant.names
        .map((name) => name.slice(name.lastIndexOf('.') + 1))
        .find((segment) => INSECURE_PROTOCOLS.has(segment))
    : undefined;

export const insecureProtocolCheck: CodeRule = {
  rule: PY_NET_003,
  calls: Object.keys(PROTOCOL_ARGUMENT),
  check(call) {
    const [keyword, position] = PROTOCOL_ARGUMENT[call.name] ?? ['ssl_version'];
    const argument = argumentOf(call, keyword, position);
    const protocol = insecureProtocolOf(argument?.constant);
    if (protocol !== undefined)
      return { message: `${call.name} with ${protocol} uses a broken SSL/TLS version` };
    if (call.name === 'ssl.wrap_socket' && argument === undefined && !call.hasUnpacking)
      return {
        message:
          'ssl.wrap_socket without ssl_version may negotiate a weak protocol (and is gone in Python 3.12)',
        severity: 'low',
        confidence: 'medium',
      };
    return undefined;
  },
};

/** `def connect(version=ssl.PROTOCOL_SSLv2)`: an insecure protocol as a parameter default (bandit B503). */
export const insecureProtocolDefaultCheck: NodeRule = {
  rule: PY_NET_003,
  nodes: ['default_parameter', 'typed_default_parameter'],
  textHint: /protocol_|_method/,
  check(parameter, site) {
    const value = parameter.childForFieldName('value');
    // Only attribute references can name a protocol constant; literals and calls are skipped before resolving.
    if (value?.type !== 'attribute' && value?.type !== 'identifier') return undefined;
    const protocol = insecureProtocolOf(constantOf(value, site.scope));
    if (protocol === undefined) return undefined;
    const name = parameter.childForFieldName('name')?.text ?? parameter.firstNamedChild?.text ?? 'parameter';
    return { message: `parameter ${name} defaults to ${protocol}, a broken SSL/TLS version` };
  },
};
