import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../core/rule.js';
import type { CodeMatch, CodeRule, Site } from './call-site.js';

/**
 * A rule about syntax rather than calls: it subscribes to tree-sitter node types (`assert_statement`, `string`,
 * `import_from_statement`, `module` for the whole file) and checks each such node, in the scope it sits in.
 * The collector gathers the subscribed types in the same single pass as everything else.
 */
export interface NodeRule {
  readonly rule: Rule;
  readonly nodes: readonly string[];
  check(node: Node, site: Site): CodeMatch | undefined;
}

/** The rules of one family (a theme of the catalogue), with the call and node checks that raise them. */
export interface RuleFamily {
  readonly rules: readonly Rule[];
  readonly calls: readonly CodeRule[];
  readonly nodes: readonly NodeRule[];
}
