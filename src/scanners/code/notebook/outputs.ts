import type { RawFinding } from '../../../core/finding.js';
import type { Severity } from '../../../core/severity.js';
import { findSecrets, isPlaceholderValue, type SecretMatch } from '../rules/sec-formats.js';
import { describeSecrets, PY_SEC_004, PY_SEC_006, redactedLine } from '../rules/sec-tokens.js';
import { cellMember } from './analyse.js';
import type { CellOutput, NotebookCell } from './read.js';

/**
 * Only this much of each output's text is read (UTF-16 units, about a MiB of ASCII): training logs can run to
 * tens of MiB, and the environment dumps and keys these rules look for are printed early.
 */
export const MAX_OUTPUT_TEXT = 1024 * 1024;

/** Colour codes of IPython tracebacks and progress bars: they would split words and lines the rules read. */
// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with the ESC control character.
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** `NAME=value` lines as `!env`, `!printenv`, `export -p` and `set` print them. */
const ENV_LINE = /^(?:declare -x |export )?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm;
/** `'NAME': 'value'` entries of `%env` and of a displayed `os.environ` (`environ({'PATH': …})`). */
const ENV_ENTRY = /['"]([A-Za-z_][A-Za-z0-9_]*)['"]: ['"]([^'"\n]*)['"]/g;
/** Variables every process environment has: their presence tells an environment dump from a config print. */
const WELL_KNOWN =
  /^(?:PATH|HOME|PWD|USER|SHELL|HOSTNAME|LANG|TERM|SHLVL|LD_LIBRARY_PATH|PYTHONPATH|JPY_PARENT_PID|CUDA_HOME)$/;
/** At least this many variables, one of them well known, make an output an environment dump. */
const MIN_ENV_VARIABLES = 4;
/** Names of variables that hold credentials: `HF_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `WANDB_API_KEY`. */
const CREDENTIAL_VARIABLE = /(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|SECRET_KEY|ACCESS_KEY|PASSWORD|PASSWD)$/i;
const TRACEBACK = /Traceback \(most recent call last\)|^\w+(?:Error|Exception): /m;

/** Where in an output a finding sits: its 1-based line within the output's text. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

interface Variable {
  readonly name: string;
  readonly value: string;
  readonly index: number;
}

function variablesIn(text: string): Variable[] {
  const variables: Variable[] = [];
  for (const pattern of [ENV_LINE, ENV_ENTRY])
    for (const match of text.matchAll(pattern))
      variables.push({ name: match[1] ?? '', value: match[2] ?? '', index: match.index });
  return variables;
}

interface OutputFinding {
  readonly ruleId: string;
  readonly message: string;
  readonly index: number;
  readonly evidence: string;
  readonly severity?: Severity;
}

/** An environment dump: names only in the message and evidence, never values. */
function environmentDump(text: string): OutputFinding | undefined {
  const variables = variablesIn(text);
  const names = [...new Set(variables.map((variable) => variable.name))];
  if (names.length < MIN_ENV_VARIABLES || !names.some((name) => WELL_KNOWN.test(name))) return undefined;
  const credentials = [
    ...new Set(
      variables
        .filter(({ name, value }) => CREDENTIAL_VARIABLE.test(name) && !isPlaceholderValue(value))
        .map(({ name }) => name),
    ),
  ];
  // A reduce, not Math.min(...): a long log can hold more matches than a call takes arguments.
  const first = variables.reduce((lowest, variable) => Math.min(lowest, variable.index), text.length);
  const shown = credentials.length > 0 ? credentials : names;
  return {
    ruleId: PY_SEC_006.id,
    message:
      `environment dump of ${names.length} variables` +
      (credentials.length > 0 ? `, with credentials in ${credentials.slice(0, 5).join(', ')}` : ''),
    index: first,
    evidence: `${shown.slice(0, 6).join('=… ')}=…${shown.length > 6 ? ' …' : ''}`,
    // Values of credential variables in the dump are the secrets themselves.
    ...(credentials.length > 0 && { severity: 'high' as const }),
  };
}

function secretsFinding(output: CellOutput, text: string, secrets: SecretMatch[]): OutputFinding | undefined {
  const [first] = secrets;
  if (first === undefined) return undefined;
  const traceback = output.type === 'error' || TRACEBACK.test(text);
  return {
    ruleId: traceback ? PY_SEC_006.id : PY_SEC_004.id,
    message: `${describeSecrets(secrets)} in ${traceback ? 'a traceback' : 'the output'}`,
    index: first.index,
    evidence: redactedLine(text, first.index, secrets),
    // A key in a traceback is as usable as one anywhere else.
    ...(traceback && { severity: 'high' as const }),
  };
}

/**
 * Findings in the saved outputs of code cells: keys of known formats (PY-SEC-004, or PY-SEC-006 when a traceback
 * shows them) and environment dumps (PY-SEC-006). Each finding is located by cell, with the output's number and
 * the line within its text in the message, and redacted evidence.
 */
export function scanOutputs(cells: readonly NotebookCell[], checkDeadline: () => void): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const cell of cells) {
    for (const output of cell.outputs ?? []) {
      checkDeadline();
      const truncated = output.text.length > MAX_OUTPUT_TEXT;
      const text = output.text.slice(0, MAX_OUTPUT_TEXT).replace(ANSI_ESCAPE, '');
      const found = [environmentDump(text), secretsFinding(output, text, findSecrets(text))];
      for (const finding of found) {
        if (finding === undefined) continue;
        const line = lineAt(text, finding.index);
        const limit = truncated ? ` (only the first ${MAX_OUTPUT_TEXT} characters were read)` : '';
        findings.push({
          ruleId: finding.ruleId,
          message: `${finding.message} (output ${output.number}, line ${line})${limit}`,
          member: cellMember(cell),
          line,
          evidence: finding.evidence,
          ...(finding.severity !== undefined && { severity: finding.severity }),
        });
      }
    }
  }
  return findings;
}
