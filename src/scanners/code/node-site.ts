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
  /**
   * Text every file that can raise the rule contains, tested against the file's text in lower case (so it is
   * written in lower case: `/pythonpath/`). In a file without it, the rule's nodes are not even collected:
   * frequent node types (strings, assignments, comparisons) cost time to collect, and most files hold nothing a
   * given rule looks for. It must be a necessary condition, or findings are lost.
   */
  readonly textHint?: RegExp;
  check(node: Node, site: Site): CodeMatch | undefined;
}

/** The rules of one family (a theme of the catalogue), with the call and node checks that raise them. */
export interface RuleFamily {
  readonly rules: readonly Rule[];
  readonly calls: readonly CodeRule[];
  readonly nodes: readonly NodeRule[];
}
