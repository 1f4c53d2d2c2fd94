import { LimitError } from '../../core/errors.js';
import type { ModelPart } from '../../core/model-part.js';
import { SCAN_UNRECOGNISED } from '../../core/scan-rules.js';
import { PROBE_BYTES, type ScanContext } from '../../core/scanner.js';
import { reportUnreadable } from '../../core/unreadable.js';
import { isTarMemberData } from '../../targets/tar.js';
import {
  classifyHead,
  expectsModelContent,
  isOnnxName,
  pickleFlavour,
  type ContentKind,
} from './classify.js';
import { scanCompressed } from './compressed.js';
import { contentFromAccess, peekHead, randomAccessOf, type Content } from './content.js';
import { scanNumpy } from './numpy.js';
import { scanGguf } from './gguf.js';
import { scanHdf5 } from './keras-h5.js';
import { scanNamedContent } from './named-files.js';
import { scanSafetensors } from './safetensors.js';
import { scanOnePickle, scanPickleStream } from './pickle/index.js';
import { POLYGLOT_FILE } from './rules.js';
import { isFileWide, pickleOptions, type Scope } from './scope.js';
import { scanTar } from './tar-scan.js';
import { scanTensorflowFile, tensorflowFileKind } from './tensorflow/index.js';
import { scanLegacyTorch } from './torch-legacy.js';
import { findZipView, scanWithZipView, scanZipContent } from './zip-view.js';

function reportUnrecognised(context: ScanContext, content: Content): void {
  context.report({
    ruleId: SCAN_UNRECOGNISED.id,
    message: `'${content.name}' has a model-file extension but its content is none of the formats mlsec reads`,
    evidence: 'UNRECOGNISED_CONTENT',
    ...(content.member !== undefined && { member: content.member }),
  });
}

/** Scans content of one known kind and returns its format name. */
async function scanKind(
  scope: Scope,
  content: Content,
  kind: ContentKind,
  head: Uint8Array,
): Promise<string> {
  switch (kind) {
    case 'zip':
      return scanZipContent(scope, content);
    case 'numpy':
      await scanNumpy(scope, content);
      return 'numpy';
    case 'safetensors':
      await scanSafetensors(scope, content);
      return 'safetensors';
    case 'gguf':
      await scanGguf(scope, content);
      return 'gguf';
    case 'hdf5':
      return scanHdf5(scope, content);
    case 'tar':
      return scanTar(scope, content);
    case 'pytorch-legacy':
      await scanLegacyTorch(scope, content);
      return 'pytorch-legacy';
    case 'pickle':
      await scanPickleStream(content.reader, scope.context, pickleOptions(scope, content));
      return pickleFlavour(head);
    case 'gzip':
    case 'bz2':
    case 'xz':
    case 'lzma':
    case 'zlib':
    case 'joblib-zf':
    case 'lz4':
      return scanCompressed(scope, content, kind);
    case 'unknown':
      if (isOnnxName(content.name)) {
        // Imported on first use: protobufjs and the ONNX schema would slow every worker's start otherwise.
        const { scanOnnx } = await import('./onnx/onnx.js');
        await scanOnnx(scope, content);
        return 'onnx';
      }
      if (tensorflowFileKind(content.name) !== undefined) return scanTensorflowFile(scope, content);
      if (expectsModelContent(content.name)) reportUnrecognised(scope.context, content);
      return 'unknown';
  }
}

/**
 * Content that two loaders read as different formats (a tar header whose bytes also start a pickle: torch
 * tries tarfile first, `pickle.load` reads the pickle): each view is scanned from the start, on its own, so a
 * failure in one does not hide the other. The pickle view is the one pickle `pickle.load` reads; the bytes after
 * it belong to the tar view.
 */
async function scanViews(scope: Scope, content: Content, kinds: readonly ContentKind[]): Promise<string> {
  const access = await randomAccessOf(content, scope.context);
  scope.context.report({
    ruleId: POLYGLOT_FILE.id,
    message: `Content reads as ${kinds.join(' and ')}; each view is scanned`,
    evidence: kinds.join('+'),
    ...(content.member !== undefined && { member: content.member }),
  });
  const formats: string[] = [];
  for (const kind of kinds) {
    const view = contentFromAccess(access, content.member, content.name, content.depth);
    try {
      if (kind === 'pickle') {
        await scanOnePickle(view.reader, scope.context, pickleOptions(scope, view));
        formats.push(kind);
      } else {
        formats.push(await scanKind(scope, view, kind, await peekHead(view, PROBE_BYTES)));
      }
    } catch (error) {
      if (isFileWide(error)) throw error;
      reportUnreadable(scope.context, error, content.member);
      formats.push(kind);
    }
  }
  return formats.join('+');
}

/**
 * Classifies content by its bytes and scans it with the matching handler. Any problem is reported against the
 * content's member label (SCAN-001/002) and the content's format so far is returned, so siblings go on; only
 * the file-wide time limit propagates.
 *
 * Format names: one name per layer, outermost first, joined with `/` (`gzip/pickle`, `xz/tar`); the views of a
 * polyglot joined with `+` (`pickle+pytorch-zip`). Layer names: `pickle`, `joblib`, `pytorch-zip`,
 * `torchscript`, `pytorch-legacy`, `pytorch-tar`, `numpy`, `npz`, `keras`, `keras-h5`, `hdf5`, `safetensors`, `gguf`, `onnx`, `zip`, `tar`, `gzip`, `bz2`, `xz`, `lzma`,
 * `zlib` (a bare zlib stream, as joblib writes), `joblib-zf` (joblib < 0.10), `lz4`, `unknown`.
 */
export async function scanContent(scope: Scope, content: Content): Promise<string> {
  let format = 'unknown';
  try {
    const limits = scope.context.settings.limits;
    if (content.depth > limits.maxNestingDepth) {
      throw new LimitError('NESTING_DEPTH', `containers nested more than ${limits.maxNestingDepth} deep`);
    }
    const head = await peekHead(content, PROBE_BYTES);
    // Files claimed by name (MLmodel, config.json, shard indexes, tokenizer_config.json, templates) are read as
    // what their loader reads, before their bytes are looked at, on disk and as archive members alike: a template
    // that happens to start like a pickle is still the template.
    const named = await scanNamedContent(scope, content, head);
    if (named !== undefined) return named;
    const kinds = classifyHead(head, content.size);
    const [kind = 'unknown'] = kinds;
    format = kind;
    if (content.access !== undefined && kind !== 'zip') {
      const view = await findZipView(content.access, scope);
      // A zip stored as a member of a tar is nested content the tar scan reaches, not a second view.
      const member =
        kind === 'tar' && view !== undefined && (await isTarMemberData(content.access, view.directory.base));
      if (view !== undefined && !member) {
        return await scanWithZipView(scope, content, content.access, view, kind);
      }
    }
    if (kinds.length > 1) return await scanViews(scope, content, kinds);
    return await scanKind(scope, content, kind, head);
  } catch (error) {
    if (isFileWide(error)) throw error;
    reportUnreadable(scope.context, error, content.member);
    return format;
  }
}

/** A scope for one file; the model parts its handlers describe are collected into `parts`. */
export function createScope(context: ScanContext, folder?: string, parts: ModelPart[] = []): Scope {
  const scope: Scope = {
    context,
    scan: (content) => scanContent(scope, content),
    describe: (part) => parts.push(part),
    detail: context.settings.detail === true,
    ...(folder !== undefined && { folder }),
  };
  return scope;
}
