import { Command, InvalidArgumentError, Option } from 'commander';
import { problemsOf } from '../scanners/deps/graph/analyze.js';
import { loadGraph } from '../scanners/deps/graph/load.js';
import {
  renderDot,
  renderJson,
  renderMermaid,
  renderProblems,
  renderText,
} from '../scanners/deps/graph/render.js';
import { viewOf } from '../scanners/deps/graph/view.js';
import { normalizeName } from '../scanners/deps/pep508/parse.js';
import { UsageError } from '../core/errors.js';

interface TreeFlags {
  format: 'text' | 'json' | 'dot' | 'mermaid';
  reverse: boolean;
  package: string[];
  depth?: number;
}

function depth(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

/** `mlsec deps tree PATH`: the dependency graph of an installed environment or a lock file, as pipdeptree shows it. */
export function depsCommand(): Command {
  const tree = new Command('tree')
    .description(
      'Show the dependency tree of an installed environment (a venv, conda env or site-packages folder, read from ' +
        'its *.dist-info/*.egg-info metadata) or of a lock file, with conflicts, missing dependencies and cycles. ' +
        'Nothing is installed, imported or run.',
    )
    .argument('<path>', 'an environment folder or a lock file')
    // A nested command does not inherit these from the program (main.ts sets them on the top-level commands).
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json', 'dot', 'mermaid'])
        .default('text'),
    )
    .option('-r, --reverse', 'show who requires each package instead of what it requires', false)
    .option('-p, --package <name...>', 'start from these packages only', [])
    .option('-d, --depth <n>', 'show this many levels below each start', depth)
    .action(async (path: string, flags: TreeFlags) => {
      const graph = await loadGraph(path);
      const packages = flags.package.map(normalizeName);
      const unknown = packages.filter((key) => !graph.nodes.has(key));
      if (unknown.length > 0)
        throw new UsageError('USAGE_BAD_OPTION', `not in ${path}: ${unknown.join(', ')}`);
      const view = viewOf(graph, {
        reverse: flags.reverse,
        packages,
        ...(flags.depth !== undefined && { depth: flags.depth }),
      });
      const problems = problemsOf(graph);
      if (flags.format === 'json') process.stdout.write(renderJson(view, problems));
      else if (flags.format === 'dot') process.stdout.write(renderDot(view));
      else if (flags.format === 'mermaid') process.stdout.write(renderMermaid(view));
      else process.stdout.write(renderText(view));
      // As pipdeptree does, the warnings go to stderr so that the tree itself stays clean to pipe.
      if (flags.format !== 'json') process.stderr.write(renderProblems(graph, problems));
    });
  return new Command('deps')
    .description('Dependency tools: the dependency tree of an environment or lock file.')
    .addCommand(tree);
}
