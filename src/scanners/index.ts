import type { FileScanner } from '../core/scanner.js';
import { codeScanner } from './code/index.js';
import { depsScanner } from './deps/index.js';
import { envScanner } from './env/index.js';
import { modelScanner } from './model/index.js';

/** Scanners in the order they are offered each file; the first whose `detect` claims it scans it. */
export const SCANNERS: readonly FileScanner[] = [modelScanner, envScanner, codeScanner, depsScanner];
