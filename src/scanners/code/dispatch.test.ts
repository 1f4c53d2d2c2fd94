import { describe, expect, it } from 'vitest';
import { analyse } from './analyse.js';
import { dispatchFor } from './dispatch.js';
import { parsePython } from './parser.js';
import { NODE_CHECKS } from './rules.js';

async function ruleIds(source: string, enabledRules?: ReadonlySet<string>): Promise<string[]> {
  const tree = await parsePython(source);
  try {
    const origin = {
      path: 'example.py',
      notebook: false,
      ...(enabledRules !== undefined && { enabledRules }),
    };
    return analyse(tree.rootNode, () => undefined, origin).map((finding) => finding.ruleId);
  } finally {
    tree.delete();
  }
}

describe('dispatch', () => {
  it('runs only the enabled rules, call and node rules alike', async () => {
    const source = 'import pickle, os\npickle.loads(blob)\nos.system(cmd)\nDB_PASSWORD = "hunter2hunter2"\n';
    expect(await ruleIds(source)).toEqual(['PY-DES-001', 'PY-PROC-004', 'PY-SEC-001']);
    expect(await ruleIds(source, new Set(['PY-PROC-004']))).toEqual(['PY-PROC-004']);
    expect(await ruleIds(source, new Set(['PY-SEC-001']))).toEqual(['PY-SEC-001']);
  });

  it('collects a hinted rule’s node types only in files that contain its hint', () => {
    const dispatch = dispatchFor(new Set(['PY-SUP-007']));
    expect(dispatch.nodeChecksFor('x = 1\n').types.has('assignment')).toBe(false);
    expect(dispatch.nodeChecksFor('os.environ["PYTHONPATH"] = "."\n').types.has('assignment')).toBe(true);
  });

  it('has text hints written for lower-cased text', () => {
    for (const check of NODE_CHECKS) {
      if (check.textHint === undefined) continue;
      expect(check.textHint.source, check.rule.id).toBe(check.textHint.source.toLowerCase());
      expect(check.textHint.flags, check.rule.id).toBe('');
    }
  });
});
