import { styleText } from 'node:util';

export type TextFormat = Parameters<typeof styleText>[0];

/** Applies a terminal style, or nothing. The caller has already decided whether colour is wanted. */
export type Paint = (format: TextFormat, text: string) => string;

// `validateStream: false` because recent Node releases would otherwise re-decide from process.stdout and NO_COLOR,
// overriding the CLI's choice and making output depend on where tests run. Releases before the option never check.
const colored: Paint = (format, text) => styleText(format, text, { validateStream: false });
const plain: Paint = (_format, text) => text;

export function painter(color: boolean): Paint {
  return color ? colored : plain;
}
