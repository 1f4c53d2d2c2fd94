import type { FileScanner } from '../core/scanner.js';
import { codeScanner } from './code/index.js';
import { depsScanner } from './deps/index.js';
import { envScanner } from './env/index.js';
import { modelScanner } from './model/index.js';
import { packageScanner } from './package/index.js';

/**
 * Scanners in the order they are offered each file; the first whose `detect` claims it scans it. Packages come
 * first: wheels and sdists are zips and tars, which the model scanner would otherwise claim by content.
 */
export const SCANNERS: readonly FileScanner[] = [
  packageScanner,
  modelScanner,
  envScanner,
  codeScanner,
  depsScanner,
];
