import { LimitError } from '../../core/errors.js';
import { section, type ModelPart } from '../../core/model-part.js';
import type { ScanContext } from '../../core/scanner.js';
import { contentFromBytes, joinMember, type Content } from './content.js';
import type { PickleScanOptions } from './pickle/index.js';

/** What every format handler needs: the scan context and a way back into the dispatcher for nested content. */
export interface Scope {
  readonly context: ScanContext;
  /** Classifies and scans nested content and returns its format. Reports its own problems; never throws, except
   * the file-wide time limit, which must stop the whole file. */
  readonly scan: (content: Content) => Promise<string>;
  /** The folder on disk holding the scanned file, when it is a file on disk (ONNX external data lives there). */
  readonly folder?: string;
  /** Records what a format handler learnt about a model it read (ML-BOM, `mlsec inspect`). */
  readonly describe: (part: ModelPart) => void;
  /** True when handlers should also build {@link ModelPart.sections} (`mlsec inspect`); cheap facts always. */
  readonly detail: boolean;
}

/** Errors that end the whole file rather than one member: the time limit. */
export function isFileWide(error: unknown): boolean {
  return error instanceof LimitError && error.code === 'TIME';
}

/**
 * Options for the pickle machine on `content`. Bytes a pickle would load as another model (for example
 * `torch.storage._load_from_bytes(b)`, which is `torch.load(BytesIO(b))`) come back through `scanNested` and
 * are classified like any other content, one container level deeper.
 */
export function pickleOptions(scope: Scope, content: Content): PickleScanOptions {
  return {
    ...(content.member !== undefined && { member: content.member }),
    torchScript: content.torchScript === true,
    scanNested: async (bytes, label) => {
      await scope.scan(contentFromBytes(bytes, joinMember(content.member, label), label, content.depth + 1));
    },
    ...(scope.detail && {
      describeProgram: (member, program) => {
        scope.describe({
          ...(member !== undefined && { member }),
          format: 'pickle',
          sections: [section('program', program)],
        });
      },
    }),
  };
}
