import standardOps from './data/standard-ops.json' with { type: 'json' };

/**
 * Every op registered by the TensorFlow release named in `data/standard-ops.json` (generated from TensorFlow's
 * own op registry by `data/generate_op_allowlist.py`). An op outside it needs a custom-op library.
 */
export const STANDARD_OPS: ReadonlySet<string> = new Set(standardOps.ops);
export const STANDARD_OPS_VERSION = standardOps.tensorflow_version;

/** Ops that run a Python callable of the executing process (`tf.numpy_function`, `tf.py_function`). */
export const PYTHON_OPS: ReadonlySet<string> = new Set(['PyFunc', 'PyFuncStateless', 'EagerPyFunc']);

/**
 * Ops that read, write or list files, locally or through TensorFlow's remote file systems (a path may be a
 * `gs://` or `s3://` URL). Left out on purpose: the checkpoint plumbing every SavedModel has (`SaveV2`,
 * `RestoreV2`, `MergeV2Checkpoints`, `ShardedFilename`, the TF1 `Save`/`Restore` family), whose paths come from
 * the loader, and lookup-table initialisers that read the model's own `assets/` vocabulary files.
 */
export const FILE_OPS: ReadonlySet<string> = new Set([
  // The tf.io file ops.
  'ReadFile',
  'WriteFile',
  'MatchingFiles',
  'MatchingFilesDataset',
  'ExperimentalMatchingFilesDataset',
  // TF1 readers: WholeFileReader returns whole files like ReadFile; the record readers open any path.
  'WholeFileReader',
  'WholeFileReaderV2',
  'TextLineReader',
  'TextLineReaderV2',
  'TFRecordReader',
  'TFRecordReaderV2',
  'FixedLengthRecordReader',
  'FixedLengthRecordReaderV2',
  'LMDBReader',
  // Writers to a path given in the graph.
  'CreateSummaryFileWriter',
  'CreateSummaryDbWriter',
  'DatasetToTFRecord',
  // Debugger ops that copy tensors to `file://` or `grpc://` debug URLs, or to a dump folder.
  'DebugIdentity',
  'DebugIdentityV2',
  'DebugIdentityV3',
  'DebugNanCount',
  'DebugNumericSummary',
  // Changes file-system settings (credentials, endpoints) of the process.
  'FileSystemSetConfiguration',
  // Maps a file named by an attribute into memory as a tensor.
  'ImmutableConst',
]);

/** `tf.print` (PrintV2) appends to a file when its `output_stream` attribute is a `file://` URL. */
export const PRINT_OP = 'PrintV2';
export const FILE_STREAM_PREFIX = 'file://';
