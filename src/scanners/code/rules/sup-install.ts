import { normalizeName } from '../../deps/pep508/parse.js';
import { defineRule } from '../../../core/rule.js';
import type { Argument, CallSite, CodeMatch, CodeRule } from '../call-site.js';
import type { Severity } from '../../../core/severity.js';
import { constantOf } from '../resolve.js';
import type { Scope } from '../scopes.js';
import { ipythonMethod, unescaped } from './proc-notebook.js';
import { commandOf, SUBPROCESS_STARTERS, SYSTEM_CALLS } from './proc.js';

export const PY_SUP_001 = defineRule({
  id: 'PY-SUP-001',
  domain: 'code',
  title: 'package installed from code or a notebook without a pinned, trusted source',
  description:
    '`!pip install`, `%pip`/`%conda install`, `subprocess.run([sys.executable, "-m", "pip", "install", ...])`, ' +
    '`os.system("pip install ...")` and `pip.main(["install", ...])` install whatever the index serves at run ' +
    'time. Unpinned requirements and git URLs without a commit change under the code; `--extra-index-url` lets ' +
    'a public package shadow a private one (dependency confusion); `--trusted-host` turns off TLS checks for ' +
    'the index; `curl ... | sh` runs a script nobody reviewed; a name one letter away from a popular package ' +
    'is how typosquats get installed.',
  fix: 'Declare dependencies in `requirements.txt`/`pyproject.toml` pinned with `==` and hashes (`pip install --require-hashes -r requirements.txt`), pin git installs to a full commit (`git+https://github.com/org/repo@<40-hex sha>`), use a single `--index-url` that proxies PyPI instead of `--extra-index-url`, drop `--trusted-host`, and download installers to a file, check their checksum, then run them.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-494', 'CWE-829', 'CWE-1357'],
  owasp: ['ML06:2023'],
});

/** An item of a command that is not a literal: it installs something, but nothing can be said about it. */
const UNKNOWN_WORD = '\u0000';

