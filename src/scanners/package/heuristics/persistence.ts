import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { Argument, CallSite, CodeMatch, CodeRule } from '../../code/call-site.js';
import type { RuleFamily } from '../../code/node-site.js';
import { qualifiedNames } from '../../code/resolve.js';
import { commandText, lineOf, literalText, type Mark, type MarkFinder, marksOf } from './value-marks.js';

export const PKG_PERS_001 = defineRule({
  id: 'PKG-PERS-001',
  domain: 'package',
  title: 'package installs itself to run again later (persistence)',
  description:
    'Package code that arranges to run again outside the package: a `.pth` file or `sitecustomize.py`/' +
    '`usercustomize.py` written into site-packages (run at every Python start), a crontab entry or a file under ' +
    '/etc/cron*, lines appended to shell start-up files (~/.bashrc, ~/.zshrc, ~/.profile), an XDG autostart ' +
    'entry, a systemd unit, a macOS LaunchAgent, a Windows Run registry key, Startup-folder file or scheduled ' +
    "task, or a key added to ~/.ssh/authorized_keys. Critical in setup.py and in a package's top-level " +
    '`__init__.py`, which run on install and import.',
  fix: 'Do not install the package. Where it ran, remove what it planted (the .pth or sitecustomize file, the crontab line, the rc-file lines, the autostart entry, unit, LaunchAgent, Run key or scheduled task, the authorized key), then treat the machine as compromised.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-506', 'CWE-912'],
  owasp: ['ML06:2023'],
});

/** Places that make code run again, as path literals name them (backslashes turned into slashes). */
const TARGETS: readonly (readonly [RegExp, string, string])[] = [
  [/\.pth$/i, 'pth', 'a .pth file'],
  [
    /(?:^|\/)(?:sitecustomize|usercustomize)\.py$/,
    'hook',
    'a Python start-up hook (sitecustomize/usercustomize)',
  ],
  [/(?:^|\/)(?:site|dist)-packages(?:\/|$)/, 'site', 'site-packages'],
  [
    /(?:^|\/)\.(?:bashrc|zshrc|profile|bash_profile|bash_login|zprofile|zshenv|zlogin|cshrc|tcshrc|kshrc)$|(?:^|\/)fish\/config\.fish$/,
    'target',
    'a shell start-up file',
  ],
  [/^\/etc\/cron|\/var\/spool\/cron|(?:^|\/)crontabs(?:\/|$)/, 'target', 'the cron tables'],
  [/(?:^|\/)autostart(?:\/|$)/, 'target', 'an XDG autostart entry'],
  [/(?:^|\/)systemd\/(?:user|system)(?:\/|$)/, 'target', 'a systemd unit'],
  [/Library\/Launch(?:Agents|Daemons)/, 'target', 'a macOS LaunchAgent'],
  [/Start Menu\/Programs\/Startup|(?:^|\/)(?:Startup|StartUp)$/, 'target', 'the Windows Startup folder'],
  [/\.ipython\/profile_[^/]+\/startup/, 'target', 'an IPython start-up script'],
  [/(?:^|\/)authorized_keys2?$/, 'target', 'SSH authorized_keys'],
];

/** Calls whose result is a site-packages folder. */
const SITE_CALLS = new Set([
  'site.getsitepackages',
  'site.getusersitepackages',
  'sysconfig.get_paths',
  'sysconfig.get_path',
  'distutils.sysconfig.get_python_lib',
  'distutils.sysconfig.get_python_lib()',
]);

/** Attributes that are (or list) the interpreter's own folders. */
const SITE_ATTRIBUTES = new Set([
  'site.USER_SITE',
  'sys.prefix',
  'sys.base_prefix',
  'sys.exec_prefix',
  'sys.path',
]);

function targetOf(text: string): { kind: string; label: string } | undefined {
  const path = text.replace(/\\\\?/g, '/');
  if (path.length > 400) return undefined;
  for (const [pattern, kind, label] of TARGETS) if (pattern.test(path)) return { kind, label };
  return undefined;
}

