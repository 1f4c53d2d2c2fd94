import { ParseError } from '../../../core/errors.js';
import type { Content } from '../content.js';
import type { Scope } from '../scope.js';

/**
 * TensorFlow files are protobuf without a magic, recognised by the names the SavedModel loader opens:
 * `saved_model.pb`, `saved_model.pbtxt` (the text format it falls back to) and Keras 2's `keras_metadata.pb`.
 */
const FILE_KINDS = {
  'saved_model.pb': 'tensorflow-savedmodel',
  'saved_model.pbtxt': 'tensorflow-savedmodel-text',
  'keras_metadata.pb': 'keras-metadata',
} as const;

export type TensorflowFileKind = (typeof FILE_KINDS)[keyof typeof FILE_KINDS];

export function tensorflowFileKind(path: string): TensorflowFileKind | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).toLowerCase();
  return Object.hasOwn(FILE_KINDS, name) ? FILE_KINDS[name as keyof typeof FILE_KINDS] : undefined;
}

/** Scans content whose name {@link tensorflowFileKind} recognises and returns its format name. */
export async function scanTensorflowFile(scope: Scope, content: Content): Promise<string> {
  const kind = tensorflowFileKind(content.name);
  switch (kind) {
    // The decoders load protobufjs and TensorFlow's schema, so they are imported only when a file needs them:
    // most scans meet no SavedModel, and every worker would otherwise pay for them at start.
    case 'tensorflow-savedmodel': {
      const { scanSavedModel } = await import('./saved-model.js');
      await scanSavedModel(scope, content);
      return kind;
    }
    case 'keras-metadata': {
      const { scanKerasMetadata } = await import('./keras-metadata.js');
      await scanKerasMetadata(scope, content);
      return kind;
    }
    case 'tensorflow-savedmodel-text':
      // TensorFlow loads this when saved_model.pb is absent; mlsec has no protobuf text parser, so it fails closed.
      throw new ParseError(
        'UNSUPPORTED',
        'SavedModel in protobuf text format (saved_model.pbtxt) is not read',
      );
    case undefined:
      throw new ParseError('UNSUPPORTED', `'${content.name}' is not a TensorFlow file name`);
  }
}
