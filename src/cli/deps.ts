import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../core/config/load.js';
import { problemsOf } from '../scanners/deps/graph/analyze.js';
import { loadGraph } from '../scanners/deps/graph/load.js';
import {
  renderDot,
  renderJson,
  renderMermaid,
  renderProblems,
  renderText,
} from '../scanners/deps/graph/render.js';
import { shownKeys, viewOf } from '../scanners/deps/graph/view.js';
import { markVulnerable, renderVulnerablePaths } from '../scanners/deps/graph/vulnerable.js';
import { loadIndex } from '../scanners/deps/osv/cache.js';
import { normalizeName } from '../scanners/deps/pep508/parse.js';
import { messageOf, MlsecError, UsageError } from '../core/errors.js';
import type { OsvIndex } from '../scanners/deps/osv/index.js';

interface TreeFlags {
  format: 'text' | 'json' | 'dot' | 'mermaid';
  reverse: boolean;
  package: string[];
  depth?: number;
  db?: string;
  config?: string;
}

function depth(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

async function indexOf(db: string): Promise<OsvIndex> {
  try {
    return await loadIndex(db);
  } catch (error) {
    if (error instanceof MlsecError) throw error;
    throw new UsageError('USAGE_PATH_NOT_FOUND', `cannot load the OSV database ${db}: ${messageOf(error)}`);
  }
}

/** `mlsec deps tree PATH`: the dependency graph of an installed environment or a lock file, as pipdeptree shows it. */
export function depsCommand(): Command {
  const tree = new Command('tree')
    .description(
      'Show the dependency tree of an installed environment (a venv, conda env or site-packages folder, read from ' +
        'its *.dist-info/*.egg-info metadata) or of a lock file, with conflicts, missing dependencies and cycles; ' +
        'with an OSV database, vulnerable packages are marked and the path that pulls each in is shown. ' +
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
    .option('--db <path>', 'mark packages an advisory of this OSV database affects (also [deps] db)')
    .option('-c, --config <file>', 'configuration file for [deps] db (default: as mlsec scan finds it)')
    .action(async (path: string, flags: TreeFlags) => {
      const graph = await loadGraph(path);
      const db =
        flags.db === undefined ? (await loadConfig(path, flags.config)).settings.deps?.db : resolve(flags.db);
      // A database that cannot be loaded stops the command: a tree without marks would look clean.
      if (db !== undefined) markVulnerable(graph, await indexOf(db));
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
      if (flags.format !== 'json')
        process.stderr.write(renderProblems(graph, problems) + renderVulnerablePaths(graph, shownKeys(view)));
    });
  return new Command('deps')
    .description('Dependency tools: the dependency tree of an environment or lock file.')
    .addCommand(tree);
}
