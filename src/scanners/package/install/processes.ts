import type { Node } from 'web-tree-sitter';
import { severityRank, type Severity } from '../../../core/severity.js';
import type { CapabilityUse } from '../../code/capabilities.js';
import { constantOf, qualifiedNames } from '../../code/resolve.js';
import type { Scope } from '../../code/scopes.js';
import { localFunction, scopeAt, type Command, type SetupFile } from './setup-file.js';

/** Programs a `build_ext` override may run: compilers and build systems. */
const BUILD_TOOLS =
  /^(cmake|cmake3|ctest|make|gmake|nmake|ninja|meson|gcc|g\+\+|cc|c\+\+|clang|clang\+\+|clang-cl|cl|link|nvcc|hipcc|swig|cython|pkg-config|cargo|rustc|ar|ld|ranlib|strip|xcrun|bazel|autoreconf|autogen\.sh|configure|gfortran|f2py|protoc|qmake|msbuild)$/i;

/** `git` subcommands that only read the repository: what versioning helpers run. */
const GIT_READS = new Set([
  'describe',
  'rev-parse',
  'log',
  'show',
  'rev-list',
  'ls-files',
  'status',
  'tag',
  'branch',
]);

/**
 * The commands a process call may run (program and first argument), or undefined when one of them is not a
 * constant. A command passed in as a parameter of a setup.py function is resolved at every call of the function
 * (`def run(cmd): subprocess.check_output(cmd)` … `run(['git', 'rev-parse', 'HEAD'])`).
 */
function programOf(file: SetupFile, call: Node, scope: Scope): readonly Command[] | undefined {
  const first = call
    .childForFieldName('arguments')
    ?.namedChildren.find((arg) => arg?.type !== 'keyword_argument');
  if (first === undefined || first === null) return undefined;
  return commandsOf(file, first, scope, 0);
}

const MAX_COMMAND_DEPTH = 8;

function commandsOf(
  file: SetupFile,
  node: Node,
  scope: Scope,
  depth: number,
): readonly Command[] | undefined {
  if (depth > MAX_COMMAND_DEPTH) return undefined;
  if (node.type === 'list' || node.type === 'tuple') {
    const [first, second] = node.namedChildren;
    const program = first === null || first === undefined ? undefined : constantOf(first, scope);
    const argument = second === null || second === undefined ? undefined : constantOf(second, scope);
    const name =
      program?.kind === 'string'
        ? program.value.split(/[\\/]/).at(-1)
        : first !== null && first !== undefined && qualifiedNames(first, scope).includes('sys.executable')
          ? 'python'
          : undefined;
    if (name === undefined) return undefined;
    return [{ program: name, ...(argument?.kind === 'string' && { argument: argument.value }) }];
  }
  if (node.type === 'binary_operator') {
    const left = node.childForFieldName('left');
    return left === null ? undefined : commandsOf(file, left, scope, depth + 1);
  }
  if (node.type === 'identifier') {
    const found = scope.lookup(node.text, node.startIndex);
    const [binding] = found?.bindings ?? [];
    if (found?.bindings.length === 1 && binding?.kind === 'value')
      return commandsOf(file, binding.value, binding.scope, depth + 1);
    if (found?.bindings.length === 1 && binding?.kind === 'parameter')
      return parameterCommands(file, binding.function, binding.name, depth);
  }
  const value = constantOf(node, scope);
  if (value?.kind !== 'string') return undefined;
  const [program, argument] = value.value.trim().split(/\s+/);
  if (program === undefined) return undefined;
  return [{ program: program.split(/[\\/]/).at(-1) ?? '', ...(argument !== undefined && { argument }) }];
}

/** The commands every call of the setup.py function `definition` passes as its parameter `name`. */
function parameterCommands(
  file: SetupFile,
  definition: Node,
  name: string,
  depth: number,
): readonly Command[] | undefined {
  const key = `${definition.startIndex}:${name}`;
  const known = file.parameterCommands.get(key);
  // A recursive call passes on what the outer calls pass, which they contribute themselves.
  if (known === null) return [];
  if (known !== undefined || file.parameterCommands.has(key)) return known;
  file.parameterCommands.set(key, null);
  const commands = callSiteCommands(file, definition, name, depth);
  file.parameterCommands.set(key, commands);
  return commands;
}

