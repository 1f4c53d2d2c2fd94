/**
 * Sibling distributions that legitimately sit one edit from each other: build and hardware variants
 * (`onnxruntime-gpu`/`onnxruntime-cpu`, `nvidia-cublas-cu11`/`-cu12`, `faiss-gpu-cu12`) and numbered
 * generations of one project (`boto`/`boto3`, `psycopg`/`psycopg2`).
 */
const QUALIFIER_TERMS = new Set([
  'binary',
  'headless',
  'cpu',
  'gpu',
  'tpu',
  'cuda',
  'rocm',
  'nightly',
  'lite',
  'slim',
  'stubs',
  'types',
  'contrib',
]);
/** CUDA and ROCm build tags: `cu11`, `cu121`, `cuda12x`, `rocm5`. */
const BUILD_TAG = /^(?:cu|cuda|rocm)\d+x?$/;

/** The name without build qualifiers: `nvidia-cublas-cu12` → `nvidia-cublas`, `psycopg2-binary` → `psycopg2`. */
export function coreOf(name: string): string {
  return name
    .split('-')
    .filter((term) => !QUALIFIER_TERMS.has(term) && !BUILD_TAG.test(term))
    .join('-');
}

/** The project behind numbered generations: `boto3` and `boto` are both `boto`. */
function generationOf(core: string): string {
  return core
    .split('-')
    .map((term) => term.replace(/(?<=[a-z])\d+$/, ''))
    .join('-');
}

/**
 * How many distinct cores of each project the popular list holds, so that a numbered family is trusted only when
 * the list shows it is one (`boto` and `boto3` are both popular); otherwise `jinja3` would pass as a sibling of
 * `jinja2` (`types-jinja2` has the same core as `jinja2` and does not count twice).
 */
export function generationSizes(popular: Iterable<string>): Map<string, number> {
  const cores = new Map<string, Set<string>>();
  for (const name of popular) {
    const core = coreOf(name);
    const generation = generationOf(core);
    const members = cores.get(generation) ?? new Set<string>();
    members.add(core);
    cores.set(generation, members);
  }
  return new Map([...cores].map(([generation, members]) => [generation, members.size]));
}

/** Whether `candidate` is a build variant or a numbered generation of the popular `target`. */
export function isSibling(
  candidate: string,
  target: string,
  sizes: ReadonlyMap<string, number>,
  popular: ReadonlySet<string>,
): boolean {
  const core = coreOf(target);
  const candidateCore = coreOf(candidate);
  if (core === '') return false;
  if (candidateCore === core) return true;
  const generation = generationOf(core);
  if (generationOf(candidateCore) !== generation) return false;
  return popular.has(generation) || (sizes.get(generation) ?? 0) >= 2;
}
