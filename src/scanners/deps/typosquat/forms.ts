import { normalizeName } from '../pep508/parse.js';

/**
 * Look-alike spellings folded to one letter before names are compared. Capital `I` must be folded before
 * lower-casing (PEP 503 would make it `i`); the rest apply to the normalised name.
 */
const HOMOGLYPHS: readonly (readonly [string, string])[] = [
  ['0', 'o'],
  ['1', 'l'],
  ['rn', 'm'],
  ['vv', 'w'],
];

/** The PEP 503 name with homoglyphs folded: `reqI0ests` and `reqlOests` both become `reqloests`. */
export function foldName(raw: string): string {
  let folded = normalizeName(raw.replace(/I/g, 'l'));
  for (const [from, to] of HOMOGLYPHS) folded = folded.split(from).join(to);
  return folded;
}

/** How a form derives from the popular name it stands for. */
export type FormKind = 'name' | 'py-swap' | 'py-drop' | 'permutation' | 'joined' | 'plural';

export interface Form {
  /** Normalised (not folded) spelling. */
  readonly text: string;
  readonly kind: FormKind;
  /** Whether a candidate one edit away from this form is also suspicious, or only an exact match is. */
  readonly editable: boolean;
}

/** Term permutations grow factorially; names with more hyphenated terms than this keep their order. */
const MAX_PERMUTED_TERMS = 4;

/**
 * A popular name and its "confused forms" (GuardDog's method): `py`/`python` swapped inside a term, the `py` or
 * `python` term dropped, the terms reordered; plus, as exact matches only, the name with its hyphens removed and
 * its plural or singular. `python-dateutil` gives `py-dateutil`, `dateutil` and `dateutil-python`, so
 * `dateutil-python3` is one edit from a form.
 */
export function formsOf(name: string): Form[] {
  const forms = new Map<string, Form>();
  const add = (text: string, kind: FormKind, editable: boolean): void => {
    if (text !== '' && !forms.has(text)) forms.set(text, { text, kind, editable });
  };
  add(name, 'name', true);
  const terms = name.split('-');
  terms.forEach((term, index) => {
    const swapped = term.includes('python')
      ? term.replaceAll('python', 'py')
      : term.includes('py')
        ? term.replaceAll('py', 'python')
        : undefined;
    if (swapped !== undefined) add(terms.with(index, swapped).join('-'), 'py-swap', true);
    if ((term === 'py' || term === 'python') && terms.length > 1)
      add(terms.filter((_, other) => other !== index).join('-'), 'py-drop', true);
  });
  if (terms.length > 1 && terms.length <= MAX_PERMUTED_TERMS) {
    for (const order of permutations(terms)) add(order.join('-'), 'permutation', true);
  }
  if (terms.length > 2) add(terms.join(''), 'joined', false);
  for (const plural of pluralsOf(name)) add(plural, 'plural', false);
  return [...forms.values()];
}

/** Plural and singular spellings further than one edit away (`box`/`boxes`, `library`/`libraries`). */
function pluralsOf(name: string): string[] {
  if (name.endsWith('ies')) return [`${name.slice(0, -3)}y`];
  if (name.endsWith('es')) return [name.slice(0, -2)];
  if (name.endsWith('y')) return [`${name.slice(0, -1)}ies`];
  return [`${name}es`];
}

function* permutations(items: readonly string[]): Generator<string[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let index = 0; index < items.length; index += 1) {
    const rest = items.filter((_, other) => other !== index);
    for (const tail of permutations(rest)) yield [items[index] ?? '', ...tail];
  }
}
