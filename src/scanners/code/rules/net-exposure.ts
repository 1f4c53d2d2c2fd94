import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CodeRule, everyCall } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { HTTP_VERBS } from './net.js';
import { constantOf } from '../resolve.js';

export const PY_NET_004 = defineRule({
  id: 'PY-NET-004',
  domain: 'code',
  title: 'HTTP request without a timeout',
  description:
    '`requests` (module functions and `Session` methods) waits forever by default: a server that accepts the ' +
    'connection and never answers hangs the training job, the data loader or the web worker making the call, and a ' +
    'handful of such calls exhausts a serving process. `httpx` has a 5-second default and is reported only with an ' +
    'explicit `timeout=None`.',
  fix: 'Pass a timeout on every call: `requests.get(url, timeout=(5, 60))` (connect, read), or `httpx.Client(timeout=30)`; for large model downloads use a read timeout with streaming (`stream=True`) rather than none.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-400'],
  owasp: [],
  bandit: ['B113'],
  ruff: ['S113'],
});

export const REQUESTS_SESSIONS = ['requests.Session()', 'requests.session()', 'requests.sessions.Session()'];
const HTTPX_CALLS = [...HTTP_VERBS, 'stream', 'Client', 'AsyncClient'].map((name) => `httpx.${name}`);

export const missingTimeoutCheck: CodeRule = {
  rule: PY_NET_004,
  calls: [
    ...HTTP_VERBS.flatMap((verb) => [
      `requests.${verb}`,
      `requests.api.${verb}`,
      ...REQUESTS_SESSIONS.map((session) => `${session}.${verb}`),
    ]),
    ...HTTPX_CALLS,
  ],
  check(call) {
    const timeout = argumentOf(call, 'timeout');
    if (timeout?.constant?.kind === 'none')
      return { message: `${call.name} with timeout=None can wait forever for an answer` };
    // httpx has a default timeout; unpacked arguments may carry one.
    if (timeout !== undefined || call.name.startsWith('httpx.') || call.hasUnpacking) return undefined;
    return { message: `${call.name} without a timeout can wait forever for an answer` };
  },
};

export const PY_NET_005 = defineRule({
  id: 'PY-NET-005',
  domain: 'code',
  title: 'server bound to all network interfaces',
  description:
    'A host of `0.0.0.0` or `::` (or `--ip=0.0.0.0`, `--host 0.0.0.0`, `--bind_all`) makes a Gradio or Streamlit ' +
    'demo, a FastAPI/Flask model server, a Jupyter server or TensorBoard reachable from every network the machine ' +
    'is on, often without authentication: anyone on the cloud VPC, the café Wi-Fi or the internet (on a VM with a ' +
    'public address) can use the model, read the notebooks or run code. Reported where the address is used as a ' +
    'host: a `host=`/`server_name=`/`ip=` argument, a `(host, port)` address, a host-named variable, setting or ' +
    'default, or a command-line flag; the same string compared or logged is not reported.',
  fix: 'Bind to `127.0.0.1` (the default of `uvicorn`, `app.run`, `demo.launch` and Jupyter) and reach the service through an SSH tunnel or an authenticated reverse proxy; when it must listen on a network, bind the one interface it serves and put authentication in front (`demo.launch(auth=...)`, a Jupyter token).',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-1327'],
  owasp: [],
  bandit: ['B104'],
  ruff: ['S104'],
});

const ALL_INTERFACES = /^(?:0\.0\.0\.0|::|\[::\])(?::\d+)?$/;
/** A command-line flag binding all interfaces inside a longer command or argument string. */
const ALL_INTERFACES_FLAG =
  /(?:^|\s)(?:--(?:[\w.]*\.)?(?:ip|host|bind|listen|server[-_]name|address)[= ]|-b )(?:0\.0\.0\.0|::|\[::\]|\*)(?::\d+)?(?=\s|$)|(?:^|\s)--bind_all(?=\s|$)/;
/** Flags after which the next list item is the host: `["--host", "0.0.0.0"]`. */
const HOST_FLAG = /^(?:--(?:[\w.]*\.)?(?:ip|host|bind|listen|server[-_]name|address)|-b|-H)$/;
/** Names of arguments, settings and variables that hold a listening address. */
const HOST_NAME = /(?:^|_|\.)(?:host|hostname|server_name|ip|bind|address|addr|listen|interface)$/i;
/** Calls whose positional string is the host to listen on: `run_simple("0.0.0.0", 5000, app)`. */
const SERVE_CALL =
  /(?:^|\.)(?:run|run_simple|make_server|serve|launch|listen|run_app|start_server|create_server)$/;

function stringOf(node: Node | null): string | undefined {
  if (node?.type !== 'string') return undefined;
  return node.namedChildren.find((part) => part?.type === 'string_content')?.text ?? '';
}

/** The last name of an assignment target or parameter: `ip` for `c.NotebookApp.ip`. */
function nameOf(node: Node | null): string {
  if (node === null) return '';
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text ?? '';
  return node.text;
}

