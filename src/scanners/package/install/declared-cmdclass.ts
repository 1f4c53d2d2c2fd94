import { parseToml, tableAt, TomlLines } from '../../deps/formats/toml.js';
import { parseIni } from '../../deps/formats/setup-cfg.js';
import type { PackageCheckContext, TextMember } from '../model.js';
import { EXTENSION_COMMANDS, USER_COMMANDS } from './cmdclass.js';
import { PKG_INST_001 } from './rules.js';

/** A command class named by its dotted path in a configuration file. */
interface DeclaredCommand {
  readonly command: string;
  readonly target: string;
  readonly line: number | undefined;
}

/**
 * PKG-INST-001 for command classes declared by dotted path: `[tool.setuptools.cmdclass]` in pyproject.toml
 * (setuptools 61+) and `cmdclass` in setup.cfg's `[options]`. The class lives in a module of the package, which
 * the heuristics analyse; here the override itself is reported (medium) and recorded as an install hook.
 */
function reportDeclared(
  kept: TextMember,
  where: string,
  declared: readonly DeclaredCommand[],
  context: PackageCheckContext,
): void {
  for (const { command, target, line } of declared) {
    context.checkDeadline();
    if (EXTENSION_COMMANDS.has(command) || USER_COMMANDS.has(command)) continue;
    const evidence = `cmdclass ${command}: ${target}`;
    context.addCapability({
      capability: 'install-hook',
      path: kept.member.path,
      ...(line !== undefined && { line }),
      evidence,
    });
    context.report({
      ruleId: PKG_INST_001.id,
      message:
        `${kept.member.path} replaces the \`${command}\` command with \`${target}\` (${where}); it runs when the ` +
        'package is built or installed (its module is analysed on its own).',
      member: kept.member.name,
      ...(line !== undefined && { line }),
      evidence,
    });
  }
}

export function checkPyprojectCmdclass(kept: TextMember, context: PackageCheckContext): void {
  const where = { path: kept.member.name };
  const tool = tableAt(parseToml(kept.text, kept.member.name), 'tool', where);
  const setuptools = tool === undefined ? undefined : tableAt(tool, 'setuptools', where);
  const cmdclass = setuptools === undefined ? undefined : tableAt(setuptools, 'cmdclass', where);
  if (cmdclass === undefined) return;
  const lines = new TomlLines(kept.text);
  const header = lines.headerLines('tool.setuptools.cmdclass')[0] ?? lines.headerLines('tool.setuptools')[0];
  const declared = Object.entries(cmdclass).flatMap(([command, target]) =>
    typeof target === 'string' ? [{ command, target, line: lines.keyLine(header, command) ?? header }] : [],
  );
  reportDeclared(kept, '[tool.setuptools.cmdclass]', declared, context);
}

export function checkSetupCfgCmdclass(kept: TextMember, context: PackageCheckContext): void {
  const value = parseIni(kept.text, kept.member.name).get('options')?.get('cmdclass');
  if (value === undefined) return;
  const declared = value.lines.flatMap(({ text, line }) => {
    const found = /^([\w.-]+)\s*=\s*(\S+)$/.exec(text);
    return found === null ? [] : [{ command: found[1] ?? '', target: found[2] ?? '', line }];
  });
  reportDeclared(kept, '[options] cmdclass', declared, context);
}
