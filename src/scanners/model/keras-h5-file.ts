import { closeSync, fstatSync, openSync } from 'node:fs';
import type { File } from 'h5wasm';
import { LimitError, MlsecError, ParseError, messageOf } from '../../core/errors.js';
import { readFully } from '../../targets/file.js';
import { checkGlobalHeaps } from './keras-h5-heap.js';

/*
 * HDF5 is read with h5wasm's browser build: the HDF5 C library compiled to WebAssembly over an in-memory
 * Emscripten file system. Unlike the Node build (NODERAWFS: the whole host file system), HDF5 then sees only the
 * one file being scanned, so external links, external storage and virtual datasets in a hostile file cannot
 * make it open host paths. A file on disk is not copied in: its MEMFS node reads the host file on demand,
 * within a byte budget. Content that exists only in memory (an archive member) is written to MEMFS whole,
 * within a size bound.
 */

/** h5wasm, imported on the first HDF5 file: compiling its WebAssembly would slow every worker's start. */
type H5wasm = typeof import('h5wasm');
type H5Module = Awaited<H5wasm['ready']>;

/** The few Emscripten FS internals used here; h5wasm's typings leave FS untyped. */
interface StreamOps {
  read(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number;
  write(stream: unknown, buffer: Uint8Array, offset: number, length: number, position?: number): number;
}
interface FsNode {
  node_ops: { getattr(node: FsNode): object };
  stream_ops: StreamOps;
}
interface EmscriptenFs {
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
  lookupPath(path: string): { node: FsNode };
  getStream(fd: number): { stream_ops: StreamOps } | null;
  ErrnoError: new (errno: number) => Error;
}

/** Emscripten's errno for an I/O error: HDF5 sees a failed read() and reports its own error. */
const EIO = 29;
/** HDF5's class number for strings in attribute metadata. */
const H5T_STRING = 3;
/** How much of HDF5's error output is kept to explain a failure. */
const DIAGNOSTIC_TAIL_CHARS = 8192;

/** Largest in-memory HDF5 content (an archive member) copied into MEMFS; larger ones fail closed. */
export const HDF5_MAX_MEMORY_BYTES = 256 * 1024 * 1024;
/**
 * Bytes read from a file on disk per scan. Root attributes and object headers are small; only an attribute of
 * tens of megabytes (or a hostile file pointing HDF5 at its whole payload) gets near this.
 */
export const HDF5_READ_BUDGET_BYTES = 160 * 1024 * 1024;

interface Library {
  readonly h5wasm: H5wasm;
  readonly module: H5Module;
  readonly fs: EmscriptenFs;
  /** HDF5's error stack printed since the last reset, which would otherwise go to the process's stderr. */
  diagnostics: string;
}

let library: Library | undefined;
let nextFileNumber = 0;

async function loadLibrary(): Promise<Library> {
  if (library !== undefined) return library;
  const h5wasm = await import('h5wasm');
  const module = await h5wasm.ready;
  // h5wasm types FS as a file-system type; at run time it is Emscripten's FS object.
  const fs = module.FS as unknown as EmscriptenFs;
  const loaded: Library = { h5wasm, module, fs, diagnostics: '' };
  const stderr = fs.getStream(2);
  if (stderr !== null) {
    stderr.stream_ops = {
      ...stderr.stream_ops,
      write: (_stream, buffer, offset, length) => {
        const text =
          loaded.diagnostics + Buffer.from(buffer.subarray(offset, offset + length)).toString('latin1');
        loaded.diagnostics = text.slice(-DIAGNOSTIC_TAIL_CHARS);
        return length;
      },
    };
  }
  library = loaded;
  return loaded;
}

/** The innermost HDF5 error message (`… in H5F__super_read(): unable to load superblock` → its text). */
function lastDiagnostic(diagnostics: string): string | undefined {
  const matches = [...diagnostics.matchAll(/#\d+: .* in (\S+\(\)): (.*)$/gm)];
  const last = matches.at(-1);
  return last === undefined ? undefined : `${last[1] ?? ''}: ${last[2] ?? ''}`;
}

/** Where the HDF5 content is: a file on disk (read on demand) or bytes in memory. */
export type Hdf5Input = { readonly path: string } | { readonly bytes: Uint8Array };

export interface Hdf5Dataset {
  readonly path: string;
  readonly shape: readonly number[];
}

/** Read-only questions about an open HDF5 file that never read dataset payloads. */
export class Hdf5View {
  private readonly library: Library;
  private readonly module: H5Module;
  private readonly fileId: bigint;

  constructor(library: Library, fileId: bigint) {
    this.library = library;
    this.module = library.module;
    this.fileId = fileId;
  }

  rootAttributeNames(): string[] {
    return this.module.get_attribute_names(this.fileId, '/');
  }

  /** A scalar text attribute of the root group, at most `maxBytes` long; undefined when absent. */
  textAttribute(name: string, maxBytes: number): string | undefined {
    if (!this.rootAttributeNames().includes(name)) return undefined;
    const metadata = this.module.get_attribute_metadata(this.fileId, '/', name);
    const elements = (metadata.shape ?? []).reduce((product, size) => product * size, 1);
    if (metadata.type !== H5T_STRING || elements !== 1) {
      throw new ParseError('INVALID_VALUE', `HDF5 attribute '${name}' is not a text scalar`);
    }
    if (!metadata.vlen && metadata.size > maxBytes) {
      throw new LimitError(
        'MEMORY',
        `HDF5 attribute '${name}' has ${metadata.size} bytes, more than ${maxBytes}`,
      );
    }
    const value = new this.library.h5wasm.Attribute(this.fileId, '/', name).value;
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text !== 'string') {
      throw new ParseError('INVALID_VALUE', `HDF5 attribute '${name}' is not text`);
    }
    if (Buffer.byteLength(text) > maxBytes) {
      throw new LimitError('MEMORY', `HDF5 attribute '${name}' is larger than ${maxBytes} bytes`);
    }
    return text;
  }

  /** Datasets reachable from the root with their shapes (object headers only); undefined beyond `max`. */
  datasets(max: number): Hdf5Dataset[] | undefined {
    const names = this.module.get_names(this.fileId, '/', true);
    if (names.length > max) return undefined;
    const found: Hdf5Dataset[] = [];
    for (const name of names) {
      const path = `/${name}`;
      if (this.module.get_type(this.fileId, path) !== this.module.H5G_DATASET) continue;
      found.push({ path: name, shape: this.module.get_dataset_metadata(this.fileId, path).shape ?? [] });
    }
    return found;
  }
}

/**
 * Makes `input` the MEMFS file `path` and returns what undoes it. A file on disk becomes a node whose reads go
 * to the host file, counted against `budget`; bytes are copied in.
 */
function placeInput(fs: EmscriptenFs, path: string, input: Hdf5Input, budget: { spent: number }): () => void {
  if ('bytes' in input) {
    fs.writeFile(path, input.bytes);
    return () => {
      fs.unlink(path);
    };
  }
  const fd = openSync(input.path, 'r');
  try {
    const size = fstatSync(fd).size;
    fs.writeFile(path, new Uint8Array(0));
    const node = fs.lookupPath(path).node;
    const getattr = node.node_ops.getattr.bind(node.node_ops);
    node.node_ops = { ...node.node_ops, getattr: (target) => ({ ...getattr(target), size }) };
    node.stream_ops = {
      ...node.stream_ops,
      read: (_stream, buffer, offset, length, position) => {
        const wanted = Math.max(0, Math.min(length, size - position));
        budget.spent += wanted;
        if (budget.spent > HDF5_READ_BUDGET_BYTES) throw new fs.ErrnoError(EIO);
        return readFully(fd, buffer, offset, wanted, position);
      },
      write: () => {
        throw new fs.ErrnoError(EIO);
      },
    };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return () => {
    fs.unlink(path);
    closeSync(fd);
  };
}

/**
 * Opens HDF5 content read-only and answers `use` about it. A file HDF5 cannot open or read is a ParseError
 * (with HDF5's own reason); going over the read budget or a size bound is a LimitError.
 */
export async function readHdf5<T>(input: Hdf5Input, use: (view: Hdf5View) => T): Promise<T> {
  if ('bytes' in input && input.bytes.length > HDF5_MAX_MEMORY_BYTES) {
    throw new LimitError(
      'MEMORY',
      `HDF5 content of ${input.bytes.length} bytes is larger than the ${HDF5_MAX_MEMORY_BYTES} read in memory`,
    );
  }
  checkGlobalHeaps(input, 'path' in input ? HDF5_READ_BUDGET_BYTES : HDF5_MAX_MEMORY_BYTES);
  const loaded = await loadLibrary();
  const path = `/scan-${nextFileNumber++}.h5`;
  const budget = { spent: 0 };
  const remove = placeInput(loaded.fs, path, input, budget);
  let file: File | undefined;
  try {
    loaded.diagnostics = '';
    file = new loaded.h5wasm.File(path, 'r');
    return use(new Hdf5View(loaded, file.file_id));
  } catch (error) {
    if (error instanceof MlsecError) throw error;
    if (budget.spent > HDF5_READ_BUDGET_BYTES) {
      throw new LimitError('MEMORY', `HDF5 reads went over the budget of ${HDF5_READ_BUDGET_BYTES} bytes`);
    }
    const reason = lastDiagnostic(loaded.diagnostics) ?? messageOf(error);
    throw new ParseError('BAD_STRUCTURE', `HDF5 cannot be read: ${reason}`);
  } finally {
    file?.close();
    remove();
  }
}
