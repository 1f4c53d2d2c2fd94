import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/net');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** The findings of the rules under test only: rules added since may fire on the same code. */
async function findingsOf(ruleIds: readonly string[], source: string): Promise<string[]> {
  return (await activeFindings(source)).filter((finding) =>
    ruleIds.some((id) => finding.startsWith(`${id}@`)),
  );
}

describe('network rules on realistic code', () => {
  it.each([
    [
      'insecure_dataset_download.py',
      ['PY-NET-001@15', 'PY-NET-001@22', 'PY-NET-001@26', 'PY-NET-002@30', 'PY-NET-002@36'],
    ],
    ['legacy_tls_metrics_push.py', ['PY-NET-003@12', 'PY-NET-003@21', 'PY-NET-003@26']],
    ['ssh_autoadd_sync.py', ['PY-NET-009@8', 'PY-NET-009@15']],
  ])('reports %s', async (name, expected) => {
    expect(
      await findingsOf(['PY-NET-001', 'PY-NET-002', 'PY-NET-003', 'PY-NET-009'], await fixture(name)),
    ).toEqual(expected);
  });

  it.each(['verified_dataset_download.py', 'modern_tls_metrics_push.py', 'ssh_known_hosts_sync.py'])(
    'does not report %s',
    async (name) => {
      expect(
        await findingsOf(['PY-NET-001', 'PY-NET-002', 'PY-NET-003', 'PY-NET-009'], await fixture(name)),
      ).toEqual([]);
    },
  );
});

describe('PY-NET-001 disabled certificate verification', () => {
  it('reports requests, httpx and aiohttp through aliases and constants', async () => {
    expect(
      await findingsOf(
        ['PY-NET-001'],
        'import requests as rq\nimport httpx\nimport aiohttp\nfrom requests.api import post\nINSECURE = False\n' +
          'rq.request("GET", url, verify=INSECURE)\npost(url, verify=False)\nhttpx.AsyncClient(verify=False)\n' +
          'aiohttp.TCPConnector(ssl=False)\naiohttp.TCPConnector(verify_ssl=False)\n',
      ),
    ).toEqual(['PY-NET-001@6', 'PY-NET-001@7', 'PY-NET-001@8', 'PY-NET-001@9', 'PY-NET-001@10']);
  });

  it('ignores verification left on, a CA bundle, unknown values and a shadowing name', async () => {
    expect(
      await findingsOf(
        ['PY-NET-001'],
        'import requests\nrequests.get(url, verify=True)\nrequests.get(url, verify="/etc/ca.pem")\n' +
          'requests.get(url, verify=settings.verify)\ndef f(requests):\n    return requests.get(url, verify=False)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-002 unverified SSL contexts', () => {
  it('reports the unverified factories and CERT_NONE by reference or name', async () => {
    expect(
      await findingsOf(
        ['PY-NET-002'],
        'import ssl\nfrom ssl import CERT_NONE, _create_unverified_context as insecure\n' +
          'ssl._create_unverified_context()\ninsecure()\nssl.wrap_socket(sock, cert_reqs=CERT_NONE, ssl_version=ssl.PROTOCOL_TLS_CLIENT)\n' +
          'import urllib3\nurllib3.PoolManager(cert_reqs="CERT_NONE")\n',
      ),
    ).toEqual(['PY-NET-002@3', 'PY-NET-002@4', 'PY-NET-002@5', 'PY-NET-002@7']);
  });

  it('ignores the default context and CERT_REQUIRED', async () => {
    expect(
      await findingsOf(
        ['PY-NET-002'],
        'import ssl\nssl.create_default_context()\nssl.wrap_socket(sock, cert_reqs=ssl.CERT_REQUIRED, ssl_version=ssl.PROTOCOL_TLS_CLIENT)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-003 insecure protocol versions', () => {
  it('reports old protocols by keyword, position and alias, and wrap_socket without a version', async () => {
    expect(
      await findingsOf(
        ['PY-NET-003'],
        'import ssl\nfrom ssl import PROTOCOL_SSLv3 as OLD\nimport urllib3\nfrom OpenSSL import SSL\n' +
          'ssl.SSLContext(protocol=ssl.PROTOCOL_TLSv1_1)\nssl.wrap_socket(s, ssl_version=OLD)\n' +
          'urllib3.PoolManager(ssl_version=ssl.PROTOCOL_TLSv1)\nSSL.Context(SSL.TLSv1_METHOD)\nssl.wrap_socket(s)\n',
      ),
    ).toEqual(['PY-NET-003@5', 'PY-NET-003@6', 'PY-NET-003@7', 'PY-NET-003@8', 'PY-NET-003@9']);
  });

  it('ignores current protocols, unknown values, unpacked arguments and a shadowing ssl', async () => {
    expect(
      await findingsOf(
        ['PY-NET-003'],
        'import ssl\nssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nssl.wrap_socket(s, ssl_version=ssl.PROTOCOL_TLSv1_2)\n' +
          'ssl.SSLContext(settings.protocol)\nssl.wrap_socket(s, **options)\n' +
          'def f(ssl):\n    return ssl.SSLContext(ssl.PROTOCOL_TLSv1)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-009 paramiko host key policies', () => {
  it('reports AutoAddPolicy and WarningPolicy however imported, not RejectPolicy or a local paramiko', async () => {
    expect(
      await findingsOf(
        ['PY-NET-009'],
        'import paramiko as pm\nfrom paramiko.client import AutoAddPolicy\nfrom . import paramiko\n' +
          'c.set_missing_host_key_policy(pm.WarningPolicy())\nc.set_missing_host_key_policy(AutoAddPolicy())\n' +
          'c.set_missing_host_key_policy(pm.RejectPolicy())\nparamiko.AutoAddPolicy()\n',
      ),
    ).toEqual(['PY-NET-009@4', 'PY-NET-009@5']);
  });

  it('reports a policy class passed uncalled, on a resolved client or an unknown one, once per call', async () => {
    expect(
      await findingsOf(
        ['PY-NET-009'],
        'import paramiko\nfrom paramiko import client, WarningPolicy\nssh = client.SSHClient()\n' +
          'ssh.set_missing_host_key_policy(client.AutoAddPolicy)\n' +
          'def connect(conn):\n    conn.set_missing_host_key_policy(WarningPolicy)\n' +
          '    conn.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n' +
          '    conn.set_missing_host_key_policy(paramiko.RejectPolicy)\n' +
          'def f(paramiko, conn):\n    conn.set_missing_host_key_policy(paramiko.AutoAddPolicy)\n',
      ),
    ).toEqual(['PY-NET-009@4', 'PY-NET-009@6', 'PY-NET-009@7']);
  });
});

describe('PY-NET-003 insecure protocol defaults', () => {
  it('reports a parameter defaulting to a broken protocol, typed or not, and not a safe one', async () => {
    const source = [
      'import ssl',
      'def connect(host, version=ssl.PROTOCOL_TLSv1):',
      '    pass',
      'def serve(version: int = ssl.PROTOCOL_TLS_CLIENT, legacy: int = ssl.PROTOCOL_SSLv3):',
      '    pass',
    ].join('\n');
    const findings = await analyseSource(source);
    expect(findings.filter((f) => f.ruleId === 'PY-NET-003').map((f) => `${f.line} ${f.message}`)).toEqual([
      '2 parameter version defaults to PROTOCOL_TLSv1, a broken SSL/TLS version',
      '4 parameter legacy defaults to PROTOCOL_SSLv3, a broken SSL/TLS version',
    ]);
  });
});