/** The words of a shell command line; quotes are dropped, as the shell does. */
function shellWords(command: string): string[] {
  return (command.match(/"[^"]*"|'[^']*'|[^\s"']+/g) ?? []).map((word) => word.replace(/^["']|["']$/g, ''));
}

/** Separators between the commands of a shell line: each command is checked on its own. */
const COMMAND_SEPARATOR = /&&|\|\||[;\n|&]/;

/** The install commands a shell text runs, each as its words. */
function commandsOfText(text: string): string[][] {
  return text.split(COMMAND_SEPARATOR).map(shellWords);
}

/** The words of a command given as a list: literals and names bound to them; `sys.executable` is Python. */
function wordsOfList(command: Argument, scope: Scope): string[] {
  return command.node.namedChildren.map((item) => {
    const constant = item === null ? undefined : constantOf(item, scope);
    if (constant?.kind === 'string') return constant.value;
    if (constant?.kind === 'reference' && constant.names.includes('sys.executable')) return 'python';
    return UNKNOWN_WORD;
  });
}

const INSTALLERS = /^(?:.*\/)?(?:pip(?:3(?:\.\d+)?)?|conda|mamba|micromamba)$/;

/** The arguments after `install` when the words run pip, `python -m pip`, `uv pip` or conda; else undefined. */
function installArguments(words: readonly string[]): { tool: string; args: string[] } | undefined {
  const at = words.indexOf('install');
  if (at < 1) return undefined;
  const tool = words[at - 1] ?? '';
  if (!INSTALLERS.test(tool)) return undefined;
  return { tool: tool.replace(/^.*\//, ''), args: words.slice(at + 1) };
}

/** pip and conda options that take a value: the value is not a requirement. */
const OPTIONS_WITH_VALUE = new Set([
  '-i',
  '--index-url',
  '--extra-index-url',
  '--trusted-host',
  '-f',
  '--find-links',
  '-r',
  '--requirement',
  '-c',
  '--constraint',
  '--channel',
  '-e',
  '--editable',
  '-t',
  '--target',
  '--prefix',
  '--root',
  '--src',
  '--platform',
  '--python-version',
  '--only-binary',
  '--no-binary',
  '--upgrade-strategy',
  '--cache-dir',
  '--progress-bar',
  '--config-settings',
  '-n',
  '--name',
  '-p',
]);

/** Installer tooling that notebooks upgrade first; pinning it is not what this rule is about. */
const TOOLING = new Set(['pip', 'setuptools', 'wheel', 'conda', 'mamba']);

/**
 * Popular ML and data packages, with real packages a short edit away from one of them (`numba`, `torchx`,
 * `wand`), so that only an unknown near-miss counts as typo-like. The full check against PyPI's top packages
 * belongs to the dependency scanner; this list catches the typos notebooks make.
 */
const POPULAR = new Set(
  (
    'torch torchvision torchaudio torchtext torchdata torchx torcheval pytorch-lightning lightning ' +
    'transformers tokenizers datasets dataset accelerate diffusers safetensors huggingface-hub peft trl ' +
    'bitsandbytes deepspeed xformers vllm triton evaluate sentence-transformers sentencepiece tiktoken timm ' +
    'einops onnx onnxruntime numpy numba scipy scapy sympy pandas polars scikit-learn scikit-image sklearn ' +
    'tensorflow tensorboard keras jax jaxlib flax optax xgboost lightgbm catboost matplotlib seaborn plotly ' +
    'opencv-python pillow requests httpx urllib3 langchain langsmith openai anthropic llama-index mlflow ' +
    'wandb wand gradio streamlit fastapi uvicorn pydantic spacy nltk gensim pyyaml boto3 boto botocore ' +
    'protobuf jupyter notebook ipykernel ipywidgets tqdm'
  ).split(' '),
);

/** Optimal string alignment distance: edits, with a swap of neighbours counting as one (`trohc`). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const previous = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (rows[i - 2]?.[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return rows[a.length]?.[b.length] as number;
}

/** The popular package a name is a near miss of, if any: one edit for short names, two for long ones. */
function lookalikeOf(name: string): string | undefined {
  if (POPULAR.has(name) || name.length < 4) return undefined;
  for (const popular of POPULAR) {
    if (popular.length < 5 || Math.abs(popular.length - name.length) > 2) continue;
    const distance = editDistance(name, popular);
    if (distance >= 1 && distance <= (popular.length >= 8 ? 2 : 1)) return popular;
  }
  return undefined;
}

const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?(.*)$/;
const GIT_URL = /^(?:[\w.-]+\s*@\s*)?git\+/;
const COMMIT = /@[0-9a-f]{7,40}(?:#|$)/;

interface Problems {
  unpinned: string[];
  unpinnedGit: string[];
  lookalikes: string[];
  options: string[];
}

function checkRequirement(requirement: string, conda: boolean, problems: Problems): void {
  if (requirement === UNKNOWN_WORD || /[{$]/.test(requirement)) return;
  if (GIT_URL.test(requirement)) {
    if (!COMMIT.test(requirement)) problems.unpinnedGit.push(requirement);
    return;
  }
  // Local paths, archives and direct URLs name one fixed thing (or nothing this rule can judge).
  if (
    /[/\\:~]/.test(requirement) ||
    requirement.startsWith('.') ||
    /\.(?:whl|zip|tar\.gz)$/.test(requirement)
  )
    return;
  const parsed = REQUIREMENT.exec(requirement);
  if (parsed === null) return;
  const name = normalizeName(parsed[1] ?? '');
  const specifier = parsed[3] ?? '';
  const lookalike = lookalikeOf(name);
  if (lookalike !== undefined) problems.lookalikes.push(`${name} (like ${lookalike})`);
  const pinned = specifier.includes('==') || (conda && /^=[^=<>]/.test(specifier));
  if (!pinned && !TOOLING.has(name)) problems.unpinned.push(parsed[1] ?? name);
}

/** Options that change where packages come from, with what they risk. */
const SOURCE_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['--extra-index-url', '--extra-index-url (a public package can shadow a private one)'],
  ['--index-url', '--index-url (packages come from another index)'],
  ['-i', '--index-url (packages come from another index)'],
  ['--trusted-host', '--trusted-host (no TLS check for that host)'],
]);

function checkInstall(args: readonly string[], conda: boolean, problems: Problems): void {
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? '';
    const option = word.split('=', 1)[0] ?? '';
    if (option.startsWith('-')) {
      const risk = SOURCE_OPTIONS.get(option);
      if (risk !== undefined && !problems.options.includes(risk)) problems.options.push(risk);
      if (OPTIONS_WITH_VALUE.has(option) && !word.includes('=')) i++;
      continue;
    }
    checkRequirement(word, conda, problems);
  }
}

/** `curl ... | sh`, `wget -O- ... | bash`, `bash <(curl ...)`, `sh -c "$(curl ...)"`. */
const PIPE_TO_SHELL =
  /\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da)?sh\b|\b(?:ba|z)?sh\s+(?:-c\s+)?["']?(?:<\(|\$\()\s*(?:curl|wget)\b/;

/** The command lines a call runs, as shell text or as words already split. */
function commandsOf(call: CallSite): { text: string; commands: string[][] } | undefined {
  const method = call.name.slice(call.name.lastIndexOf('.') + 1);
  const literal = (position: number): string | undefined => {
    const constant = call.positional[position]?.constant;
    return constant?.kind === 'string' ? unescaped(constant.value) : undefined;
  };
  if (call.name.startsWith('pip.') || call.name.startsWith('pip._internal')) {
    const list = call.positional[0];
    if (list === undefined || list.node.type !== 'list') return undefined;
    return { text: '', commands: [['pip', ...wordsOfList(list, call.scope)]] };
  }
  if (method === 'run_line_magic') {
    const magic = literal(0);
    const args = literal(1);
    if (magic === undefined || args === undefined) return undefined;
    const text = `${magic} ${args}`;
    return { text, commands: commandsOfText(text) };
  }
  const command =
    method === 'run_cell_magic'
      ? call.positional[2]
      : call.name.includes('get_ipython')
        ? call.positional[0]
        : commandOf(call);
  if (command === undefined) return undefined;
  if (command.constant?.kind === 'string') {
    const text = unescaped(command.constant.value);
    return { text, commands: commandsOfText(text) };
  }
  if (command.node.type === 'list' || command.node.type === 'tuple')
    return { text: '', commands: [wordsOfList(command, call.scope)] };
  return undefined;
}

function installMatch(call: CallSite): CodeMatch | undefined {
  const found = commandsOf(call);
  if (found === undefined) return undefined;
  const problems: Problems = { unpinned: [], unpinnedGit: [], lookalikes: [], options: [] };
  for (const words of found.commands) {
    const install = installArguments(words);
    if (install !== undefined) checkInstall(install.args, !install.tool.startsWith('pip'), problems);
  }
  const pipedScript = PIPE_TO_SHELL.exec(found.text);
  const parts = [
    ...problems.options.map((option) => `uses ${option}`),
    ...(pipedScript === null ? [] : [`pipes a download into a shell (${pipedScript[0].trim()})`]),
    ...(problems.lookalikes.length > 0
      ? [`installs a name close to a popular package: ${problems.lookalikes.join(', ')}`]
      : []),
    ...(problems.unpinnedGit.length > 0
      ? [`installs from git without a commit: ${problems.unpinnedGit.join(', ')}`]
      : []),
    ...(problems.unpinned.length > 0 ? [`installs unpinned: ${problems.unpinned.join(', ')}`] : []),
  ];
  if (parts.length === 0) return undefined;
  // A replacement index is a choice of whom to trust; an extra index or no TLS lets someone else choose.
  const severity: Severity =
    problems.options.some((option) => !option.startsWith('--index-url')) || pipedScript !== null
      ? 'high'
      : 'medium';
  const who = call.name.includes('get_ipython()') ? 'notebook command' : call.name;
  return { message: `${who} ${parts.join('; ')}`, severity };
}

export const packageInstallCheck: CodeRule = {
  rule: PY_SUP_001,
  calls: [
    ...SUBPROCESS_STARTERS,
    ...SYSTEM_CALLS,
    'pip.main',
    'pip._internal.main',
    'pip._internal.cli.main.main',
    ...['system', 'getoutput', 'run_line_magic', 'run_cell_magic'].flatMap(ipythonMethod),
  ],
  check: installMatch,
};
