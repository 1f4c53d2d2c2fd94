import { describe, expect, it } from 'vitest';
import { extractTags, tokenize } from './jinja-lexer.js';

const tagTexts = (template: string): string[] => extractTags(template).map((tag) => tag.text);

describe('extractTags', () => {
  it('cuts out expression and statement tags and skips comments', () => {
    expect(tagTexts('a {# ().__class__ #} b {{ x }}{%- if y -%}c{% endif %}')).toEqual([
      '{{ x }}',
      '{%- if y -%}',
      '{% endif %}',
    ]);
    expect(extractTags('{%- if y -%}').map((tag) => tag.code)).toEqual([' if y ']);
  });

  it('runs an unclosed last tag to the end', () => {
    expect(tagTexts('a {{ x')).toEqual(['{{ x']);
    expect(tagTexts("a {{ 'x }} b")).toEqual(["{{ 'x }} b"]);
  });

  it('ends a tag where Jinja does: not inside string literals or brackets', () => {
    expect(tagTexts("{{ '}}' ~ x }} text")).toEqual(["{{ '}}' ~ x }}"]);
    expect(tagTexts('{{ "a\\"}}" }}')).toEqual(['{{ "a\\"}}" }}']);
    expect(tagTexts("{{ {'a': {'b': 1}}}}{% set y = '%}' %}")).toEqual([
      "{{ {'a': {'b': 1}}}}",
      "{% set y = '%}' %}",
    ]);
    expect(tagTexts('{{ x[ }} y ] }}')).toEqual(['{{ x[ }} y ] }}']);
  });
});

describe('tokenize', () => {
  it('decodes escapes and folds constant concatenations, adjacent literals included', () => {
    expect(tokenize("'\\x5f\\x5f' ~ 'a' + 'b' 'c'")).toEqual([{ kind: 'string', text: '__abc' }]);
  });

  it('keeps computed parts apart from the literals', () => {
    expect(tokenize("'_' ~ name").map((token) => token.kind)).toEqual(['string', 'op', 'name']);
  });

  it('reads an attribute of an integer as a name after a dot', () => {
    expect(tokenize('1.__mro__ + 1.5e3 + 0x1f').map((token) => token.text)).toEqual([
      '1',
      '.',
      '__mro__',
      '+',
      '1.5e3',
      '+',
      '0x1f',
    ]);
  });
});