function callSiteCommands(
  file: SetupFile,
  definition: Node,
  name: string,
  depth: number,
): readonly Command[] | undefined {
  const parameters = definition.childForFieldName('parameters')?.namedChildren ?? [];
  const index = parameters.findIndex(
    (parameter) => parameter?.type === 'identifier' && parameter.text === name,
  );
  if (index < 0) return undefined;
  const commands: Command[] = [];
  let calls = 0;
  for (const { node, scope } of file.calls) {
    if (localFunction(node, scope)?.startIndex !== definition.startIndex) continue;
    calls++;
    const args = node.childForFieldName('arguments')?.namedChildren ?? [];
    const keyword = args.find(
      (arg) => arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === name,
    );
    const argument = keyword?.childForFieldName('value') ?? args[index];
    if (argument === null || argument === undefined || argument.type === 'keyword_argument') return undefined;
    const found = commandsOf(file, argument, scope, depth + 1);
    if (found === undefined) return undefined;
    commands.push(...found);
  }
  return calls === 0 ? undefined : commands;
}

/** A read-only `git` command (`git describe --tags`), as versioning code in setup.py runs. */
function isGitRead(command: Command): boolean {
  return command.program === 'git' && command.argument !== undefined && GIT_READS.has(command.argument);
}

function commandsOfUse(use: CapabilityUse, file: SetupFile): readonly Command[] | undefined {
  return use.node.type === 'call' ? programOf(file, use.node, scopeAt(file, use.node)) : undefined;
}

/** Every command the call may run is a compiler or build system. */
export function isBuildTool(use: CapabilityUse, file: SetupFile): boolean {
  return commandsOfUse(use, file)?.every((command) => BUILD_TOOLS.test(command.program)) === true;
}

/** Every command the call may run is a read-only git command (`git describe --tags`), as versioning code runs. */
export function isGitReadUse(use: CapabilityUse, file: SetupFile): boolean {
  return use.capability === 'process' && commandsOfUse(use, file)?.every(isGitRead) === true;
}

/** Names under the process modules that start nothing: `multiprocessing.cpu_count()`, `subprocess.list2cmdline`. */
export const NO_PROCESS =
  /^(multiprocessing\.(cpu_count|current_process|get_start_method|set_start_method|freeze_support)|subprocess\.(list2cmdline|CalledProcessError|TimeoutExpired|SubprocessError|PIPE|DEVNULL|STDOUT))$/;

export interface Rated {
  readonly what: string;
  readonly severity: Severity;
}

/**
 * How bad a process started by setup.py's module-level code is: read-only `git` is fine, compilers and build
 * systems are low, a script of the project run by Python or a command that is not a constant medium, a shell,
 * inline Python, pip or any other program high.
 */
export function rateProcess(use: CapabilityUse, file: SetupFile): Rated | undefined {
  if (NO_PROCESS.test(use.name)) return undefined;
  const commands = commandsOfUse(use, file);
  if (commands === undefined)
    return { what: 'starts a process whose command is not a constant', severity: 'medium' };
  const rated = commands.flatMap((command) => rateCommand(command) ?? []);
  if (rated.length === 0) return undefined;
  return rated.reduce((worst, next) =>
    severityRank(next.severity) > severityRank(worst.severity) ? next : worst,
  );
}

function rateCommand(command: Command): Rated | undefined {
  if (isGitRead(command)) return undefined;
  const { program, argument } = command;
  if (BUILD_TOOLS.test(program)) return { what: `runs the build tool \`${program}\``, severity: 'low' };
  if (/^python[\d.]*(\.exe)?$/i.test(program)) {
    if (argument === '-c') return { what: 'runs inline Python code in a new interpreter', severity: 'high' };
    if (
      argument === undefined ||
      (/\.py$/i.test(argument) && !argument.startsWith('/') && !argument.includes('..'))
    )
      return { what: 'runs a script of the project with Python', severity: 'medium' };
    return { what: `runs Python with \`${argument}\``, severity: 'high' };
  }
  return { what: `starts \`${program}\``, severity: 'high' };
}
