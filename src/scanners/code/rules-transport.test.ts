import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseCells } from './notebook/analyse.js';
import { readNotebook } from './notebook/read.js';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** The findings of the rules under test only: other families fire on the same realistic code. */
async function findingsOf(ruleIds: readonly string[], source: string): Promise<string[]> {
  return (await activeFindings(source)).filter((finding) =>
    ruleIds.some((id) => finding.startsWith(`${id}@`)),
  );
}

/** `rule@line severity/confidence` with the rule's defaults shown as `-`, for rules whose levels vary. */
async function levelsOf(ruleId: string, source: string): Promise<string[]> {
  return (await analyseSource(source))
    .filter((finding) => finding.ruleId === ruleId)
    .map((finding) => `${finding.line} ${finding.severity ?? '-'}/${finding.confidence ?? '-'}`);
}

describe('transport rules on realistic code', () => {
  it.each([
    ['cry/rsa_signing_keys_small.py', ['PY-CRY-005@9', 'PY-CRY-005@13', 'PY-CRY-005@17', 'PY-CRY-005@22']],
    ['cry/pycrypto_legacy_imports.py', ['PY-CRY-006@2', 'PY-CRY-006@3', 'PY-CRY-006@4']],
    ['cry/api_token_random.py', ['PY-CRY-007@9', 'PY-CRY-007@15', 'PY-CRY-007@20', 'PY-CRY-007@24']],
    ['cry/jwt_unverified_auth.py', ['PY-CRY-008@11', 'PY-CRY-008@16', 'PY-CRY-008@21', 'PY-CRY-008@25']],
    [
      'cry/hardcoded_cipher_key.py',
      ['PY-CRY-009@14', 'PY-CRY-009@20', 'PY-CRY-009@25', 'PY-CRY-009@29', 'PY-CRY-009@34'],
    ],
    ['net/model_client_no_timeout.py', ['PY-NET-004@9', 'PY-NET-004@17', 'PY-NET-004@21']],
    [
      'net/serve_all_interfaces.py',
      ['PY-NET-005@11', 'PY-NET-005@16', 'PY-NET-005@27', 'PY-NET-005@31', 'PY-NET-005@35', 'PY-NET-005@40'],
    ],
    ['net/gradio_share_demo.py', ['PY-NET-006@22', 'PY-NET-006@27', 'PY-NET-006@28']],
    [
      'net/cleartext_downloads.py',
      ['PY-NET-007@2', 'PY-NET-007@13', 'PY-NET-007@18', 'PY-NET-007@22', 'PY-NET-007@26', 'PY-NET-007@30'],
    ],
    ['net/urllib_fetch_any_scheme.py', ['PY-NET-008@14', 'PY-NET-008@20', 'PY-NET-008@24']],
    ['net/snmp_gpu_monitor.py', ['PY-NET-010@19', 'PY-NET-010@30']],
    ['net/cgi_inference_endpoint.py', ['PY-NET-011@19']],
    ['net/url_preview_ssrf.py', ['PY-NET-012@19', 'PY-NET-012@26', 'PY-NET-012@33']],
  ])('reports %s', async (name, expected) => {
    const rules = [...new Set(expected.map((finding) => finding.slice(0, finding.indexOf('@'))))];
    expect(await findingsOf(rules, await fixture(name))).toEqual(expected);
  });

  it.each([
    ['cry/rsa_signing_keys.py', 'PY-CRY-005'],
    ['cry/pycryptodome_gcm_exports.py', 'PY-CRY-006'],
    ['cry/api_token_secrets.py', 'PY-CRY-007'],
    ['cry/jwt_verified_auth.py', 'PY-CRY-008'],
    ['cry/env_cipher_key.py', 'PY-CRY-009'],
    ['net/model_client_timeouts.py', 'PY-NET-004'],
    ['net/serve_localhost.py', 'PY-NET-005'],
    ['net/gradio_local_demo.py', 'PY-NET-006'],
    ['net/tls_downloads.py', 'PY-NET-007'],
    ['net/urllib_fetch_https.py', 'PY-NET-008'],
    ['net/snmp_v3_gpu_monitor.py', 'PY-NET-010'],
    ['net/wsgi_inference_endpoint.py', 'PY-NET-011'],
    ['net/url_preview_allowlist.py', 'PY-NET-012'],
  ])('does not report %s', async (name, rule) => {
    expect(await findingsOf([rule], await fixture(name))).toEqual([]);
  });
});

