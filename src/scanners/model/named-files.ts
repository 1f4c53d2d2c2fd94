import { readFile } from 'node:fs/promises';
import { LimitError } from '../../core/errors.js';
import type { Probe } from '../../core/scanner.js';
import { MAX_HF_JSON_BYTES, hfFileKind, scanHfFile, type HfFileKind } from './hf-folder.js';
import { MAX_MLMODEL_BYTES, scanMlmodel } from './mlflow.js';
import type { Scope } from './scope.js';

/**
 * Metadata files of model folders, claimed by name: an MLflow `MLmodel`, and a Hugging Face model
 * `config.json` or sharded-weights index. The model files they sit next to are scanned as files of their own.
 */
export type NamedFileKind = 'mlflow' | HfFileKind;

export function namedFileKind(probe: Probe): NamedFileKind | undefined {
  const name = probe.path.slice(probe.path.lastIndexOf('/') + 1);
  if (name === 'MLmodel') return 'mlflow';
  return hfFileKind(name, probe.head);
}

/** Reads the whole (small) file, over its bound failing closed, and scans it. */
export async function scanNamedFile(
  scope: Scope,
  kind: NamedFileKind,
  absolutePath: string,
  probe: Probe,
): Promise<void> {
  const bound = kind === 'mlflow' ? MAX_MLMODEL_BYTES : MAX_HF_JSON_BYTES;
  if (probe.size > bound) {
    throw new LimitError('MEMORY', `${kind} file has ${probe.size} bytes, more than ${bound}`);
  }
  const bytes = probe.head.length === probe.size ? probe.head : new Uint8Array(await readFile(absolutePath));
  if (kind === 'mlflow') await scanMlmodel(scope, bytes);
  else scanHfFile(scope, kind, bytes);
}
