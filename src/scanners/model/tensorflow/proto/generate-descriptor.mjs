// Regenerates descriptor.json (beside the scanner) from the vendored .proto files with protobufjs, so that the
// scanner ships its schema as a module with no .proto lookup at run time. Run from the repository root, then
// format the output (see README.md):
//   node src/scanners/model/tensorflow/proto/generate-descriptor.mjs
//   npx prettier --write src/scanners/model/tensorflow/descriptor.json
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const entryPoints = [
  'tensorflow/core/protobuf/saved_model.proto',
  'tensorflow/python/keras/protobuf/saved_metadata.proto',
];

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : `${here}${target}`);
root.loadSync(entryPoints, { keepCase: true });
root.resolveAll();
writeFileSync(new URL('../descriptor.json', import.meta.url), `${JSON.stringify(root.toJSON(), null, 1)}\n`);