const targetFinder: MarkFinder = (node, scope) => {
  if (node.type === 'string') {
    const target = targetOf(literalText(node));
    return target === undefined ? undefined : [{ ...target, line: lineOf(node) }];
  }
  if (node.type === 'call' || node.type === 'attribute') {
    const callee = node.type === 'call' ? node.childForFieldName('function') : node;
    if (callee === null) return undefined;
    const names = qualifiedNames(callee, scope);
    if (names.some((name) => SITE_CALLS.has(name) || SITE_ATTRIBUTES.has(name)))
      return [{ kind: 'site', label: 'site-packages', line: lineOf(node) }];
    // `os.__file__`, `requests.__file__`: a folder of the interpreter or of an installed package.
    const object = node.type === 'attribute' ? node.childForFieldName('object') : null;
    if (
      node.type === 'attribute' &&
      object !== null &&
      node.childForFieldName('attribute')?.text === '__file__' &&
      qualifiedNames(object, scope).some((name) => !name.startsWith('builtins.'))
    )
      return [{ kind: 'site', label: 'site-packages', line: lineOf(node) }];
  }
  return undefined;
};

/** What a written path makes persistent, if anything: .pth and sitecustomize files count only in site-packages. */
function persistentTarget(marks: readonly Mark[]): string | undefined {
  const direct = marks.find((mark) => mark.kind === 'target');
  if (direct !== undefined) return direct.label;
  // Start-up files run only from the interpreter's folders; build tools write them into private ones.
  if (!marks.some((mark) => mark.kind === 'site')) return undefined;
  if (marks.some((mark) => mark.kind === 'hook'))
    return 'a Python start-up hook (sitecustomize/usercustomize) in site-packages';
  if (marks.some((mark) => mark.kind === 'pth')) return 'a .pth file in site-packages';
  return undefined;
}

/** Runs on install (setup.py) or on import (a top-level package `__init__.py`). */
function roleOf(path: string): 'install' | 'import' | undefined {
  if (path === 'setup.py' || path.endsWith('/setup.py')) return 'install';
  if (/^[^/]+\/__init__\.py$/.test(path)) return 'import';
  return undefined;
}

function found(call: CallSite, what: string): CodeMatch {
  const role = roleOf(call.file.path);
  if (role === undefined) return { message: what };
  const when = role === 'install' ? 'when the package is installed' : 'when the package is imported';
  return { message: `${what}, ${when}`, severity: 'critical' };
}

/** The mode of an `open` call, when it may write; undefined for reading. */
function writesByMode(mode: Argument | undefined): boolean {
  if (mode === undefined) return false;
  return mode.constant?.kind !== 'string' || /[wax+]/.test(mode.constant.value);
}

function checkPath(
  call: CallSite,
  path: Node | undefined | null,
  verb: string,
  source?: Node,
): CodeMatch | undefined {
  if (path === undefined || path === null) return undefined;
  // A copy into a folder keeps the source's name: `shutil.copy("boot.pth", site_dir)`.
  const named =
    source === undefined
      ? []
      : marksOf(source, call.scope, targetFinder).filter(
          (mark) => mark.kind === 'pth' || mark.kind === 'hook',
        );
  const target = persistentTarget([...marksOf(path, call.scope, targetFinder), ...named]);
  return target === undefined ? undefined : found(call, `${call.name} ${verb} ${target}`);
}

const OPENERS = ['builtins.open', 'io.open', 'codecs.open'];
const PATH_WRITERS = ['write_text', 'write_bytes', 'touch', 'symlink_to', 'hardlink_to'];
const COPIERS = [
  'shutil.copy',
  'shutil.copy2',
  'shutil.copyfile',
  'shutil.move',
  'os.rename',
  'os.replace',
  'os.symlink',
  'os.link',
];

const fileWriteCheck: CodeRule = {
  rule: PKG_PERS_001,
  calls: [
    ...OPENERS,
    ...PATH_WRITERS.flatMap((method) => [`pathlib.*.${method}`, `?.${method}`]),
    'pathlib.*.open',
    ...COPIERS,
  ],
  check(call) {
    if (OPENERS.includes(call.name)) {
      const mode = call.keywords.get('mode') ?? call.positional[1];
      if (!writesByMode(mode)) return undefined;
      return checkPath(call, (call.positional[0] ?? call.keywords.get('file'))?.node, 'writes');
    }
    if (COPIERS.includes(call.name))
      return checkPath(
        call,
        (call.positional[1] ?? call.keywords.get('dst'))?.node,
        'writes',
        (call.positional[0] ?? call.keywords.get('src'))?.node,
      );
    const receiver = call.node.childForFieldName('function')?.childForFieldName('object');
    if (call.name.endsWith('.open')) {
      const mode = call.keywords.get('mode') ?? call.positional[0];
      if (!writesByMode(mode)) return undefined;
    }
    return checkPath(call, receiver, 'writes');
  },
};

