import { defineRule } from '../../../core/rule.js';
import { type Argument, argumentOf, type CallSite, type CodeRule } from '../call-site.js';
import { isFixedText } from './inj-text.js';

export const PY_INJ_003 = defineRule({
  id: 'PY-INJ-003',
  domain: 'code',
  title: 'Jinja2 environment without HTML autoescaping',
  description:
    '`jinja2.Environment` and `jinja2.Template` do not escape variables unless `autoescape` is on, so any ' +
    'value rendered into an HTML page (a model prediction, a dataset row, a user comment, an LLM answer) can ' +
    'inject `<script>` into the page: stored or reflected XSS in dashboards, Gradio/Flask demos and reports.',
  fix: 'Create the environment with `autoescape=select_autoescape(["html", "htm", "xml"])` (or `autoescape=True`); mark the few values that are trusted HTML with `markupsafe.Markup` after escaping their parts. Flask\'s `render_template` already autoescapes `.html` templates.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-79', 'CWE-94'],
  owasp: [],
  bandit: ['B701'],
  ruff: ['S701'],
});

const JINJA_ENVIRONMENTS = ['jinja2.Environment', 'jinja2.environment.Environment'];
const JINJA_TEMPLATES = ['jinja2.Template', 'jinja2.environment.Template'];

/** Python's truth value of a literal `autoescape`, undefined when it is not a literal. */
function literalTruth(argument: Argument): boolean | undefined {
  const value = argument.constant;
  switch (value?.kind) {
    case 'bool':
      return value.value;
    case 'string':
      return value.value !== '';
    case 'number':
      return value.value !== 0;
    case 'none':
      return false;
    default:
      return undefined;
  }
}

export const jinjaAutoescapeCheck: CodeRule = {
  rule: PY_INJ_003,
  calls: [...JINJA_ENVIRONMENTS, ...JINJA_TEMPLATES],
  check(call) {
    const autoescape = call.keywords.get('autoescape');
    if (autoescape === undefined) {
      if (call.hasUnpacking) return undefined;
      // A bare Template is mostly used for text (prompts, configs), where escaping does not apply.
      const template = JINJA_TEMPLATES.includes(call.name);
      return {
        message: `${call.name} without autoescape renders variables into HTML unescaped`,
        severity: template ? 'low' : 'medium',
      };
    }
    const truth = literalTruth(autoescape);
    if (truth === true) return undefined;
    if (truth === false)
      return { message: `${call.name} with autoescape=${autoescape.node.text} renders variables unescaped` };
    if (
      autoescape.node.type === 'call' &&
      /select_autoescape$/.test(autoescape.node.childForFieldName('function')?.text ?? '')
    )
      return undefined;
    return {
      message: `${call.name} with autoescape=${autoescape.node.text}, not known to be on`,
      severity: 'medium',
      confidence: 'low',
    };
  },
};

export const PY_INJ_004 = defineRule({
  id: 'PY-INJ-004',
  domain: 'code',
  title: 'Mako template',
  description:
    'Mako templates (`mako.template.Template`, `mako.lookup.TemplateLookup`) escape nothing by default: every ' +
    '`${value}` is written into the page as is, so data from users, datasets or models can inject HTML and ' +
    'JavaScript. Mako also compiles templates to Python, so a template taken from outside runs code.',
  fix: 'Pass `default_filters=["h"]` (HTML-escape every expression) to `Template`/`TemplateLookup`, or move to Jinja2 with `autoescape=select_autoescape()`. Never build a Mako template from outside data.',
  severity: 'medium',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-80'],
  owasp: [],
  bandit: ['B702'],
  ruff: ['S702'],
});

const MAKO_CALLS = ['mako.template.Template', 'mako.lookup.TemplateLookup'];

