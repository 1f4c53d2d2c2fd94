import type { DependencyCheck } from '../model.js';
import { confusionCheck } from './confusion.js';
import { hygieneCheck } from './hygiene.js';
import { lockSourcesCheck } from './lock-sources.js';
import { typosquatCheck } from './typosquats.js';
import { vulnerabilityCheck } from './vulnerabilities.js';

/** Every check run over each dependency file, in order. */
export const DEPENDENCY_CHECKS: readonly DependencyCheck[] = [
  lockSourcesCheck,
  typosquatCheck,
  confusionCheck,
  hygieneCheck,
  vulnerabilityCheck,
];
