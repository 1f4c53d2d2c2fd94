import type { DependencyCheck } from '../model.js';

/** Every check run over each dependency file, in order. */
export const DEPENDENCY_CHECKS: readonly DependencyCheck[] = [];
