import { defineRule } from '../../../core/rule.js';
import { packageLabel, type DependencyCheck, type DependencyContext } from '../model.js';
import { typosquatIndexFor, type TyposquatMatch } from '../typosquat/matcher.js';

export const DEP_TYPO_001 = defineRule({
  id: 'DEP-TYPO-001',
  domain: 'deps',
  title: 'dependency name looks like a typosquat of a popular PyPI package',
  description:
    'A PyPI dependency whose name is not among the 15,000 most-downloaded projects but is one edit, a homoglyph, ' +
    'a py/python swap, a reordering of hyphenated terms, or a delimiter or plural variant away from one of the ' +
    'top 5,000. Typosquats run their code at install time and usually also ship the real package to stay unseen.',
  fix:
    'Check the name against the project you meant (the finding names it) and correct it. If the package is the ' +
    'one you want, accept it with an `[[ignore]]` entry in .mlsec.toml: `rule = "DEP-TYPO-001"`, ' +
    '`package = "<name>"` and a `reason`.',
  severity: 'high',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-829'],
  owasp: ['ML06:2023'],
});

/**
 * Measures every PyPI dependency against the popular-name list given by `--popular` or `[deps] popular`. Without
 * that list it does nothing: there is nothing to measure against, and a built-in list would silently age.
 */
export const typosquatCheck: DependencyCheck = {
  rules: [DEP_TYPO_001],
  async run(context: DependencyContext): Promise<void> {
    const path = context.settings.deps?.popular;
    if (path === undefined) return;
    const index = await typosquatIndexFor(path);
    const matches = new Map<string, TyposquatMatch | undefined>();
    const { manifest } = context;
    for (const component of manifest.components) {
      context.checkDeadline();
      // Direct references (`name @ https://…`, VCS, local paths) are not fetched by name from an index.
      if (component.ecosystem !== 'PyPI' || ['url', 'path', 'vcs'].includes(component.pin)) continue;
      if (!matches.has(component.normalizedName))
        matches.set(component.normalizedName, index.match(component.name));
      const match = matches.get(component.normalizedName);
      if (match === undefined) continue;
      const elsewhere =
        component.origin.path === manifest.path ? '' : ` (declared in ${component.origin.path})`;
      context.report({
        ruleId: DEP_TYPO_001.id,
        message:
          `\`${component.name}\`${elsewhere} is not a popular package but looks like \`${match.target}\`: ` +
          `${match.evidence}. Make sure this is the package you meant.`,
        ...(component.origin.path === manifest.path &&
          component.origin.line !== undefined && { line: component.origin.line }),
        evidence: `${component.normalizedName}: ${match.evidence}`,
        package: packageLabel(component),
      });
    }
  },
};