export const makoCheck: CodeRule = {
  rule: PY_INJ_004,
  calls: MAKO_CALLS,
  check(call) {
    // default_filters=["h"] escapes every expression, which is what the rule asks for.
    const filters = call.keywords.get('default_filters');
    if (filters !== undefined && /["']h["']/.test(filters.node.text)) return undefined;
    return { message: `${call.name} does not HTML-escape the values it renders` };
  },
};

export const PY_INJ_005 = defineRule({
  id: 'PY-INJ-005',
  domain: 'code',
  title: 'markup marked safe from a value that is not a literal',
  description:
    '`django.utils.safestring.mark_safe` (and `SafeString`, `SafeText`), `markupsafe.Markup`/`flask.Markup` and ' +
    'the format string of `django.utils.html.format_html` tell the template engine that the text is already ' +
    'safe HTML, so it is not escaped. Built from a variable, a parameter, an f-string or `%`/`.format()` of ' +
    'values, it turns whatever those values contain into live HTML and JavaScript (XSS).',
  fix: 'Let the template escape the value, or build the HTML with `format_html("<b>{}</b>", value)` / `Markup("<b>{}</b>").format(value)`, which escape each argument; keep `mark_safe` for literals and for output of `escape()`.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-79'],
  owasp: [],
  bandit: ['B308', 'B703', 'B704'],
  ruff: ['S308', 'S704'],
});

const SAFE_MARKERS = [
  ...['mark_safe', 'SafeString', 'SafeText', 'SafeUnicode', 'SafeBytes'].map(
    (name) => `django.utils.safestring.${name}`,
  ),
  'django.utils.html.format_html',
  'markupsafe.Markup',
  'flask.Markup',
  'jinja2.Markup',
  'jinja2.utils.Markup',
];

/** Functions whose result is escaped or rendered HTML: marking it safe is what they are for. */
const ESCAPED_HTML =
  /(?:^|\.)(?:escape|conditional_escape|format_html|render_to_string|json_script|escapejs)$/;

function markedText(call: CallSite): Argument | undefined {
  return argumentOf(call, 's', 0) ?? call.keywords.get('object') ?? call.keywords.get('format_string');
}

export const markSafeCheck: CodeRule = {
  rule: PY_INJ_005,
  calls: SAFE_MARKERS,
  sink: { arguments: (call) => [markedText(call)] },
  check(call) {
    const text = markedText(call);
    if (text === undefined || isFixedText(text.node, call.scope)) return undefined;
    if (text.node.type === 'call' && ESCAPED_HTML.test(text.node.childForFieldName('function')?.text ?? ''))
      return undefined;
    return { message: `${call.name} marks text that is not a literal as safe HTML` };
  },
};

export const PY_INJ_006 = defineRule({
  id: 'PY-INJ-006',
  domain: 'code',
  title: 'server-side template injection',
  description:
    'A Jinja2 template compiled from text that is not fixed in the source (`jinja2.Template(x)`, ' +
    '`Environment().from_string(x)`, `flask.render_template_string(x)`, LangChain `PromptTemplate` with ' +
    '`template_format="jinja2"`) runs whatever `{{ }}` expressions that text contains: from a request, a ' +
    'prompt hub, a dataset or an LLM answer, `{{ cycler.__init__.__globals__.os.popen("id").read() }}` runs ' +
    'commands on the server.',
  fix: 'Keep templates in files or literals and pass outside data only as variables: `render_template("page.html", name=name)`. When users must supply templates, compile them in `jinja2.sandbox.ImmutableSandboxedEnvironment()`; for LangChain prompts use the default `template_format="f-string"`.',
  severity: 'high',
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-1336'],
  owasp: [],
});

const LANGCHAIN_PROMPT_MODULES = [
  'langchain.prompts',
  'langchain.prompts.prompt',
  'langchain.prompts.chat',
  'langchain_core.prompts',
  'langchain_core.prompts.prompt',
  'langchain_core.prompts.chat',
];
const LANGCHAIN_PROMPTS = LANGCHAIN_PROMPT_MODULES.flatMap((module) => [
  `${module}.PromptTemplate`,
  `${module}.PromptTemplate.from_template`,
  `${module}.ChatPromptTemplate.from_template`,
]);

function templateSource(call: CallSite): Argument | undefined {
  if (LANGCHAIN_PROMPTS.includes(call.name)) {
    // Only jinja2 templates evaluate expressions; f-string and mustache prompts substitute names.
    const format = call.keywords.get('template_format')?.constant;
    if (format?.kind !== 'string' || format.value !== 'jinja2') return undefined;
    return argumentOf(call, 'template', call.name.endsWith('from_template') ? 0 : undefined);
  }
  return argumentOf(call, 'source', 0);
}

export const templateInjectionCheck: CodeRule = {
  rule: PY_INJ_006,
  calls: [
    ...JINJA_TEMPLATES,
    ...JINJA_ENVIRONMENTS.map((environment) => `${environment}().from_string`),
    'flask.render_template_string',
    ...LANGCHAIN_PROMPTS,
  ],
  sink: { arguments: (call) => [templateSource(call)] },
  check(call) {
    const source = templateSource(call);
    if (source === undefined || isFixedText(source.node, call.scope)) return undefined;
    return { message: `${call.name} compiles a template that is not fixed in the source` };
  },
};
