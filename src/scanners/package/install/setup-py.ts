import { parsePython } from '../../code/parser.js';
import type { PackageCheckContext, TextMember } from '../model.js';
import { checkCmdclass } from './cmdclass.js';
import { checkModuleLevel } from './module-level.js';
import { parseSetupFile } from './setup-file.js';

/** PKG-INST-001 and PKG-INST-002 over one setup.py. */
export async function checkSetupPy(kept: TextMember, context: PackageCheckContext): Promise<void> {
  const tree = await parsePython(kept.text);
  try {
    const file = parseSetupFile(tree.rootNode, () => {
      context.checkDeadline();
    });
    checkCmdclass(file, kept, context);
    checkModuleLevel(file, kept, context);
  } finally {
    tree.delete();
  }
}
