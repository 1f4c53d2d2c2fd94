import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { analyseModule } from './analyse-module.js';
import { PKG_EXF_002 } from './endpoints.js';

async function endpoints(source: string): Promise<readonly RawFinding[]> {
  const { findings } = await analyseModule(source, {
    path: 'pkg/module.py',
    role: 'library',
    enabledRules: new Set([PKG_EXF_002.id]),
    checkDeadline: () => undefined,
  });
  return findings;
}

describe('PKG-EXF-002', () => {
  it('reports a complete webhook at the rule default (high) and a bare API base at low', async () => {
    const findings = await endpoints(
      [
        'A = "https://discord.com/api/webhooks/1183044712293421066/kX2dQ9vR7pLm3nT8wYc1bF4hJ6sA0eZuVg"',
        'B = "https://api.telegram.org/bot"',
      ].join('\n'),
    );
    expect(findings.map((f) => [f.line, f.severity])).toEqual([
      [1, undefined],
      [2, 'low'],
    ]);
  });

  it('reads implicit concatenations as one literal and reports them once', async () => {
    const findings = await endpoints('H = ("https://hooks.slack.com/" "services/T0000/B0000/XXXXXXXX")');
    expect(findings).toHaveLength(1);
  });

  it('rates a docstring mention as low with low confidence', async () => {
    const [finding] = await endpoints(
      'def f():\n    """Posts to webhook.site for debugging."""\n    return 1',
    );
    expect([finding?.severity, finding?.confidence]).toEqual(['low', 'low']);
  });

  it('ignores documentation pages and local URLs', async () => {
    const findings = await endpoints(
      [
        'A = "https://discord.com/developers/docs/resources/webhook"',
        'B = "https://core.telegram.org/bots/api"',
        'C = "https://ngrok.com/docs"',
        'D = "http://127.0.0.1:8000/hook"',
      ].join('\n'),
    );
    expect(findings).toEqual([]);
  });
});