describe('PY-CRY-005 small keys', () => {
  it('grades RSA/DSA sizes, reads positions and aliases, and finds weak curves as class or instance', async () => {
    expect(
      await levelsOf(
        'PY-CRY-005',
        'from cryptography.hazmat.primitives.asymmetric import rsa as r, ec\nfrom Cryptodome.PublicKey import DSA, ECC\n' +
          'r.generate_private_key(3, 1024)\nDSA.generate(512)\nec.generate_private_key(ec.SECT163R2)\n' +
          'ec.generate_private_key(curve=ec.SECP192R1())\nECC.generate(curve="P-192")\n',
      ),
    ).toEqual(['3 medium/-', '4 high/-', '5 -/-', '6 -/-', '7 -/-']);
  });

  it('ignores strong and unknown sizes, strong curves and a shadowing parameter', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-005'],
        'from cryptography.hazmat.primitives.asymmetric import rsa, ec\nrsa.generate_private_key(65537, 2048)\n' +
          'rsa.generate_private_key(65537, key_size=bits)\nec.generate_private_key(ec.SECP256R1())\n' +
          'def f(rsa):\n    return rsa.generate_private_key(65537, 512)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-CRY-006 pyCrypto imports', () => {
  it('reports Crypto imports however written, at low confidence', async () => {
    expect(
      await levelsOf(
        'PY-CRY-006',
        'import Crypto\nimport Crypto.Cipher.AES as aes\nfrom Crypto.Hash import SHA256\nfrom Crypto import Random\n',
      ),
    ).toEqual(['1 -/-', '2 -/-', '3 -/-', '4 -/-']);
  });

  it('ignores Cryptodome, relative imports, and files that use PyCryptodome-only APIs', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-006'],
        'from Cryptodome.Cipher import AES\nfrom .Crypto import helpers\nimport cryptography\n',
      ),
    ).toEqual([]);
    expect(
      await findingsOf(['PY-CRY-006'], 'from Crypto.Cipher import AES\nc = AES.new(k, AES.MODE_EAX)\n'),
    ).toEqual([]);
  });
});

