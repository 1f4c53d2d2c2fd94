import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LimitError } from '../../core/errors.js';
import type { RawFinding } from '../../core/finding.js';
import type { Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import type { Severity } from '../../core/severity.js';
import { benignTemplate } from './pth-benign.js';
import { isHiddenPth, readPth, type PthLine, type PythonRange } from './pth-lines.js';
import { ownersOf, ownsAs, type FileOwner } from './pth-owner.js';
import { rateExecLine } from './pth-rate.js';
import { ENV_PTH_001, ENV_PTH_002, ENV_PTH_003 } from './pth-rules.js';

const MAX_EVIDENCE_CHARS = 160;

/** Folders any local user may write to: a `sys.path` entry there lets them plant modules. */
const WORLD_WRITABLE =
  /^(?:\/(?:tmp|var\/tmp|dev\/shm)|[a-z]:[\\/](?:windows[\\/]temp|users[\\/]public))(?:[\\/]|$)/i;

function evidenceOf(text: string): string {
  return text.length > MAX_EVIDENCE_CHARS ? `${text.slice(0, MAX_EVIDENCE_CHARS)}…` : text;
}

function pythonsNote(pythons: PythonRange): string {
  if (pythons === 'before-3.13') return ' (only Python 3.12 and older read the line this way)';
  if (pythons === '3.13+') return ' (only Python 3.13 and newer read the line this way)';
  return '';
}

/** Where an imported module lives in the same site folder, so the report can show what runs. */
function moduleFile(directory: string, module: string): string | undefined {
  const top = module.split('.')[0] ?? module;
  for (const candidate of [`${top}.py`, join(top, '__init__.py')])
    if (existsSync(join(directory, candidate))) return candidate;
  return undefined;
}

function ownerText(owners: readonly FileOwner[]): string {
  return owners.length === 0 ? 'no distribution' : owners.map((owner) => owner.display).join(', ');
}

/**
 * Judges a `.pth` file as CPython's `site` reads it: each executable line is rated by what it calls, known
 * templates owned by the right distribution are inventory only, and the file is attributed to its distribution
 * through RECORD (or dpkg) with its hash checked.
 */
export async function scanPth(
  absolutePath: string,
  probe: Probe,
  context: ScanContext,
): Promise<ScanOutcome> {
  if (probe.size > context.settings.limits.maxFileBytes)
    throw new LimitError(
      'FILE_SIZE',
      `${probe.path} is larger than ${context.settings.limits.maxFileBytes} bytes`,
    );
  const content = await readFile(absolutePath);
  const name = basename(absolutePath);
  const directory = dirname(absolutePath);
  const hidden = isHiddenPth(name);
  const hiddenNote = hidden
    ? '; the file is hidden, which Python 3.13+ skips but 3.12 and older still run'
    : '';
  const { lines, localeFallback } = readPth(content);
  const encodingNote = localeFallback ? '; not UTF-8, so Python decodes it with the locale encoding' : '';
  const execLines = lines.filter((line) => line.kind === 'exec');
  const owners = await ownersOf(absolutePath, content);
  const intactOwners = owners.filter((owner) => owner.intact !== false);
  const template = benignTemplate(
    name,
    execLines.map((line) => line.text),
  );
  const benign =
    template !== undefined &&
    (intactOwners.some((owner) => ownsAs(owner, template.owner)) ||
      (template.unowned === true && owners.length === 0));
  const packageOf = owners[0]?.display;
  const report = (finding: Omit<RawFinding, 'package'>): void => {
    context.report({ ...finding, ...(packageOf !== undefined && { package: packageOf }) });
  };
  if (!benign) {
    for (const line of execLines) {
      context.checkDeadline();
      await rateLine(line);
    }
    if (execLines.length > 0) checkOwnership();
  }
  for (const line of lines) {
    if (line.kind !== 'path' || !WORLD_WRITABLE.test(line.text)) continue;
    report({
      ruleId: ENV_PTH_002.id,
      message: `${name} adds the world-writable folder ${line.text} to sys.path at every Python start${pythonsNote(line.pythons)}${hiddenNote}`,
      line: line.line,
      evidence: evidenceOf(line.text),
      ...(hidden && { severity: 'low' }),
    });
  }
  return { format: benign ? `pth (${template.label})` : 'pth' };

  async function rateLine(line: PthLine): Promise<void> {
    const rating = await rateExecLine(line.text, () => {
      context.checkDeadline();
    });
    const where = `${pythonsNote(line.pythons)}${hiddenNote}${encodingNote}`;
    if (rating.dangers.length > 0) {
      report({
        ruleId: ENV_PTH_001.id,
        message: `${name} runs code at every Python start that calls ${rating.dangers.join(', ')}${where}`,
        line: line.line,
        evidence: evidenceOf(line.text),
      });
      return;
    }
    const modules = rating.modules.map((module) => {
      const file = moduleFile(directory, module);
      return file === undefined ? module : `${module} (${file})`;
    });
    const severity: Severity | undefined = hidden ? 'low' : undefined;
    report({
      ruleId: ENV_PTH_002.id,
      message: `${name} imports ${modules.join(', ') || 'a module'} at every Python start${where}`,
      line: line.line,
      evidence: evidenceOf(line.text),
      ...(severity !== undefined && { severity }),
    });
  }

  function checkOwnership(): void {
    const first = execLines[0];
    const templateNote =
      template === undefined ? '' : ` (it looks like ${template.label}, which ${template.owner} should own)`;
    if (owners.length === 0) {
      report({
        ruleId: ENV_PTH_003.id,
        message: `${name} runs code at every Python start but no RECORD in its folder lists it${templateNote}`,
        ...(first !== undefined && { line: first.line, evidence: evidenceOf(first.text) }),
      });
    } else if (intactOwners.length === 0) {
      report({
        ruleId: ENV_PTH_003.id,
        message: `${name} does not match the hash ${ownerText(owners)} recorded for it: it was modified after installation${templateNote}`,
        ...(first !== undefined && { line: first.line, evidence: evidenceOf(first.text) }),
      });
    } else if (template !== undefined) {
      report({
        ruleId: ENV_PTH_003.id,
        message: `${name} looks like ${template.label}, which ${template.owner} should own, but ${ownerText(owners)} installed it`,
        ...(first !== undefined && { line: first.line, evidence: evidenceOf(first.text) }),
      });
    }
  }
}