/** Whether an all-interfaces string `node` is used as the address to listen on, judged by where it stands. */
function isListenAddress(node: Node, empty: boolean): boolean {
  const parent = node.parent;
  if (parent === null) return false;
  switch (parent.type) {
    case 'tuple': {
      // `sock.bind(("0.0.0.0", port))`, `HTTPServer(("", 8000), Handler)`: the host of a socket address.
      if (parent.namedChildren[0]?.id !== node.id || parent.parent?.type !== 'argument_list') return false;
      const callee = parent.parent.parent?.childForFieldName('function')?.text ?? '';
      return !empty || /(?:\.bind|Server)$/.test(callee);
    }
    case 'keyword_argument':
      if (empty) return false;
      return HOST_NAME.test(parent.childForFieldName('name')?.text ?? '') || isFlagDefault(parent);
    case 'argument_list':
    case 'list': {
      if (empty) return false;
      const callee =
        (parent.type === 'argument_list' ? parent.parent?.childForFieldName('function')?.text : '') ?? '';
      const previous = stringOf(node.previousNamedSibling);
      // `["--host", "0.0.0.0"]`, and the default of `os.environ.get("SERVER_HOST", "0.0.0.0")`.
      if (previous !== undefined)
        return HOST_FLAG.test(previous) || (HOST_NAME.test(previous) && /(?:\.get|getenv)$/.test(callee));
      return parent.namedChildren[0]?.id === node.id && SERVE_CALL.test(callee);
    }
    case 'assignment':
      return (
        !empty &&
        parent.childForFieldName('right')?.id === node.id &&
        HOST_NAME.test(nameOf(parent.childForFieldName('left')))
      );
    case 'default_parameter':
    case 'typed_default_parameter':
      return !empty && HOST_NAME.test(parent.childForFieldName('name')?.text ?? '');
    case 'pair':
      return !empty && HOST_NAME.test(stringOf(parent.childForFieldName('key')) ?? '');
    default:
      return false;
  }
}

/** `parser.add_argument("--host", default="0.0.0.0")`: the default of a host option. */
function isFlagDefault(keyword: Node): boolean {
  if (keyword.childForFieldName('name')?.text !== 'default') return false;
  const first = stringOf(keyword.parent?.namedChildren[0] ?? null);
  return first !== undefined && HOST_FLAG.test(first);
}

/** Docstrings and help texts show commands to a reader; they do not run them. */
function isProse(node: Node): boolean {
  const parent = node.parent;
  if (parent?.type === 'expression_statement') return true;
  return (
    parent?.type === 'keyword_argument' &&
    /^(?:help|description|epilog|usage)$/.test(parent.childForFieldName('name')?.text ?? '')
  );
}

export const allInterfacesCheck: NodeRule = {
  rule: PY_NET_005,
  nodes: ['string'],
  // The addresses themselves, or an empty host in a `.bind(...)`/`…Server(...)` socket address.
  textHint: /0\.0\.0\.0|['"]::['"]|bind|server/,
  check(node, site) {
    const text = node.text;
    // Quick test first: string nodes are the most frequent subscribed type.
    const empty = text === '""' || text === "''";
    if (!empty && !text.includes('0.0.0.0') && !text.includes('::') && !text.includes('bind_all'))
      return undefined;
    const value = constantOf(node, site.scope);
    if (value?.kind !== 'string' || isProse(node)) return undefined;
    if (ALL_INTERFACES_FLAG.test(value.value))
      return { message: `${value.value.trim()} listens on every network interface` };
    if (!(empty || ALL_INTERFACES.test(value.value)) || !isListenAddress(node, empty)) return undefined;
    return {
      message: `listening on ${empty ? 'the empty host ("")' : value.value} binds every network interface`,
    };
  },
};

export const PY_NET_006 = defineRule({
  id: 'PY-NET-006',
  domain: 'code',
  title: 'ML demo exposed through a public tunnel',
  description:
    'Gradio `launch(share=True)` publishes the app on a public `*.gradio.live` URL, and `pyngrok`/`ngrok` ' +
    '(`ngrok.connect`, `ngrok.forward`, `flask_ngrok.run_with_ngrok`) open a tunnel from the internet to a local ' +
    'port, typically from a notebook or a GPU box. Whoever finds the URL uses the model (and the GPU and API keys ' +
    'behind it), reaches the files the app can read, and any code-execution bug in the app. `launch(share=True)` ' +
    'on an object not known to be a Gradio app is reported at low confidence; with `auth=` at low severity.',
  fix: 'Share locally (`demo.launch()` binds 127.0.0.1) and use an SSH tunnel or a Hugging Face Space with access control; if a public link is needed, require login (`demo.launch(share=True, auth=check_user)`, ngrok `basic_auth`/OAuth) and close it after the demo.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-668'],
  owasp: [],
});

const GRADIO_APPS = ['Interface', 'Blocks', 'ChatInterface', 'TabbedInterface'].flatMap((app) => [
  `gradio.${app}()`,
  `gradio.${app}().queue()`,
]);

export const gradioShareCheck: CodeRule = {
  rule: PY_NET_006,
  calls: [...GRADIO_APPS.map((app) => `${app}.launch`), '?.launch'],
  check(call) {
    const share = argumentOf(call, 'share')?.constant;
    if (share?.kind !== 'bool' || !share.value) return undefined;
    const authenticated = argumentOf(call, 'auth') !== undefined;
    return {
      message: `${call.name} with share=True publishes the app on a public URL${authenticated ? ' (behind auth=)' : ' without authentication'}`,
      ...(authenticated && { severity: 'low' }),
      ...(call.name.startsWith('?.') && { confidence: 'low' }),
    };
  },
};

export const tunnelCheck = everyCall(
  PY_NET_006,
  ['pyngrok.ngrok.connect', 'ngrok.connect', 'ngrok.forward', 'flask_ngrok.run_with_ngrok'],
  'opens a tunnel from the internet to a local port',
);
