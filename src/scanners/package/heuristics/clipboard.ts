import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { CodeMatch, Site } from '../../code/call-site.js';
import type { NodeRule, RuleFamily } from '../../code/node-site.js';
import { calleeNames, positionalArguments } from './decoding.js';
import { commandWords, keywordValue } from './download.js';

export const PKG_CLIP_001 = defineRule({
  id: 'PKG-CLIP-001',
  domain: 'package',
  title: 'clipboard contents are read',
  description:
    'Code that reads the clipboard: pyperclip and similar modules, tkinter `clipboard_get`, Qt clipboards, ' +
    '`win32clipboard`, `GetClipboardData` through ctypes, and commands such as `pbpaste`, `xclip -o`, `xsel`, ' +
    '`wl-paste` or PowerShell `Get-Clipboard`. Stealers read it for passwords, tokens and seed phrases, and ' +
    'clippers watch it to swap cryptocurrency addresses; a library has rarely any reason to. Writing to the ' +
    'clipboard (a CLI that copies its output) is not reported.',
  fix: 'Find out why the package reads the clipboard and where the contents go. Remove it from library code, and do not install a package that reads the clipboard at install or import time.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-200'],
  owasp: ['ML06:2023'],
});

const READERS: readonly RegExp[] = [
  /^(?:pyperclip|clipboard|pyclip|xerox|pandas\.io\.clipboard)\.(?:paste|waitForPaste|waitForNewPaste)$/,
  /^klembord\.(?:get\w*|wait_for\w*)$/,
  /^pandas\.read_clipboard$/,
  /^(?:tkinter|Tkinter)\.\w+\(\)\.(?:clipboard_get)$/,
  /^win32clipboard\.(?:GetClipboardData|GetClipboardDataHandle)$/,
  /^ctypes\..*\.GetClipboardData$/,
  /^(?:PyQt[456]|PySide[26]?)\.Qt(?:Widgets|Gui)\.Q(?:Gui)?Application\.clipboard\(\)\.(?:text|mimeData|image|pixmap)$/,
];

/** Commands that print the clipboard. */
function readsClipboard(command: string): string | undefined {
  const found =
    /\b(?:pbpaste|wl-paste|termux-clipboard-get|get-clipboard)\b/i.exec(command) ??
    /\bxclip\b[^|;&]*\s-o(?:ut)?\b/.exec(command) ??
    /\bxsel\b(?![^|;&]*\s(?:-i|--input|-c|--clear|-d|--delete)\b)[^|;&]*/.exec(command);
  return found?.[0];
}

const COMMAND_RUNNERS =
  /^(?:os\.(?:system|popen\d?)|subprocess\.(?:Popen|call|run|check_call|check_output|getoutput|getstatusoutput)|commands\.getoutput)$/;

function clipboardRead(node: Node, site: Site): CodeMatch | undefined {
  const names = calleeNames(node, site.scope);
  const reader = names.find((name) => READERS.some((pattern) => pattern.test(name)));
  if (reader !== undefined) return { message: `${reader} reads the clipboard` };
  // A method of an object the resolver cannot name (a widget passed in): the method names are distinctive.
  const method = node.childForFieldName('function')?.childForFieldName('attribute')?.text;
  if (names.length === 0 && (method === 'clipboard_get' || method === 'GetClipboardData'))
    return { message: `${method} reads the clipboard` };
  const runner = names.find((name) => COMMAND_RUNNERS.test(name));
  if (runner === undefined) return undefined;
  const command = positionalArguments(node)[0] ?? keywordValue(node, 'args');
  if (command === undefined) return undefined;
  const words = commandWords(command, site.scope).join(' ');
  const read = readsClipboard(words);
  if (read === undefined) return undefined;
  return { message: `${runner} runs ${read.trim()}, which prints the clipboard` };
}

export const clipboardReadCheck: NodeRule = {
  rule: PKG_CLIP_001,
  nodes: ['call'],
  textHint: /clip|paste|xsel/,
  check: clipboardRead,
};

export const CLIPBOARD_FAMILY: RuleFamily = {
  rules: [PKG_CLIP_001],
  calls: [],
  nodes: [clipboardReadCheck],
};
