import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch } from '../../code/call-site.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';
import { isDocstring, wholeStringText } from './value-marks.js';

export const PKG_EXF_002 = defineRule({
  id: 'PKG-EXF-002',
  domain: 'package',
  title: 'package holds a data-exfiltration endpoint',
  description:
    'A string literal in package code names a place stolen data is typically sent to: a Discord or Slack ' +
    'incoming webhook, the Telegram bot API, a request-capture service (webhook.site, RequestBin, Pipedream), an ' +
    'out-of-band interaction server (interactsh `oast.*`, Burp Collaborator, dnslog) or a tunnel (ngrok, ' +
    'trycloudflare). Libraries have no reason to ship such a URL with its secret token; stealers and ' +
    'dependency-confusion probes always do. A bare API base URL without a token (low), or a mention in a docstring ' +
    '(low, at low confidence), is reported at lower severity.',
  fix: "Do not install the package unless you can tell why it talks to this endpoint. A legitimate notifier takes the webhook URL from its user's configuration rather than shipping one; report a package that ships its own.",
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-200', 'CWE-506'],
  owasp: ['ML06:2023'],
});

interface Endpoint {
  readonly pattern: RegExp;
  /** What the endpoint is, for messages. */
  readonly what: string;
  /**
   * The endpoint carries its secret (a webhook id and token, a bot token) or is itself a capture service: the
   * URL can only be someone's collection point. Otherwise (an API base URL) it is reported at medium.
   */
  readonly complete?: RegExp;
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    pattern: /\b(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\b/i,
    what: 'a Discord webhook',
    complete: /webhooks\/\d{6,}\/[\w-]{20,}/,
  },
  {
    pattern: /\bapi\.telegram\.org\/(?:file\/)?bot/i,
    what: 'the Telegram bot API',
    complete: /\/bot\d{5,}:[\w-]{20,}/,
  },
  {
    pattern: /\bhooks\.slack\.com\/(?:services|workflows|triggers)\//i,
    what: 'a Slack incoming webhook',
    complete: /\/(?:services|workflows|triggers)\/\w{6,}\/\w+/,
  },
  { pattern: /\bwebhook\.site\b/i, what: 'webhook.site, a request-capture service', complete: /./ },
  {
    pattern:
      /\b(?:requestbin\.(?:com|net|io)|[\w-]+\.m\.pipedream\.net|pipedream\.net\/|requestcatcher\.com|beeceptor\.com|hookbin\.com)\b/i,
    what: 'a request-capture service',
    complete: /./,
  },
  {
    pattern:
      /\b[\w.-]*\.(?:oast\.(?:fun|pro|live|site|online|me)|oastify\.com|burpcollaborator\.net|interact\.sh|dnslog\.cn|ceye\.io)\b|\b(?:interact\.sh|dnslog\.cn|ceye\.io)\b/i,
    what: 'an out-of-band interaction server (interactsh, Burp Collaborator, dnslog)',
    complete: /./,
  },
  {
    pattern:
      /\b[\w-]+\.(?:ngrok\.io|ngrok-free\.app|ngrok\.app|ngrok-free\.dev|ngrok\.dev|trycloudflare\.com|serveo\.net|loca\.lt)\b/i,
    what: "a tunnel to someone's own machine (ngrok, trycloudflare, serveo, localtunnel)",
    complete: /./,
  },
];

/** Lower-case text any file with an endpoint contains. */
const ENDPOINT_HINT =
  /discord|telegram|slack\.com|webhook\.site|requestbin|pipedream|requestcatcher|beeceptor|hookbin|oast|burpcollaborator|interact\.sh|dnslog|ceye\.io|ngrok|trycloudflare|serveo|loca\.lt/;

/** The literal is completed where it stands: it has interpolations, or is concatenated or formatted. */
function isCompletedInPlace(node: Node): boolean {
  if (node.namedChildren.some((part) => part?.type === 'interpolation')) return true;
  const parent = node.parent;
  if (parent?.type === 'binary_operator') return true;
  return parent?.type === 'attribute' && parent.childForFieldName('attribute')?.text === 'format';
}

function checkEndpoint(node: Node): CodeMatch | undefined {
  // Parts of an implicit concatenation are checked as a whole.
  const text = wholeStringText(node);
  if (text === undefined) return undefined;
  for (const endpoint of ENDPOINTS) {
    const found = endpoint.pattern.exec(text);
    if (found === null) continue;
    const evidence = found[0];
    if (isDocstring(node))
      return {
        message: `a docstring mentions ${endpoint.what} (${evidence})`,
        severity: 'low',
        confidence: 'low',
        evidence,
      };
    // A URL completed in place (`f"…/bot{TOKEN}/sendMessage"`, `"…/webhooks/" + ID`) is as good as a full one.
    if (endpoint.complete?.test(text) === true || isCompletedInPlace(node))
      return { message: `${endpoint.what}: ${evidence}` };
    return {
      message: `${endpoint.what} (${evidence}), without its token in the literal: an API client's base URL, or one completed elsewhere`,
      severity: 'low',
      confidence: 'medium',
    };
  }
  return undefined;
}

const endpointCheck: NodeRule = {
  rule: PKG_EXF_002,
  nodes: ['string', 'concatenated_string'],
  textHint: ENDPOINT_HINT,
  check: (node) => checkEndpoint(node),
};

export const ENDPOINTS_FAMILY: RuleFamily = { rules: [PKG_EXF_002], calls: [], nodes: [endpointCheck] };