describe('PY-CRY-007 random for secrets', () => {
  it('reports values made into secrets, through aliases and Random instances', async () => {
    expect(
      await levelsOf(
        'PY-CRY-007',
        'import random as rnd\nfrom random import choice\nrng = rnd.Random()\n' +
          'session_id = "%x" % rnd.getrandbits(64)\nuser.resetToken = "".join(choice(ABC) for _ in range(8))\n' +
          'payload = {"csrf": rng.random()}\ndef make_salt():\n    return rnd.randbytes(16)\nkey = rnd.randbytes(32)\n',
      ),
    ).toEqual(['4 medium/-', '5 medium/-', '6 medium/-', '8 -/-', '9 medium/-']);
  });

  it('ignores sampling, vocabulary tokens, key names without a secret qualifier and a shadowing random', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-007'],
        'import random\nbatch = random.sample(data, 32)\nmasked_token = random.choice(vocab)\n' +
          'key = random.choice(list(shards))\npin_memory = random.random() > 0.5\n' +
          'def f(random):\n    token = random.choice(xs)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-CRY-008 unverified JWT', () => {
  it('reports verify=False, verify_signature off (inline or via a constant), "none" and jose', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-008'],
        'import jwt as pyjwt\nfrom jose import jwt\nOPTS = {"verify_signature": False}\n' +
          'pyjwt.decode(t, verify=False)\npyjwt.decode(t, k, options=OPTS)\npyjwt.decode(t, k, algorithms=["NONE"])\n' +
          'jwt.get_unverified_claims(t)\n',
      ),
    ).toEqual(['PY-CRY-008@4', 'PY-CRY-008@5', 'PY-CRY-008@6', 'PY-CRY-008@7']);
  });

  it('ignores verified decodes, unknown options and a shadowing jwt', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-008'],
        'import jwt\njwt.decode(t, k, algorithms=["RS256"])\njwt.decode(t, k, options=settings.opts)\n' +
          'jwt.get_unverified_header(t)\ndef f(jwt):\n    return jwt.decode(t, verify=False)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-CRY-009 hard-coded keys, IVs and salts', () => {
  it('reports literals, constants, zero IVs and decoded literals', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-009'],
        'import hashlib\nfrom Crypto.Cipher import AES as A\nfrom cryptography.hazmat.primitives.ciphers import modes\n' +
          'from cryptography.hazmat.primitives.ciphers.aead import AESGCM\nKEY = b"k" * 1\nIV = bytes(16)\n' +
          'A.new(key=b"sixteen byte key", mode=A.MODE_CBC)\nmodes.CBC(IV)\nAESGCM(bytes.fromhex("00ff"))\n' +
          'hashlib.scrypt(pw, salt=b"", n=2**14, r=8, p=1)\n',
      ),
    ).toEqual(['PY-CRY-009@7', 'PY-CRY-009@8', 'PY-CRY-009@9', 'PY-CRY-009@10']);
  });

  it('ignores keys and salts from variables, random bytes, and a shadowing name', async () => {
    expect(
      await findingsOf(
        ['PY-CRY-009'],
        'import os\nfrom Crypto.Cipher import AES\nfrom cryptography.hazmat.primitives.ciphers import modes\n' +
          'AES.new(key, AES.MODE_GCM)\nmodes.CBC(os.urandom(16))\ndef f(AES):\n    return AES.new(b"literal")\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-004 missing timeouts', () => {
  it('reports requests without timeout or with None, sessions, and httpx with timeout=None', async () => {
    expect(
      await findingsOf(
        ['PY-NET-004'],
        'import requests as rq\nimport httpx\nfrom requests import Session\nrq.get(u)\nrq.request("GET", u, timeout=None)\n' +
          's = Session()\ns.post(u, json=b)\nhttpx.Client(timeout=None)\n',
      ),
    ).toEqual(['PY-NET-004@4', 'PY-NET-004@5', 'PY-NET-004@7', 'PY-NET-004@8']);
  });

  it('ignores timeouts, httpx defaults, unpacked options and a shadowing requests', async () => {
    expect(
      await findingsOf(
        ['PY-NET-004'],
        'import requests\nimport httpx\nrequests.get(u, timeout=5)\nrequests.get(u, **opts)\nhttpx.get(u)\n' +
          'def f(requests):\n    return requests.get(u)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-005 binding all interfaces', () => {
  it('reports host keywords, socket addresses, serving positions, settings, defaults and CLI flags', async () => {
    expect(
      await findingsOf(
        ['PY-NET-005'],
        'import socket, os\nfrom werkzeug.serving import run_simple as serve\ns.bind(("0.0.0.0", 80))\n' +
          'serve("::", 5000, app)\nc.ServerApp.ip = "0.0.0.0"\ndef main(host="0.0.0.0:8000"):\n    pass\n' +
          'config = {"host": "[::]"}\nos.system("tensorboard --logdir runs --bind_all")\n' +
          'args = ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]\nhost = os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0")\n',
      ),
    ).toEqual([
      'PY-NET-005@3',
      'PY-NET-005@4',
      'PY-NET-005@5',
      'PY-NET-005@6',
      'PY-NET-005@8',
      'PY-NET-005@9',
      'PY-NET-005@10',
      'PY-NET-005@11',
    ]);
  });

  it('ignores comparisons, log messages, docstrings, help texts, client URLs and loopback', async () => {
    expect(
      await findingsOf(
        ['PY-NET-005'],
        '"""Run with --host 0.0.0.0 behind the proxy."""\nif host == "0.0.0.0":\n    log.warning("bound to 0.0.0.0")\n' +
          'p.add_argument("--host", help="use --host 0.0.0.0 carefully", default="127.0.0.1")\n' +
          'requests.get("http://0.0.0.0:8000/health")\nuvicorn.run(app, host="127.0.0.1")\nname = ""\n' +
          'mode = os.environ.get("MODE", "0.0.0.0")\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-006 public tunnels', () => {
  it('reports share=True on Gradio apps (low confidence when the object is unknown) and ngrok tunnels', async () => {
    expect(
      await levelsOf(
        'PY-NET-006',
        'import gradio as gr\nimport ngrok\nwith gr.Blocks() as demo:\n    pass\ndemo.queue().launch(share=True)\n' +
          'make_demo().launch(share=True, auth=("u", p))\nngrok.forward(8000, authtoken_from_env=True)\n' +
          'def make_demo():\n    return build()\n',
      ),
    ).toEqual(['5 -/-', '6 low/low', '7 -/-']);
  });

  it('reports the share link and the ngrok tunnel of a Colab notebook, by cell', async () => {
    const notebook = readNotebook(await fixture('net/colab_chat_demo_share.ipynb'));
    const cells = notebook.cells.filter((cell) => cell.type === 'code');
    const findings = await analyseCells(cells, 'colab_chat_demo_share.ipynb', () => undefined);
    expect(
      findings
        .filter((finding) => finding.ruleId === 'PY-NET-006')
        .map((finding) => `${finding.member ?? ''}:${finding.line}`),
    ).toEqual(['cell 4:6', 'cell 5:2']);
  });

  it('ignores share=False, a share flag not known to be True and a shadowing gradio', async () => {
    expect(
      await findingsOf(
        ['PY-NET-006'],
        'import gradio as gr\ngr.Interface(f, "text", "text").launch(share=False)\n' +
          'gr.Blocks().launch(share=args.share)\ndef f(ngrok):\n    ngrok.connect(80)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-007 cleartext protocols', () => {
  it('reports Telnet/FTP clients and imports, and http:// downloads from public hosts', async () => {
    expect(
      await findingsOf(
        ['PY-NET-007'],
        'import telnetlib as tl\nfrom ftplib import FTP\nimport huggingface_hub as hub\ntl.Telnet(h)\nFTP(h)\n' +
          'hub.hf_hub_download("org/m", "w.bin", endpoint="http://hf-mirror.example.com")\n' +
          'import keras\nkeras.utils.get_file("w.h5", origin=f"http://cdn.example.org/{name}.h5")\n',
      ),
    ).toEqual([
      'PY-NET-007@1',
      'PY-NET-007@2',
      'PY-NET-007@4',
      'PY-NET-007@5',
      'PY-NET-007@6',
      'PY-NET-007@8',
    ]);
  });

  it('ignores FTP_TLS, https, local and private hosts, unknown hosts and a shadowing requests', async () => {
    expect(
      await findingsOf(
        ['PY-NET-007'],
        'from ftplib import FTP_TLS, all_errors\nimport requests\nrequests.get("https://example.com/a", timeout=5)\n' +
          'requests.get("http://localhost:5000/x", timeout=5)\nrequests.get("http://10.0.0.5/x", timeout=5)\n' +
          'requests.get("http://minio:9000/b", timeout=5)\nrequests.get(f"http://{host}/x", timeout=5)\n' +
          'def f(requests):\n    requests.get("http://example.com/x")\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-008 urllib scheme', () => {
  it('reports non-literal URLs at low confidence, tainted ones and file: literals at high', async () => {
    expect(
      await levelsOf(
        'PY-NET-008',
        'import sys\nfrom urllib.request import urlopen, Request, URLopener\nurlopen(config.url)\n' +
          'urlopen(sys.argv[1])\nurlopen("file:///etc/passwd")\nRequest(url=next_url)\nURLopener()\n',
      ),
    ).toEqual(['3 -/-', '4 -/high', '5 -/high', '6 -/-', '7 -/high']);
  });

  it('ignores http(s) literals and prefixes, Request objects and a shadowing urllib', async () => {
    expect(
      await findingsOf(
        ['PY-NET-008'],
        'import urllib.request\nurllib.request.urlopen("https://example.com")\n' +
          'urllib.request.urlopen(f"https://{host}/x")\nurllib.request.urlopen("http://" + host)\n' +
          'req = urllib.request.Request("https://example.com", headers=h)\nurllib.request.urlopen(req)\n' +
          'def f(urllib):\n    urllib.request.urlopen(u)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-010 SNMP', () => {
  it('reports community data of any version and v3 users without privacy, however imported', async () => {
    expect(
      await findingsOf(
        ['PY-NET-010'],
        'from pysnmp.hlapi.asyncio import CommunityData as Community\nimport pysnmp.hlapi as snmp\n' +
          'Community("public")\nsnmp.UsmUserData("u")\nsnmp.UsmUserData("u", authKey=k)\n',
      ),
    ).toEqual(['PY-NET-010@3', 'PY-NET-010@4', 'PY-NET-010@5']);
  });

  it('ignores v3 users with privacy, unpacked arguments and a shadowing name', async () => {
    expect(
      await findingsOf(
        ['PY-NET-010'],
        'from pysnmp.hlapi import UsmUserData\nUsmUserData("u", a, p)\nUsmUserData("u", authKey=a, privKey=p)\n' +
          'UsmUserData(*creds)\ndef f(UsmUserData):\n    return UsmUserData("u")\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-NET-011 httpoxy', () => {
  it('reports CGI handlers however imported, not a local module or a shadowing name', async () => {
    expect(
      await findingsOf(
        ['PY-NET-011'],
        'import wsgiref.handlers as wh\nfrom twisted.web.twcgi import CGIScript\nwh.CGIHandler().run(app)\n' +
          'CGIScript("/cgi/x.py")\nfrom .handlers import CGIHandler\nCGIHandler()\ndef f(wh):\n    wh.CGIHandler()\n',
      ),
    ).toEqual(['PY-NET-011@3', 'PY-NET-011@4']);
  });
});

describe('PY-NET-012 SSRF', () => {
  it('reports user and LLM-controlled URLs at high confidence, with the source', async () => {
    const findings = await analyseSource(
      'import requests, aiohttp, sys\nfrom flask import request\nrequests.get(request.args["u"], timeout=5)\n' +
        'async def f():\n    async with aiohttp.ClientSession() as s:\n        await s.get(sys.argv[1])\n' +
        'requests.request("GET", url=input(), timeout=5)\n',
    );
    expect(
      findings
        .filter((finding) => finding.ruleId === 'PY-NET-012')
        .map((finding) => `${finding.line} ${finding.confidence ?? 'high'} ${finding.message}`),
    ).toEqual([
      '3 high requests.get fetches a URL taken from flask.request on line 3',
      '6 high aiohttp.ClientSession().get fetches a URL taken from sys.argv on line 6',
      '7 high requests.request fetches a URL taken from input() on line 7',
    ]);
  });

  it('reports a tainted Request once, where it is built', async () => {
    expect(
      await findingsOf(
        ['PY-NET-012'],
        'import sys, urllib.request\nreq = urllib.request.Request(sys.argv[1])\nurllib.request.urlopen(req)\n',
      ),
    ).toEqual(['PY-NET-012@2']);
  });

  it('ignores untainted URLs, the environment, fixed hosts and a shadowing requests', async () => {
    expect(
      await findingsOf(
        ['PY-NET-012'],
        'import os, requests\nfrom flask import request\nrequests.get(url, timeout=5)\n' +
          'requests.get(os.environ["API"], timeout=5)\n' +
          'requests.get(f"https://api.example.com/{request.args[\'p\']}", timeout=5)\n' +
          'def f(requests):\n    requests.get(request.args["u"])\n',
      ),
    ).toEqual([]);
  });
});