/** Shell commands that schedule or register a program. */
const COMMANDS: readonly (readonly [RegExp, string])[] = [
  [
    />>?\s*[^\s;&|]*\.(?:bashrc|zshrc|profile|bash_profile|bash_login|zprofile|zshenv)\b/,
    'appends to a shell start-up file',
  ],
  [/\bschtasks(?:\.exe)?\s+\/create\b/i, 'creates a Windows scheduled task'],
  [/\breg(?:\.exe)?\s+add\s+[^\n]*\\CurrentVersion\\Run/i, 'adds a Windows Run registry key'],
  [/\blaunchctl\s+(?:load|bootstrap)\b/, 'loads a macOS LaunchAgent'],
  [/\bsystemctl\s+--user\s+enable\b/, 'enables a systemd user unit'],
  [/>>?\s*[^\s;&|]*authorized_keys\b/, 'adds an SSH authorized key'],
];

/** `crontab` given a file or standard input (`crontab -`, `| crontab`), not only listing or editing. */
function installsCrontab(command: string): boolean {
  for (const match of command.matchAll(/\bcrontab\b((?:[ \t]+[^\s;&|)]+)*)/g)) {
    const args = (match[1] ?? '')
      .trim()
      .split(/\s+/)
      .filter((arg) => arg !== '');
    const rest = args.filter(
      (arg, index) => !['-l', '-e', '-r', '-i', '-u'].includes(arg) && args[index - 1] !== '-u',
    );
    if (rest.length > 0) return true;
    const before = command.slice(0, match.index);
    if (args.length === 0 && /\|\s*$/.test(before)) return true;
  }
  return false;
}

const PROCESS_CALLS = [
  'os.system',
  'os.popen',
  ...['Popen', 'call', 'run', 'check_call', 'check_output', 'getoutput', 'getstatusoutput'].map(
    (name) => `subprocess.${name}`,
  ),
];

const commandCheck: CodeRule = {
  rule: PKG_PERS_001,
  calls: PROCESS_CALLS,
  check(call) {
    const command = commandText(call.positional[0] ?? call.keywords.get('args'));
    if (command === undefined || command.length > 20_000) return undefined;
    if (installsCrontab(command)) return found(call, `${call.name} installs a crontab entry`);
    for (const [pattern, what] of COMMANDS)
      if (pattern.test(command)) return found(call, `${call.name} ${what}`);
    return undefined;
  },
};

const runKeyFinder: MarkFinder = (node) => {
  if (node.type !== 'string') return undefined;
  return /CurrentVersion\\{1,2}Run(?:Once|Services)?(?:\\|$)|CurrentVersion\\{1,2}Winlogon/i.test(
    literalText(node),
  )
    ? [{ kind: 'target', label: 'a Windows Run registry key', line: lineOf(node) }]
    : undefined;
};

const registryCheck: CodeRule = {
  rule: PKG_PERS_001,
  calls: ['winreg', '_winreg'].flatMap((module) => [`${module}.SetValueEx`, `${module}.SetValue`]),
  check(call) {
    const key = call.positional[0];
    if (key === undefined) return undefined;
    const marks = marksOf(key.node, call.scope, runKeyFinder);
    const subKey = call.name.endsWith('.SetValue') ? call.positional[1] : undefined;
    const more = subKey === undefined ? [] : marksOf(subKey.node, call.scope, runKeyFinder);
    const mark = [...marks, ...more][0];
    return mark === undefined ? undefined : found(call, `${call.name} writes ${mark.label}`);
  },
};

export const PERSISTENCE_FAMILY: RuleFamily = {
  rules: [PKG_PERS_001],
  calls: [fileWriteCheck, commandCheck, registryCheck],
  nodes: [],
};
