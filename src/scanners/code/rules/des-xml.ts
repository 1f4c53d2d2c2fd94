import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CallSite, type CodeMatch, type CodeRule, DATA_SINK } from '../call-site.js';
import { isLiteral, qualifiedNames } from '../resolve.js';

export const PY_DES_012 = defineRule({
  id: 'PY-DES-012',
  domain: 'code',
  title: 'standard-library XML parser on data that may be untrusted',
  description:
    'The standard-library XML parsers (`xml.etree.ElementTree`/`cElementTree`, `xml.sax`, `xml.dom.minidom`, ' +
    '`xml.dom.pulldom`, `xml.dom.expatbuilder`, `xml.sax.expatreader`, `xml.parsers.expat`) accept entity ' +
    'declarations and DTDs: linked to an expat older than 2.4.1 (`pyexpat.EXPAT_VERSION`) they expand entities ' +
    'without limit ("billion laughs", quadratic blow-up), and a SAX handler with `feature_external_ges` on reads ' +
    'external entities (XXE: local files, internal URLs). `xmlrpc` servers and clients parse XML, and decompress ' +
    'gzip bodies, that the other side of the network controls. The Python documentation recommends defusedxml ' +
    'for untrusted data.',
  fix: 'Parse with `defusedxml` (`defusedxml.ElementTree.fromstring`, `defusedxml.minidom.parseString`, `defusedxml.sax.make_parser`), which refuses entity declarations and external references; for XML-RPC call `defusedxml.xmlrpc.monkey_patch()` at start-up or move to JSON over HTTPS.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-611', 'CWE-776'],
  owasp: [],
  bandit: ['B313', 'B314', 'B315', 'B316', 'B317', 'B318', 'B319'],
  ruff: ['S313', 'S314', 'S315', 'S316', 'S317', 'S318', 'S319'],
});

/** The data argument's keyword in each parser function; parser constructors read no data at the call. */
const PARSE_SOURCE: ReadonlyMap<string, string> = new Map([
  ['parse', 'source'],
  ['iterparse', 'source'],
  ['fromstring', 'text'],
  ['fromstringlist', 'sequence'],
  ['XML', 'text'],
  ['parseString', 'string'],
]);

/** Functions of each module in bandit's B313-B319 lists, with the ElementTree aliases bandit misses. */
const STDLIB_PARSERS: readonly (readonly [string, readonly string[]])[] = [
  ['xml.etree.cElementTree', ['parse', 'iterparse', 'fromstring', 'fromstringlist', 'XML', 'XMLParser']],
  [
    'xml.etree.ElementTree',
    ['parse', 'iterparse', 'fromstring', 'fromstringlist', 'XML', 'XMLParser', 'XMLPullParser'],
  ],
  ['xml.sax.expatreader', ['create_parser']],
  ['xml.dom.expatbuilder', ['parse', 'parseString']],
  ['xml.sax', ['parse', 'parseString', 'make_parser']],
  ['xml.dom.minidom', ['parse', 'parseString']],
  ['xml.dom.pulldom', ['parse', 'parseString']],
  ['xml.parsers.expat', ['ParserCreate']],
];

/** XML-RPC endpoints parse what the remote side sends: a medium finding, as bandit grades xmlrpclib. */
const XMLRPC = [
  'xmlrpc.client.loads',
  'xmlrpc.client.ServerProxy',
  'xmlrpc.server.SimpleXMLRPCServer',
  'xmlrpc.server.DocXMLRPCServer',
  'xmlrpc.server.CGIXMLRPCRequestHandler',
  'xmlrpclib.loads',
  'xmlrpclib.ServerProxy',
  'SimpleXMLRPCServer.SimpleXMLRPCServer',
  'SimpleXMLRPCServer.CGIXMLRPCRequestHandler',
  'DocXMLRPCServer.DocXMLRPCServer',
];

/** SAX parsers from these factories read external entities once the feature is set: XXE. */
const SAX_SET_FEATURE = [
  'xml.sax.make_parser().setFeature',
  'xml.sax.expatreader.create_parser().setFeature',
];

const EXTERNAL_ENTITY_FEATURES = new Set([
  'xml.sax.handler.feature_external_ges',
  'xml.sax.handler.feature_external_pes',
  'http://xml.org/sax/features/external-general-entities',
  'http://xml.org/sax/features/external-parameter-entities',
]);

/** `parser.setFeature(feature_external_ges, True)`: external entities turned on explicitly. */
function externalEntitiesCheck(call: CallSite): CodeMatch | undefined {
  const [feature, state] = call.positional;
  if (feature === undefined || state?.constant?.kind !== 'bool' || !state.constant.value) return undefined;
  const names =
    feature.constant?.kind === 'string' ? [feature.constant.value] : qualifiedNames(feature.node, call.scope);
  const enabled = names.find((name) => EXTERNAL_ENTITY_FEATURES.has(name));
  if (enabled === undefined) return undefined;
  return {
    message: `SAX parser with ${enabled.slice(enabled.lastIndexOf('.') + 1)} turned on reads external entities (XXE)`,
    severity: 'medium',
    confidence: 'high',
  };
}

