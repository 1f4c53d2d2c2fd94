import { dirname } from 'node:path';
import type { ModelPart } from '../../core/model-part.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import { FileAccess } from '../../targets/file.js';
import { firstLocalName } from '../../targets/zip.js';
import {
  classifyHead,
  expectsModelContent,
  hasModelExtension,
  importsGlobalEarly,
  isOnnxName,
  pickleFlavour,
} from './classify.js';
import { contentFromAccess, contentFromBytes } from './content.js';
import { createScope, scanContent } from './dispatch.js';
import { namedFileKind } from './named-files.js';
import { MODEL_RULES } from './rules.js';
import { tensorflowFileKind } from './tensorflow/index.js';
import { templateFileKind } from './template-scan.js';
import { isTorchDataPickle } from './zip-scan.js';

const TOP_WINDOW_BYTES = 1024 * 1024;

/** A zip whose first member is `<root>/data.pkl` is what `torch.save` writes; `scan` tells TorchScript apart. */
function zipFormat(head: Uint8Array): string {
  const name = firstLocalName(head);
  return name !== undefined && isTorchDataPickle(name) ? 'pytorch-zip' : 'zip';
}

/**
 * Claims a file by content: pickles of protocol 2+, zip, tar, NumPy, safetensors, GGUF and compressed data whatever the
 * name, ONNX models by their `.onnx` name (protocol 0/1 pickles only under a model extension or when they import a global early, bare zlib streams
 * only under a model extension); and files with a model extension (`.pt`, `.bin`, `.pkl`, …) whatever the
 * content, so that an unrecognised one is reported (SCAN-003) rather than silently skipped. `tokenizer_config.json`
 * and `.jinja`/`.j2` template files are claimed by name for their chat templates. `detect` names the
 * outermost layer; `scan` returns the full format (see `scanContent` for the naming convention).
 */
function detect(probe: Probe): string | undefined {
  const template = templateFileKind(probe.path);
  if (template !== undefined) return template;
  const named = namedFileKind(probe);
  if (named !== undefined) return named;
  const kinds = classifyHead(probe.head, probe.size);
  const [kind = 'unknown'] = kinds;
  const modelName = hasModelExtension(probe.path);
  if (kind === 'unknown' && isOnnxName(probe.path)) return 'onnx';
  const tensorflow = kind === 'unknown' ? tensorflowFileKind(probe.path) : undefined;
  if (tensorflow !== undefined) return tensorflow;
  if (kind === 'unknown') return expectsModelContent(probe.path) ? 'unknown' : undefined;
  // Two-byte zlib headers and protocol 0/1 pickles (an ordinary first character) also start text files.
  const weak =
    kind === 'zlib' || ((kind === 'pickle' || kind === 'pytorch-legacy') && probe.head[0] !== 0x80);
  if (weak && !modelName && !(kind === 'pickle' && importsGlobalEarly(probe.head))) return undefined;
  if (kind === 'zip') return zipFormat(probe.head);
  if (kind === 'pickle') return pickleFlavour(probe.head);
  return kind;
}

async function scan(absolutePath: string, probe: Probe, context: ScanContext): Promise<ScanOutcome> {
  const models: ModelPart[] = [];
  const scope = createScope(context, dirname(absolutePath), models);
  const name = probe.path.slice(probe.path.lastIndexOf('/') + 1);
  // A file that fits in the probe is already in memory: opening it again would double the I/O of small files.
  if (probe.head.length === probe.size) {
    const format = await scanContent(scope, contentFromBytes(probe.head, undefined, name, 0));
    return { format, models: withFilePart(models, format) };
  }
  const access = await FileAccess.open(absolutePath, probe.path);
  try {
    const format = await scanContent(scope, contentFromAccess(access, undefined, name, 0, TOP_WINDOW_BYTES));
    return { format, models: withFilePart(models, format) };
  } finally {
    await access.close();
  }
}

/** Framework implied by a format's layers, for formats whose handlers describe nothing more. */
const FRAMEWORK_BY_LAYER: Readonly<Record<string, string>> = {
  'pytorch-zip': 'pytorch',
  torchscript: 'pytorch',
  'pytorch-legacy': 'pytorch',
  'pytorch-tar': 'pytorch',
  joblib: 'joblib',
  numpy: 'numpy',
  npz: 'numpy',
  keras: 'keras',
  onnx: 'onnx',
  gguf: 'gguf',
  safetensors: 'safetensors',
};

/**
 * Every model file gets a part for itself, so the ML-BOM lists it even when its handler described nothing (a
 * plain pickle) or failed before it could. A part the handler recorded for the file itself is kept as it is.
 * Parts of the file itself come first, then members in the order they were read (containers describe themselves
 * after their members).
 */
function withFilePart(models: readonly ModelPart[], format: string): ModelPart[] {
  const own = models.filter((part) => part.member === undefined);
  const members = models.filter((part) => part.member !== undefined);
  if (own.length > 0) return [...own, ...members];
  // A chat-template file holds no model: the ML-BOM lists it as a plain file.
  if (format === 'tokenizer-config' || format === 'jinja') return members;
  const framework = format
    .split(/[/+]/)
    .map((layer) => FRAMEWORK_BY_LAYER[layer])
    .find((name) => name !== undefined);
  return [{ format, ...(framework !== undefined && { framework }) }, ...members];
}

export const modelScanner: FileScanner = { rules: MODEL_RULES, detect, scan };
