import { normalizeName } from '../pep508/parse.js';
import { DeletionIndex } from './deletion-index.js';
import { describeEdit, singleEdit, type Edit } from './edit.js';
import { generationSizes, isSibling } from './families.js';
import { foldName, formsOf, type Form } from './forms.js';
import { popularListFor, type PopularList } from './popular.js';

/**
 * Names are measured against the top 5,000 only, but never flagged when they are anywhere in the whole list: a
 * long tail of popular names sits one edit from a more popular one (`pyaml`/`pyyaml`, `boto`/`boto3`).
 */
const TARGET_COUNT = 5000;
/** Forms shorter than this match only exactly: one edit from `six` or `idna` is half the alphabet. */
const MIN_EDITABLE_LENGTH = 5;

interface IndexedForm extends Form {
  readonly folded: string;
  readonly target: string;
  readonly rank: number;
}

export interface TyposquatMatch {
  /** The popular name the candidate imitates. */
  readonly target: string;
  readonly rank: number;
  /** `1 transposition (\`qe\` for \`eq\`) from \`requests\` (rank 7)`. */
  readonly evidence: string;
}

const FORM_PHRASES: Readonly<Record<Form['kind'], string>> = {
  name: '',
  'py-swap': 'with `py`/`python` swapped',
  'py-drop': 'without its `py`/`python` term',
  permutation: 'with its terms reordered',
  joined: 'with its hyphens removed',
  plural: 'in plural or singular form',
};

/**
 * A symmetric-delete index over the confused forms of the popular names, folded for homoglyphs: a lookup costs
 * one probe per character of the candidate, whatever the size of the list.
 */
export class TyposquatIndex {
  private readonly forms: IndexedForm[] = [];
  private readonly exact = new Map<string, number[]>();
  /** Over the editable forms; its ids index {@link editable}. */
  private readonly byDeletion: DeletionIndex;
  private readonly editable: number[] = [];
  private readonly popular: ReadonlySet<string>;
  private readonly families: ReadonlyMap<string, number>;

  constructor(list: PopularList, targetCount = TARGET_COUNT) {
    this.popular = new Set(list.names);
    this.families = generationSizes(list.names);
    list.names.slice(0, targetCount).forEach((target, index) => {
      for (const form of formsOf(target)) {
        const id = this.forms.length;
        const folded = foldName(form.text);
        this.forms.push({ ...form, folded, target, rank: index + 1 });
        push(this.exact, folded, id);
        if (form.editable && folded.length >= MIN_EDITABLE_LENGTH) this.editable.push(id);
      }
    });
    this.byDeletion = new DeletionIndex(this.editable.map((id) => this.forms[id]?.folded ?? ''));
  }

  /** The best match of a dependency name against the popular names, or undefined when it looks like none. */
  match(rawName: string): TyposquatMatch | undefined {
    const name = normalizeName(rawName);
    if (this.popular.has(name)) return undefined;
    const folded = foldName(rawName);
    let best: { form: IndexedForm; edit: Edit | undefined } | undefined;
    const consider = (id: number, edit: Edit | undefined): void => {
      const form = this.forms[id];
      if (form === undefined || isSibling(name, form.target, this.families, this.popular)) return;
      if (best === undefined || better({ form, edit }, best)) best = { form, edit };
    };
    for (const id of this.exact.get(folded) ?? []) consider(id, undefined);
    if (best === undefined) {
      for (const entry of this.byDeletion.candidates(folded)) {
        const id = this.editable[entry] ?? -1;
        const form = this.forms[id];
        const edit = form === undefined ? undefined : singleEdit(form.folded, folded);
        if (edit !== undefined) consider(id, edit);
      }
    }
    return best === undefined ? undefined : describe(name, folded, best.form, best.edit);
  }
}

/** Exact look-alikes beat one-edit ones; then the popular name itself beats its confused forms; then rank. */
function better(
  challenger: { form: IndexedForm; edit: Edit | undefined },
  holder: { form: IndexedForm; edit: Edit | undefined },
): boolean {
  if ((challenger.edit === undefined) !== (holder.edit === undefined)) return challenger.edit === undefined;
  if ((challenger.form.kind === 'name') !== (holder.form.kind === 'name'))
    return challenger.form.kind === 'name';
  return challenger.form.rank < holder.form.rank;
}

function describe(name: string, folded: string, form: IndexedForm, edit: Edit | undefined): TyposquatMatch {
  const target = `\`${form.target}\` (rank ${form.rank})`;
  const homoglyphs =
    folded !== name || form.folded !== form.text ? ' after folding look-alike characters' : '';
  const via =
    form.kind === 'name' ? target : `\`${form.text}\`, which is ${target} ${FORM_PHRASES[form.kind]}`;
  const evidence =
    edit === undefined
      ? form.kind === 'name'
        ? `same as ${target}${homoglyphs}`
        : `same${homoglyphs} as ${via}`
      : `${describeEdit(edit)} from ${via}${homoglyphs}`;
  return { target: form.target, rank: form.rank, evidence };
}

function push(map: Map<string, number[]>, key: string, id: number): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, [id]);
  else ids.push(id);
}

/** One index per list file and process: building it takes a tenth of a second or so, a lookup microseconds. */
const INDEXES = new Map<string, Promise<TyposquatIndex>>();

export function typosquatIndexFor(path: string): Promise<TyposquatIndex> {
  let index = INDEXES.get(path);
  if (index === undefined) {
    index = popularListFor(path).then((list) => new TyposquatIndex(list));
    INDEXES.set(path, index);
  }
  return index;
}