function parsedData(call: CallSite): ReturnType<typeof argumentOf> {
  const function_ = call.name.slice(call.name.lastIndexOf('.') + 1);
  const keyword = PARSE_SOURCE.get(function_);
  if (keyword !== undefined) return argumentOf(call, keyword, 0);
  if (function_ === 'loads') return argumentOf(call, 'data', 0);
  return undefined;
}

export const stdlibXmlCheck: CodeRule = {
  rule: PY_DES_012,
  calls: [
    ...STDLIB_PARSERS.flatMap(([module, functions]) => functions.map((name) => `${module}.${name}`)),
    ...XMLRPC,
    ...SAX_SET_FEATURE,
  ],
  sink: { arguments: (call) => [parsedData(call)] },
  check(call) {
    if (SAX_SET_FEATURE.includes(call.name)) return externalEntitiesCheck(call);
    if (XMLRPC.includes(call.name))
      return {
        message: `${call.name} parses XML and gzip bodies from the network without defusedxml's limits`,
        severity: 'medium',
      };
    const data = parsedData(call);
    if (data === undefined)
      return {
        message: `${call.name} builds a parser without defusedxml's guards against entities and DTDs`,
      };
    if (isLiteral(data.constant))
      return {
        message: `${call.name} parses XML written in the source, without defusedxml's guards`,
        confidence: 'low',
      };
    return { message: `${call.name} parses XML without defusedxml's guards against entities and DTDs` };
  },
};

export const PY_DES_013 = defineRule({
  id: 'PY-DES-013',
  domain: 'code',
  title: 'lxml parser with external entities or network access turned on',
  description:
    'An lxml parser built with `resolve_entities=True`, `no_network=False`, `load_dtd=True` or ' +
    '`huge_tree=True` reads external entities and DTDs (XXE: `file:///etc/passwd`, cloud metadata URLs) or ' +
    'drops its limits on entity expansion. `pandas.read_xml` parses with lxml by default, and `read_html` tries ' +
    "lxml first, both with lxml's defaults, which resolve entities in lxml before 5.0.",
  fix: 'Build parsers with `lxml.etree.XMLParser(resolve_entities=False, no_network=True)` (the lxml 5 defaults) or parse with `defusedxml.lxml`/`defusedxml.ElementTree`; for pandas, parse untrusted documents yourself with `defusedxml` and build the frame, or pass `parser="etree"` to `read_xml`.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-611'],
  owasp: [],
  bandit: ['B320'],
  ruff: ['S320'],
});

const LXML_PARSERS = [
  'lxml.etree.XMLParser',
  'lxml.etree.ETCompatXMLParser',
  'lxml.etree.XMLPullParser',
  'lxml.etree.iterparse',
  'lxml.objectify.makeparser',
];

/** Each option's unsafe literal value: entity expansion, DTD loading, network access, no size limits. */
const UNSAFE_OPTIONS: readonly (readonly [string, boolean])[] = [
  ['resolve_entities', true],
  ['no_network', false],
  ['load_dtd', true],
  ['huge_tree', true],
];

function lxmlOptionsCheck(call: CallSite): ReturnType<CodeRule['check']> {
  const unsafe = UNSAFE_OPTIONS.filter(([option, value]) => {
    const constant = call.keywords.get(option)?.constant;
    return constant?.kind === 'bool' && constant.value === value;
  }).map(([option, value]) => `${option}=${value ? 'True' : 'False'}`);
  if (unsafe.length === 0) return undefined;
  return {
    message: `${call.name} with ${unsafe.join(', ')} lets documents pull in external entities or DTDs`,
  };
}

/** pandas parses with lxml unless told otherwise: `read_xml(parser="lxml")`, `read_html(flavor=None)`. */
function pandasCheck(call: CallSite): ReturnType<CodeRule['check']> {
  const isXml = call.name.endsWith('read_xml');
  const choice = call.keywords.get(isXml ? 'parser' : 'flavor')?.constant;
  if (choice !== undefined && choice.kind !== 'none') {
    if (choice.kind !== 'string') return undefined;
    if (isXml ? choice.value !== 'lxml' : !choice.value.includes('lxml')) return undefined;
  }
  const input = argumentOf(call, isXml ? 'path_or_buffer' : 'io', 0);
  if (input === undefined || isLiteral(input.constant)) return undefined;
  return {
    message: `${call.name} parses a document not known statically with lxml's defaults`,
    confidence: 'low',
  };
}

export const lxmlCheck: CodeRule = {
  rule: PY_DES_013,
  calls: [...LXML_PARSERS, 'pandas.read_xml', 'pandas.read_html'],
  sink: { arguments: (call) => (call.name.startsWith('pandas.') ? DATA_SINK.arguments(call) : []) },
  check: (call) => (call.name.startsWith('pandas.') ? pandasCheck(call) : lxmlOptionsCheck(call)),
};
