import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

describe('PY-PYP-001 socket.inet_aton', () => {
  it('reports inet_aton, with more confidence inside a try block', async () => {
    const findings = await analyseSource(await fixture('pyp/inet_aton_allowlist.py'));
    expect(findings.map((finding) => [finding.ruleId, finding.line, finding.confidence])).toEqual([
      ['PY-PYP-001', 9, 'medium'],
      ['PY-PYP-001', 21, undefined],
    ]);
  });

  it('does not report ipaddress validation or inet_pton', async () => {
    expect(await activeFindings(await fixture('pyp/ipaddress_allowlist.py'))).toEqual([]);
  });

  it('follows from-imports and aliases, but not a shadowing name', async () => {
    expect(
      await activeFindings(
        'from socket import inet_aton as aton\naton(host)\nimport socket as s\ncheck = s.inet_aton\ncheck(host)\n' +
          'def inet_aton(text):\n    return text\ninet_aton(host)\n',
      ),
    ).toEqual(['PY-PYP-001@2', 'PY-PYP-001@5']);
  });
});

describe('PY-PYP-002 crypt', () => {
  it('reports crypt calls, raising weak methods to high severity', async () => {
    const findings = await analyseSource(await fixture('pyp/crypt_dashboard_users.py'));
    expect(findings.map((finding) => [finding.ruleId, finding.line, finding.severity])).toEqual([
      ['PY-PYP-002', 8, 'high'],
      ['PY-PYP-002', 12, 'high'],
      ['PY-PYP-002', 16, undefined],
    ]);
  });

  it('does not report hashlib.scrypt with secrets', async () => {
    expect(await activeFindings(await fixture('pyp/scrypt_dashboard_users.py'))).toEqual([]);
  });

  it('reads the method by keyword and ignores a shadowing crypt', async () => {
    const findings = await analyseSource(
      'import crypt as c\nSALT_METHOD = c.METHOD_BLOWFISH\nc.mksalt(method=SALT_METHOD)\n' +
        'def store(crypt):\n    crypt.crypt(word)\n',
    );
    expect(findings.map((finding) => [finding.ruleId, finding.line, finding.severity])).toEqual([
      ['PY-PYP-002', 3, 'high'],
    ]);
  });
});

describe('PY-EXE-008 Werkzeug debugger', () => {
  it('reports run_simple with use_debugger=True', async () => {
    const findings = await activeFindings(await fixture('exe/werkzeug_debug_serving.py'));
    expect(findings.filter((finding) => finding.startsWith('PY-EXE-008@'))).toEqual(['PY-EXE-008@16']);
  });

  it('does not report run_simple without the debugger', async () => {
    expect(await activeFindings(await fixture('exe/werkzeug_plain_serving.py'))).toEqual([]);
  });

  it('reads the positional flag and aliases, reports Flask app.run(debug=True), leaves shadowed names alone', async () => {
    const findings = await activeFindings(
      'import werkzeug.serving as ws\nserve = ws.run_simple\nserve("0.0.0.0", 80, app, False, True)\n' +
        'from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n' +
        'def run_simple(*args, **kwargs):\n    return args\nrun_simple("h", 1, app, use_debugger=True)\n',
    );
    expect(findings.filter((finding) => finding.startsWith('PY-EXE-008@'))).toEqual([
      'PY-EXE-008@3',
      'PY-EXE-008@6',
    ]);
  });
});
