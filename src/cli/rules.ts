import { Command, Option } from 'commander';
import { ALL_RULES } from '../core/registry.js';
import { docsPath } from '../core/rule.js';
import { isEnabledByDefault } from '../core/selection.js';

export function rulesCommand(): Command {
  return new Command('rules')
    .description('List every rule with its id, severity, verdict and title; off-by-default rules are marked.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((flags: { format: 'text' | 'json' }) => {
      if (flags.format === 'json') {
        const rules = ALL_RULES.map((rule) => ({
          ...rule,
          enabledByDefault: isEnabledByDefault(rule),
          docs: docsPath(rule.id),
        }));
        process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
        return;
      }
      const idWidth = Math.max(...ALL_RULES.map((rule) => rule.id.length));
      for (const rule of ALL_RULES) {
        const severity = rule.severity.padEnd(8);
        const verdict = rule.verdict.padEnd(11);
        // Off-by-default rules only run when selected (`--select`), so the listing says so.
        const off = isEnabledByDefault(rule) ? '' : '  (off by default)';
        const aliases = rule.aliases === undefined ? '' : `  (also ${rule.aliases.join(', ')})`;
        process.stdout.write(
          `${rule.id.padEnd(idWidth)}  ${severity}  ${verdict}  ${rule.title}${off}${aliases}\n`,
        );
      }
    });
}
