/**
 * Line layout for the pickle program (render.ts): an expression is built as a small document tree, printed on
 * one line when it fits and otherwise broken one item per line, indented, the way a Python formatter would. Each
 * text piece may carry a risk (the line gets the highest of its pieces) and a note (appended as a `# comment`).
 */
import type { ModelItem } from '../../../core/model-part.js';

export type Risk = NonNullable<ModelItem['risk']>;

export interface Atom {
  readonly text: string;
  readonly risk?: Risk;
  readonly note?: string;
}

/** `open item, item, … close`: a call, tuple, list, set or dict. */
export interface Group {
  readonly open: Doc;
  readonly items: readonly Doc[];
  readonly close: string;
}

export type Doc = string | Atom | Group | readonly Doc[];

/** A statement wider than this is broken at its outermost bracket… */
const WIDTH = 120;
/** …and each of its items gets this much before it is broken in turn (a state dict: one line per tensor). */
const ITEM_WIDTH = 200;
/** Hard limit on one line, whatever it holds. */
export const MAX_LINE = 400;
const INDENT = '    ';

const RANK: Readonly<Record<Risk, number>> = { low: 1, medium: 2, high: 3, critical: 4 };

export function worse(a: Risk | undefined, b: Risk | undefined): Risk | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[b] > RANK[a] ? b : a;
}

function isGroup(doc: Doc): doc is Group {
  return typeof doc === 'object' && 'items' in doc;
}

function isAtom(doc: Doc): doc is Atom {
  return typeof doc === 'object' && 'text' in doc;
}

/** Width of `doc` on one line, counting no further than `limit`. */
function flatWidth(doc: Doc, limit: number): number {
  if (typeof doc === 'string') return doc.length;
  if (isAtom(doc)) return doc.text.length;
  let width = 0;
  if (isGroup(doc)) {
    width = flatWidth(doc.open, limit) + doc.close.length + Math.max(0, doc.items.length - 1) * 2;
    for (const item of doc.items) {
      if (width > limit) break;
      width += flatWidth(item, limit - width);
    }
    return width;
  }
  for (const part of doc) {
    if (width > limit) break;
    width += flatWidth(part, limit - width);
  }
  return width;
}

class Line {
  text = '';
  risk: Risk | undefined;
  notes: string[] = [];

  constructor(readonly indent: string) {
    this.text = indent;
  }

  add(text: string, risk?: Risk, note?: string): void {
    if (this.text.length < MAX_LINE) this.text += text;
    this.risk = worse(this.risk, risk);
    if (note !== undefined && !this.notes.includes(note)) this.notes.push(note);
  }

  item(): ModelItem {
    let text = this.text.length > MAX_LINE ? `${this.text.slice(0, MAX_LINE)}…` : this.text;
    if (this.notes.length > 0) text += `  # ${this.notes.join(', ')}`;
    return this.risk === undefined ? { text } : { text, risk: this.risk };
  }
}

/** Lays out `prefix` followed by `doc` as one or more lines. */
export function layout(prefix: string, doc: Doc): ModelItem[] {
  const lines: Line[] = [new Line('')];
  const current = (): Line => lines[lines.length - 1] as Line;

  const flat = (part: Doc): void => {
    if (typeof part === 'string') current().add(part);
    else if (isAtom(part)) current().add(part.text, part.risk, part.note);
    else if (isGroup(part)) {
      flat(part.open);
      part.items.forEach((item, index) => {
        if (index > 0) current().add(', ');
        flat(item);
      });
      current().add(part.close);
    } else for (const piece of part) flat(piece);
  };

  const print = (part: Doc, indent: string): void => {
    const room = (lines.length === 1 ? WIDTH : ITEM_WIDTH) - current().text.length;
    const fits = typeof part === 'string' || isAtom(part) || flatWidth(part, room) <= room;
    if (fits || (isGroup(part) && part.items.length === 0)) {
      flat(part);
    } else if (isGroup(part) && part.items.length === 1 && isGroup(part.items[0] as Doc)) {
      // A sole bracketed argument hugs its call: `OrderedDict({` … `})`.
      print(part.open, indent);
      print(part.items[0] as Doc, indent);
      current().add(part.close);
    } else if (isGroup(part)) {
      print(part.open, indent);
      const inner = indent + INDENT;
      for (const item of part.items) {
        lines.push(new Line(inner));
        print(item, inner);
        current().add(',');
      }
      lines.push(new Line(indent));
      current().add(part.close);
    } else {
      for (const piece of part) print(piece, indent);
    }
  };

  current().add(prefix);
  print(doc, '');
  return lines.map((line) => line.item());
}
