import { describe, expect, it } from 'vitest';
import { analyzeTemplate, snippetOf } from './jinja.js';

const severities = (template: string): string[] => analyzeTemplate(template).map((issue) => issue.severity);

/** Chat templates as published for common model families (abridged where long), which must stay clean. */
const BENIGN = [
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{{ bos_token + '[INST] ' + message['content'].strip() + ' [/INST]' }}{% endfor %}",
  "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}{%- for message in messages[::-1] %}{%- if ns.multi_step_tool and message.role == 'user' %}{%- set ns.multi_step_tool = false %}{%- endif %}{%- endfor %}{{- tools | tojson(indent=4) }}{{ message.content | trim }}",
  "{{- bos_token }}{%- if not date_string is defined %}{%- set date_string = strftime_now('%d %b %Y') %}{%- endif %}{# system prompt #}{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}",
  '{% for message in messages %}{% if message.class == "important" %}{{ message.content }}{% endif %}{% endfor %}',
  // Lines of community Qwen 3.5/3.6 templates: prompt text with underscores joined to message content.
  "{{- '<|im_start|>assistant\\n<think>\\n' ~ reasoning_content ~ '\\n</think>\\n\\n' ~ content -}}",
  "{%- set content = prefix ~ '\\n<tool_call>' ~ think_part.split('<tool_call>')[1:] | join('<tool_call>') %}",
];

describe('analyzeTemplate', () => {
  it.each(BENIGN)('keeps a benign chat template clean: %s', (template) => {
    expect(analyzeTemplate(template)).toEqual([]);
  });

  it('flags the CVE-2024-34359 payload as a sandbox escape', () => {
    const template =
      '{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}' +
      "{{x()._module.__builtins__['__import__']('os').popen(\"echo pwned\").read()}}{%endif%}{% endfor %}";
    const issues = analyzeTemplate(template);
    expect(issues.map((issue) => issue.severity)).toEqual(['escape', 'escape', 'escape']);
    expect(issues[0]?.snippet).toContain('__subclasses__');
  });

  it.each([
    ["{{ ''|attr('__class__') }}"],
    ["{{ (cycler|attr('_' ~ '_init_' ~ '_'))|attr('_' ~ '_globals_' ~ '_') }}"],
    ["{{ request['application']['\\x5f\\x5fglobals\\x5f\\x5f'] }}"],
    ["{{ lipsum.__globals__['os'].popen('id').read() }}"],
    ['{{ self.__init__.__globals__ }}'],
    ["{{ getattr('', 'x') }}"],
    ['{{ x.os.listdir() }}'],
    // Jinja does not end a tag at a `}}` inside a string literal or inside brackets.
    ["{{ '}}' ~ ().__class__.__base__ }}"],
    ["{{ x['}}'].__class__ }}"],
    ["{{ x({'a': '%}'}) }}{{ y }}{{ z(\"}}\", 1.__mro__) }}"],
    ["{{ x|map(attribute='__weakref__')|list }}"],
    ["{{ x['__cla' 'ss__'] }}"],
  ])('flags %s as a sandbox escape', (template) => {
    expect(severities(template)).toEqual(['escape']);
  });

  it.each([
    ["{{ x|attr(messages[0]['content']) }}"],
    ['{{ lipsum[key] }}'],
    ['{{ config.items() }}'],
    ['{{ x[chr(95) ~ name] }}'],
    ["{{ x['a__b'] }}"],
    ["{{ x['_' ~ name ~ '_'] }}"],
    ["{{ x[name + '_'] }}"],
  ])('flags %s as suspicious', (template) => {
    expect(severities(template)).toEqual(['suspicious']);
  });

  it('analyses unclosed tags to the end', () => {
    expect(severities('{{ unclosed_bracket')).toEqual([]);
    expect(severities('{{ ().__class__')).toEqual(['escape']);
  });

  it('escapes and truncates evidence', () => {
    expect(snippetOf('{{ "\u0007\u2028" }}')).toBe('{{ "\\x07\\u2028" }}');
    expect(snippetOf('x'.repeat(500)).length).toBeLessThanOrEqual(161);
  });
});
