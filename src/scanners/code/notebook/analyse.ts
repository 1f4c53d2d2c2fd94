import type { Node } from 'web-tree-sitter';
import type { RawFinding } from '../../../core/finding.js';
import { analyse, type SourceInfo } from '../analyse.js';
import { parsePython } from '../parser.js';
import { PY_PARSE_001 } from '../rules/parse.js';
import { translateCell } from './ipython.js';
import type { NotebookCell } from './read.js';

/** A code cell translated to Python, and what it contributes to the notebook's combined program. */
interface CellProgram {
  readonly cell: NotebookCell;
  readonly lines: readonly string[];
  readonly parses: boolean;
  /** The cell's lines in the combined program: all of them, or only its import lines when it does not parse. */
  readonly shared: readonly string[];
  /** 0-based line of the combined program where this cell's first line sits. */
  readonly start: number;
}

const IMPORTS = new Set(['import_statement', 'import_from_statement', 'future_import_statement']);
const COMMENT_OR_BLANK = /^\s*(?:#.*)?$/;
/** Evidence is one line, cut like the analysis cuts it. */
const MAX_WRITTEN_EVIDENCE_CHARS = 160;

/** The member that names a cell in finding locations: `cell 3`, counting every cell from 1 as editors do. */
export function cellMember(cell: NotebookCell): string {
  return `cell ${cell.number}`;
}

/** A top-level import of a broken cell that owns its lines, so that copying those lines copies just the import. */
function ownsItsLines(statement: Node, lines: readonly string[]): boolean {
  if (!IMPORTS.has(statement.type) || statement.hasError || statement.startPosition.column !== 0)
    return false;
  const text = lines.slice(statement.startPosition.row, statement.endPosition.row + 1).join('\n');
  return text.startsWith(statement.text) && COMMENT_OR_BLANK.test(text.slice(statement.text.length));
}

async function shareOf(lines: readonly string[]): Promise<{ parses: boolean; shared: readonly string[] }> {
  const tree = await parsePython(lines.join('\n'));
  try {
    const root = tree.rootNode;
    if (!root.hasError) return { parses: true, shared: lines };
    const shared = lines.map(() => '');
    for (const statement of root.namedChildren) {
      if (statement === null || !ownsItsLines(statement, lines)) continue;
      for (let row = statement.startPosition.row; row <= statement.endPosition.row; row++)
        shared[row] = lines[row] ?? '';
    }
    return { parses: false, shared };
  } finally {
    tree.delete();
  }
}

async function analyseProgram(
  source: string,
  origin: SourceInfo,
  checkDeadline: () => void,
): Promise<RawFinding[]> {
  const tree = await parsePython(source);
  try {
    return analyse(tree.rootNode, checkDeadline, origin);
  } finally {
    tree.delete();
  }
}

/**
 * A finding of the combined program placed in its cell: the cell as member, the cell-relative line, and, for an
 * IPython line that was translated (`!pip install x` became `get_ipython().system("pip install x")`), the line as
 * the user wrote it for evidence.
 */
function inCell(finding: RawFinding, program: CellProgram, line: number): RawFinding {
  const written = program.cell.source.split('\n')[line - 1];
  const translated = program.lines[line - 1];
  const evidence =
    written !== undefined && written !== translated && finding.evidence !== undefined
      ? written.trim().slice(0, MAX_WRITTEN_EVIDENCE_CHARS)
      : finding.evidence;
  return {
    ...finding,
    member: cellMember(program.cell),
    line,
    ...(evidence !== undefined && { evidence }),
  };
}

/**
 * Analyses a notebook's code cells as the one program the kernel runs, so that `import pickle` in cell 1 resolves
 * `pickle.load` in cell 4. The cells are joined in order, each on its own lines. A cell with syntax errors (a
 * half-typed line) would swallow the cells after it, so it shares only its top-level imports there, and is analysed
 * on its own with the earlier cells' lines. Findings carry the cell as their member and cell-relative lines.
 */
export async function analyseCells(
  cells: readonly NotebookCell[],
  path: string,
  checkDeadline: () => void,
  enabledRules?: ReadonlySet<string>,
): Promise<RawFinding[]> {
  const origin: SourceInfo = { path, notebook: true, ...(enabledRules !== undefined && { enabledRules }) };
  const programs: CellProgram[] = [];
  let start = 0;
  for (const cell of cells) {
    checkDeadline();
    const lines = translateCell(cell.source).split('\n');
    programs.push({ cell, lines, ...(await shareOf(lines)), start });
    start += lines.length;
  }
  const located: { cell: number; finding: RawFinding }[] = [];
  const combined = programs.flatMap((program) => program.shared).join('\n');
  for (const finding of await analyseProgram(combined, origin, checkDeadline)) {
    const row = (finding.line ?? 1) - 1;
    const program = programs.findLast((candidate) => candidate.start <= row);
    // A broken cell's findings come from its own analysis below.
    if (program === undefined || !program.parses) continue;
    const line = row - program.start + 1;
    located.push({ cell: program.cell.number, finding: inCell(finding, program, line) });
  }
  for (const [index, program] of programs.entries()) {
    const { cell, lines, parses } = program;
    if (parses) continue;
    const isInCell = (finding: RawFinding): boolean => (finding.line ?? 1) <= lines.length;
    const report = (finding: RawFinding): void => {
      located.push({ cell: cell.number, finding: inCell(finding, program, finding.line ?? 1) });
    };
    // The syntax problem is the cell's own: analysed alone, no other cell's lines enter its message.
    for (const finding of await analyseProgram(lines.join('\n'), origin, checkDeadline))
      if (finding.ruleId === PY_PARSE_001.id) report(finding);
    // Calls are resolved with the earlier cells' lines appended after the cell: a name bound nowhere before its use
    // resolves to its later bindings, and the cell's own lines keep their numbers.
    const earlier = programs.slice(0, index).flatMap((program) => program.shared);
    for (const finding of await analyseProgram([...lines, ...earlier].join('\n'), origin, checkDeadline))
      if (finding.ruleId !== PY_PARSE_001.id && isInCell(finding)) report(finding);
  }
  return located
    .sort((a, b) => a.cell - b.cell || (a.finding.line ?? 0) - (b.finding.line ?? 0))
    .map(({ finding }) => finding);
}
