import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch, Site } from '../../code/call-site.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';

export const PKG_URL_001 = defineRule({
  id: 'PKG-URL-001',
  domain: 'package',
  title: 'URL to a paste site, shortener, file drop, tunnel, dynamic DNS, .onion or bare IP address',
  description:
    'A string holding a URL whose host is a public IP address, a paste site (pastebin, paste.ee, rentry…), a URL ' +
    'shortener (bit.ly, tinyurl…), an anonymous file drop (transfer.sh, file.io…), a tunnel (ngrok, ' +
    'trycloudflare), a dynamic-DNS name (duckdns, no-ip…) or a Tor `.onion` service. Such hosts let an attacker ' +
    'change or hide what is served, without a domain tied to anyone; ordinary libraries point at their own ' +
    'domains. URLs in docstrings, in sentences (messages pointing at help pages) and in comments are documentation ' +
    'and are not reported.',
  fix: "Check what the URL serves and why the package needs it. Use the project's own, named domains for downloads and APIs, and do not install a package that fetches from throwaway hosts.",
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

const PASTE_SITES = [
  'pastebin.com',
  'paste.ee',
  'hastebin.com',
  'hastebin.skyra.pw',
  'toptal.com/developers/hastebin',
  'rentry.co',
  'rentry.org',
  'ghostbin.co',
  'ghostbin.com',
  'dpaste.com',
  'dpaste.org',
  'pastie.org',
  'paste.rs',
  'ix.io',
  'sprunge.us',
  'termbin.com',
  'controlc.com',
  'justpaste.it',
  'privatebin.net',
  'pastefy.app',
  'paste2.org',
  '0bin.net',
  'pastes.io',
  'paste.gg',
];
const SHORTENERS = [
  'bit.ly',
  'tinyurl.com',
  'is.gd',
  'v.gd',
  't.co',
  'goo.gl',
  'cutt.ly',
  'rb.gy',
  'ow.ly',
  'buff.ly',
  'shorturl.at',
  'tiny.cc',
  't.ly',
  'rebrand.ly',
  'bl.ink',
  's.id',
  'adf.ly',
  'shorte.st',
  'clck.ru',
  'u.to',
  'tinyurl.ph',
  'qrco.de',
];
const FILE_DROPS = [
  'transfer.sh',
  'anonfiles.com',
  'anonfile.com',
  'file.io',
  'temp.sh',
  '0x0.st',
  'bashupload.com',
  'gofile.io',
  'catbox.moe',
  'uguu.se',
  'filebin.net',
  'oshi.at',
  'tmpfiles.org',
  'pixeldrain.com',
  'anonymfile.com',
  'cdn.discordapp.com',
  'media.discordapp.net',
  'send.vis.ee',
];
const TUNNELS = [
  'ngrok.io',
  'ngrok-free.app',
  'ngrok.app',
  'trycloudflare.com',
  'serveo.net',
  'loca.lt',
  'localhost.run',
];
const DYNAMIC_DNS = [
  'duckdns.org',
  'no-ip.com',
  'no-ip.org',
  'no-ip.biz',
  'no-ip.info',
  'noip.com',
  'ddns.net',
  'hopto.org',
  'zapto.org',
  'sytes.net',
  'serveftp.com',
  'myftp.org',
  'myftp.biz',
  'redirectme.net',
  'servebeer.com',
  'servehttp.com',
  'dynu.net',
  'afraid.org',
  'dyndns.org',
  'dynv6.net',
  'mooo.com',
  'chickenkiller.com',
  'freeddns.org',
  'ddnsfree.com',
];

const CATEGORIES: readonly (readonly [string, readonly string[]])[] = [
  ['a paste site', PASTE_SITES],
  ['a URL shortener', SHORTENERS],
  ['an anonymous file drop', FILE_DROPS],
  ['a tunnel service', TUNNELS],
  ['a dynamic-DNS host', DYNAMIC_DNS],
];

/**
 * What every string with a shady URL contains: a scheme separator, or one of the listed hosts (scheme-less
 * references count only for those). Lower case, since file texts are tested lower-cased.
 */
const URL_HINT = new RegExp(
  ['://', '.onion', ...CATEGORIES.flatMap(([, hosts]) => hosts.map((host) => host.split('/')[0] ?? host))]
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('|'),
);

/** URLs with a scheme, and scheme-less references to the listed hosts (`pastebin.com/raw/x`). */
const URL_PATTERN = /\b(?:https?|ftp|wss?|tcp):\/\/([^\s/?#'"<>\\]+)([^\s'"<>\\]*)/gi;
const BARE_HOST_PATTERN = /(?:^|[\s'"(=@])((?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?)(\/[^\s'"<>\\]*)/gi;

function ipv4(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  const numbers = parts.map(Number);
  return numbers.every((n) => n <= 255) ? numbers : undefined;
}

/** Loopback, private, shared (CGNAT), link-local, documentation, unspecified, multicast and reserved addresses. */
function isNonPublicIpv4([a, b, c]: number[]): boolean {
  if (a === undefined || b === undefined || c === undefined) return true;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224
  );
}

function isNonPublicIpv6(host: string): boolean {
  const address = host.toLowerCase();
  return (
    address === '::1' ||
    address === '::' ||
    /^fe[89ab]/.test(address) ||
    /^f[cd]/.test(address) ||
    address.startsWith('2001:db8:') ||
    address.startsWith('::ffff:127.') ||
    address.startsWith('ff')
  );
}

/** Why a host is shady, or undefined. */
export function shadyHost(hostWithPort: string): string | undefined {
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(hostWithPort);
  if (bracketed !== null) return isNonPublicIpv6(bracketed[1] as string) ? undefined : 'a bare IPv6 address';
  const host = hostWithPort
    .replace(/:\d+$/, '')
    .replace(/^[^@]*@/, '')
    .toLowerCase()
    .replace(/\.$/, '');
  const v4 = ipv4(host);
  if (v4 !== undefined) return isNonPublicIpv4(v4) ? undefined : 'a bare IP address';
  // `http://3232235777/` and `http://0xc0a80001/`: an IPv4 address written as one number.
  if (/^(?:0x[0-9a-f]{1,8}|\d{8,10})$/.test(host)) return 'an IP address written as a number';
  if (host.endsWith('.onion')) return 'a Tor .onion service';
  for (const [category, hosts] of CATEGORIES) {
    const found = hosts.find((listed) => {
      const [domain] = listed.split('/');
      return host === domain || host.endsWith(`.${domain ?? ''}`);
    });
    if (found !== undefined) return category;
  }
  return undefined;
}

export interface ShadyUrl {
  readonly url: string;
  readonly why: string;
}

/** The shady URLs in a text. */
export function shadyUrls(text: string): ShadyUrl[] {
  const found: ShadyUrl[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const why = shadyHost(match[1] ?? '');
    // Sentence punctuation after a URL is not part of it.
    if (why !== undefined) found.push({ url: match[0].replace(/[),.;:!?\]]+$/, ''), why });
  }
  for (const match of text.matchAll(BARE_HOST_PATTERN)) {
    const host = match[1] ?? '';
    const why = shadyHost(host);
    // Scheme-less: only the listed services, whose names are distinctive (not IP-looking version strings).
    if (why === undefined || why.includes('IP') || found.some((url) => url.url.includes(host))) continue;
    found.push({ url: `${host}${match[2] ?? ''}`, why });
  }
  return found;
}

function isDocstring(node: Node): boolean {
  const statement = node.parent;
  return statement?.type === 'expression_statement' && statement.namedChildCount === 1;
}

function contentOf(node: Node): string {
  return node.namedChildren
    .filter((part) => part?.type === 'string_content' || part?.type === 'escape_sequence')
    .map((part) => part?.text ?? '')
    .join('');
}

function shadyString(node: Node, site: Site): CodeMatch | undefined {
  // Parts of an implicit concatenation are read as a whole with it.
  if (node.parent?.type === 'concatenated_string') return undefined;
  // The raw text (quotes and prefixes included) is one cheap read; most strings hold no URL at all.
  if (!URL_HINT.test(node.text.toLowerCase())) return undefined;
  const text =
    node.type === 'concatenated_string'
      ? node.namedChildren.map((part) => (part === null ? '' : contentOf(part))).join('')
      : contentOf(node);
  if (text.length < 6 || !/[./]/.test(text)) return undefined;
  const urls = shadyUrls(text);
  const [first] = urls;
  if (first === undefined) return undefined;
  const more = urls.length > 1 ? ` (and ${urls.length - 1} more)` : '';
  const url = first.url.length > 100 ? `${first.url.slice(0, 100)}…` : first.url;
  const setup = site.file.path === 'setup.py' || site.file.path.endsWith('/setup.py');
  // Documentation is not fetched: a docstring, or a link inside a sentence (an error message pointing at a help
  // page, as setuptools' "see http://bit.ly/… for details"). Neither is a finding; a verdict for prose would make
  // well-known packages suspicious.
  if (isDocstring(node)) return undefined;
  const prose = text.trim() !== first.url && text.replace(first.url, '').trim().split(/\s+/).length >= 4;
  if (prose) return undefined;
  return {
    message: `string holds ${url}, ${first.why}${more}`,
    ...(setup && { severity: 'high' as const }),
  };
}

export const shadyUrlCheck: NodeRule = {
  rule: PKG_URL_001,
  nodes: ['string', 'concatenated_string'],
  textHint: URL_HINT,
  check: shadyString,
};

export const URL_FAMILY: RuleFamily = {
  rules: [PKG_URL_001],
  calls: [],
  nodes: [shadyUrlCheck],
};
