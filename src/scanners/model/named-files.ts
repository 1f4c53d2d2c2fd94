import { LimitError } from '../../core/errors.js';
import type { Probe } from '../../core/scanner.js';
import { ReaderSource } from '../../targets/reader-source.js';
import { bufferSource } from '../../targets/memory.js';
import type { Content } from './content.js';
import { MAX_HF_JSON_BYTES, hfFileKind, scanHfFile, type HfFileKind } from './hf-folder.js';
import { MAX_MLMODEL_BYTES, scanMlmodel } from './mlflow.js';
import { baseName, siteOf } from './named-site.js';
import type { Scope } from './scope.js';
import { MAX_TEMPLATE_FILE_BYTES, scanTemplateFile, templateFileKind } from './template-scan.js';

/**
 * Metadata files of model folders, claimed by name: an MLflow `MLmodel`, and a Hugging Face model
 * `config.json` or sharded-weights index. The model files they sit next to are scanned as files of their own.
 */
export type NamedFileKind = 'mlflow' | HfFileKind;

export function namedFileKind(probe: Pick<Probe, 'path' | 'head'>): NamedFileKind | undefined {
  const name = probe.path.slice(probe.path.lastIndexOf('/') + 1);
  if (name === 'MLmodel') return 'mlflow';
  return hfFileKind(name, probe.head);
}

/**
 * Content claimed by name: a file on disk, or an archive member (or the decompressed data of `MLmodel.gz`) that on
 * disk would be a file of its own. The whole of it is read within the handler's size bound, and findings and model
 * parts carry the member. Returns the format, or undefined when no by-name handler claims the name.
 */
export async function scanNamedContent(
  scope: Scope,
  content: Content,
  head: Uint8Array,
): Promise<string | undefined> {
  const name = baseName(content.name);
  const template = templateFileKind(name);
  if (template !== undefined) {
    const bytes = await readWhole(content, MAX_TEMPLATE_FILE_BYTES, template);
    scanTemplateFile(scope, template, bytes, content.member);
    return template;
  }
  const kind = namedFileKind({ path: name, head });
  if (kind === undefined) return undefined;
  const site = siteOf(content);
  if (kind === 'mlflow') await scanMlmodel(scope, await readWhole(content, MAX_MLMODEL_BYTES, kind), site);
  else scanHfFile(scope, kind, await readWhole(content, MAX_HF_JSON_BYTES, kind), site);
  return kind;
}

/**
 * The rest of the content's bytes, read in chunks so that the bound, not the declared size (an archive may lie
 * about it), decides how much memory is used. Over the bound fails closed.
 */
async function readWhole(content: Content, bound: number, kind: string): Promise<Uint8Array> {
  const tooLarge = (size: number): LimitError =>
    new LimitError('MEMORY', `${kind} content has ${size} bytes, more than ${bound}`);
  if (content.size !== undefined && content.size > bound) throw tooLarge(content.size);
  return bufferSource(new ReaderSource(content.reader), bound, tooLarge);
}
