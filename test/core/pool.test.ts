import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { WorkerPool } from '../../src/core/pool.js';

describe('WorkerPool', () => {
  it('replaces a worker stuck past the time limit or dead, marks its file unscannable and finishes the rest', async () => {
    const settings = {
      limits: { ...DEFAULT_LIMITS, timeoutMs: 200 },
      pickle: { allowGlobals: [], denyGlobals: [] },
    };
    const pool = new WorkerPool(settings, 2, new URL('./stalling-worker.mjs', import.meta.url), 100);
    const tasks = ['a.pkl', 'stall.pkl', 'b.pkl', 'crash.pkl', 'c.pkl', 'stall2.pkl', 'd.pkl'].map(
      (name) => ({
        absolutePath: `/nowhere/${name}`,
        displayPath: name,
      }),
    );
    try {
      const outcomes = await pool.run(tasks);
      expect(outcomes.map((outcome) => outcome?.displayPath)).toEqual(tasks.map((task) => task.displayPath));
      const stalled = outcomes.filter((outcome) => outcome?.displayPath.includes('stall'));
      for (const outcome of stalled) {
        expect(outcome?.findings).toEqual([
          expect.objectContaining({ ruleId: 'SCAN-002', evidence: 'TIME' }),
        ]);
      }
      const crashed = outcomes.find((outcome) => outcome?.displayPath === 'crash.pkl');
      expect(crashed?.findings.map((finding) => finding.ruleId)).toEqual(['SCAN-001']);
      expect(crashed?.findings[0]?.message).toContain('native decoder blew up');
      const others = outcomes.filter(
        (outcome) => !outcome?.displayPath.includes('stall') && !outcome?.displayPath.includes('crash'),
      );
      expect(others.every((outcome) => outcome?.findings.length === 0)).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
