/**
 * The two leaf messages of ONNX's `onnx.proto` (vendored beside this file, with its Apache-2.0 licence in
 * `LICENSE.onnx`) that the scanner decodes with protobufjs, as a protobufjs JSON descriptor. Committed as a
 * module rather than loading the `.proto` at run time so that it ships in `dist` with no file lookup. Regenerate
 * with protobufjs: `loadSync('onnx.proto').lookup('onnx').lookup(name).toJSON()` for each message below.
 */
export const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          edition: 'proto2',
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        OperatorSetIdProto: {
          edition: 'proto2',
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
      },
    },
  },
};
