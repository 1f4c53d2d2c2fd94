import { describe, expect, it } from 'vitest';
import { heuristicFindings } from './test-helpers.js';

const RULE = 'PKG-PROC-001';
const DETACHED =
  'import subprocess\nsubprocess.Popen(["x"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)\n';

describe('PKG-PROC-001', () => {
  it('is high where code runs unasked (setup.py, a top-level __init__) and medium elsewhere', async () => {
    expect(await heuristicFindings(DETACHED, 'setup.py', RULE)).toEqual([
      expect.not.objectContaining({ severity: 'medium' }),
    ]);
    expect(await heuristicFindings(DETACHED, 'evil/__init__.py', RULE)).toEqual([
      expect.not.objectContaining({ severity: 'medium' }),
    ]);
    expect(await heuristicFindings(DETACHED, 'evil/server/launch.py', RULE)).toEqual([
      expect.objectContaining({ severity: 'medium' }),
    ]);
  });

  it('needs both output streams discarded when the only sign of detachment is weak', async () => {
    const weak =
      'import subprocess\nsubprocess.Popen(["x"], stdout=subprocess.DEVNULL, creationflags=subprocess.CREATE_NO_WINDOW)\n';
    expect(await heuristicFindings(weak, 'setup.py', RULE)).toEqual([]);
    const both = weak.replace(
      'stdout=subprocess.DEVNULL',
      'stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT',
    );
    expect(await heuristicFindings(both, 'setup.py', RULE)).toHaveLength(1);
  });

  it('reads devnull handles bound to names, not conditional sinks', async () => {
    const named =
      'import os, subprocess\nsink = open(os.devnull, "w")\nsubprocess.Popen(["x"], stdout=sink, preexec_fn=os.setsid)\n';
    expect(await heuristicFindings(named, 'setup.py', RULE)).toHaveLength(1);
    const conditional =
      'import os, subprocess\nsubprocess.Popen(["x"], stdout=subprocess.PIPE if quiet else open(os.devnull, "w"), start_new_session=True)\n';
    expect(await heuristicFindings(conditional, 'setup.py', RULE)).toEqual([]);
  });
});
