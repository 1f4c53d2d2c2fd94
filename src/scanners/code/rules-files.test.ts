import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code');
const fixture = (path: string): Promise<string> => readFile(join(FIXTURES, path), 'utf8');

/** `rule@line` of one rule only, so that other families' findings on the same code do not matter. */
async function findingsOf(rule: string, source: string, path?: string): Promise<string[]> {
  return (await activeFindings(source, path, 'all')).filter((finding) => finding.startsWith(`${rule}@`));
}

async function confidencesOf(rule: string, source: string): Promise<(string | undefined)[]> {
  return (await analyseSource(source)).filter((f) => f.ruleId === rule).map((f) => f.confidence);
}

describe('PY-FS-001 tempfile.mktemp', () => {
  it('reports mktemp by any import spelling and Python 2 tempnam', async () => {
    expect(
      await findingsOf(
        'PY-FS-001',
        'import tempfile\nfrom tempfile import mktemp as mk\nimport os\n' +
          'a = tempfile.mktemp(suffix=".onnx")\nb = mk()\nos.tempnam()\n',
      ),
    ).toEqual(['PY-FS-001@4', 'PY-FS-001@5', 'PY-FS-001@6']);
    expect(await findingsOf('PY-FS-001', await fixture('fs/onnx_export_mktemp.py'))).toEqual([
      'PY-FS-001@13',
    ]);
  });

  it('ignores mkstemp and a parameter named tempfile', async () => {
    expect(
      await findingsOf(
        'PY-FS-001',
        'import tempfile\nfd, p = tempfile.mkstemp()\ndef f(tempfile):\n    return tempfile.mktemp()\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-FS-002 hard-coded shared temporary paths', () => {
  it('reports literals and f-strings under /tmp, /var/tmp and /dev/shm', async () => {
    expect(
      await findingsOf(
        'PY-FS-002',
        'a = "/tmp/run"\nb = f"/tmp/{name}"\nc = "/var/tmp/x"\nd = "/dev/shm"\ne = r\'/tmp\'\n',
      ),
    ).toEqual(['PY-FS-002@1', 'PY-FS-002@2', 'PY-FS-002@3', 'PY-FS-002@4', 'PY-FS-002@5']);
  });

  it('ignores docstrings, look-alike prefixes and paths elsewhere', async () => {
    expect(
      await findingsOf(
        'PY-FS-002',
        '"""Writes to /tmp/x."""\na = "/tmpfs/x"\nb = "/abc/tmp"\nc = "see /tmp/x"\n',
      ),
    ).toEqual([]);
    expect(await findingsOf('PY-FS-002', await fixture('fs/train_private_dirs.py'))).toEqual([]);
  });
});

describe('PY-FS-003 world-writable permissions', () => {
  it('folds integers and stat constants, through aliases and names', async () => {
    const source =
      'import os as o\nimport stat as st\nfrom pathlib import Path\nMODE = st.S_IRWXU | st.S_IWOTH\n' +
      'o.chmod(p, 0o777)\no.chmod(p, mode=511)\nPath(p).chmod(MODE)\no.fchmod(fd, 0o770)\n';
    expect(await findingsOf('PY-FS-003', source)).toEqual([
      'PY-FS-003@5',
      'PY-FS-003@6',
      'PY-FS-003@7',
      'PY-FS-003@8',
    ]);
    const severities = (await analyseSource(source))
      .filter((f) => f.ruleId === 'PY-FS-003')
      .map((f) => f.severity);
    expect(severities).toEqual(['high', 'high', 'high', 'low']);
  });

  it('ignores owner and group modes, unknown modes and a shadowed os', async () => {
    expect(
      await findingsOf(
        'PY-FS-003',
        'import os\nos.chmod(p, 0o755)\nos.chmod(p, 0o750)\nos.chmod(p, 0o600)\nos.chmod(p, mode)\n' +
          'def f(os):\n    os.chmod(p, 0o777)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-FS-004 tar extraction without a filter', () => {
  it('reports extractall/extract on tar objects and unpack_archive of tarballs', async () => {
    expect(await findingsOf('PY-FS-004', await fixture('fs/download_dataset_tarball.py'))).toEqual([
      'PY-FS-004@16',
      'PY-FS-004@21',
    ]);
    expect(
      await findingsOf(
        'PY-FS-004',
        'from tarfile import open as topen\nimport shutil\nt = topen(p)\nt.extract(m, out)\n' +
          't.extractall(out, filter="fully_trusted")\nshutil.unpack_archive("weights.tar.gz", out)\n',
      ),
    ).toEqual(['PY-FS-004@4', 'PY-FS-004@5', 'PY-FS-004@6']);
  });

  it('accepts data and tar filters, and zip archives', async () => {
    expect(
      await findingsOf(
        'PY-FS-004',
        'import tarfile, shutil, zipfile\nt = tarfile.open(p)\nt.extractall(out, filter="data")\n' +
          't.extractall(out, filter=tarfile.tar_filter)\nshutil.unpack_archive("x.zip", out)\n' +
          'zipfile.ZipFile(p).extractall(out)\n',
      ),
    ).toEqual([]);
    expect(await findingsOf('PY-FS-004', await fixture('fs/download_dataset_tarball_filtered.py'))).toEqual(
      [],
    );
  });

  it('lowers confidence for unknown receivers, member validators and unknown formats', async () => {
    expect(
      await confidencesOf(
        'PY-FS-004',
        'import tarfile, shutil\ndef f(archive):\n    archive.extractall(out)\n' +
          'tarfile.open(p).extractall(out, members=safe_members(p))\nshutil.unpack_archive(p, out)\n',
      ),
    ).toEqual(['low', 'low', 'low']);
  });
});

describe('PY-FS-005 path traversal', () => {
  it('reports untrusted names joined into opened, written and sent paths at high confidence', async () => {
    const source = await fixture('fs/flask_artifact_server.py');
    expect(await findingsOf('PY-FS-005', source)).toEqual(['PY-FS-005@14', 'PY-FS-005@21']);
    expect(await confidencesOf('PY-FS-005', source)).toEqual(['high', 'high']);
  });

  it('follows names, f-strings and aliases; sanitizers and fixed names are not reported', async () => {
    expect(
      await findingsOf(
        'PY-FS-005',
        'import os.path as osp\nfrom flask import request\nBASE = "/srv"\n' +
          'name = request.args["f"]\npath = osp.join(BASE, name)\nopen(path)\nopen(f"{BASE}/{name}", "wb")\n' +
          'open(osp.join(BASE, osp.basename(name)))\nopen(osp.join(BASE, "index.html"))\n',
      ),
    ).toEqual(['PY-FS-005@6', 'PY-FS-005@7']);
  });

  it('reports nothing for untainted joins or a whole path chosen on the command line', async () => {
    expect(
      await findingsOf(
        'PY-FS-005',
        'import os, sys\ndef load(name):\n    return open(os.path.join("/data", name))\nopen(sys.argv[1])\n' +
          'def open(p):\n    return p\nopen(os.path.join("/data", sys.argv[1]))\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-FS-006 caches in shared directories', () => {
  it('reports cache_dir, torch.hub and environment caches under /tmp', async () => {
    expect(await findingsOf('PY-FS-006', await fixture('fs/hf_cache_in_tmp.py'))).toEqual([
      'PY-FS-006@7',
      'PY-FS-006@13',
      'PY-FS-006@14',
      'PY-FS-006@15',
    ]);
    expect(
      await findingsOf(
        'PY-FS-006',
        'import os, tempfile\nimport torch.hub as hub\nfrom huggingface_hub import hf_hub_download as dl\n' +
          'hub.set_dir("/dev/shm/hub")\ndl("org/m", "w.bin", cache_dir=os.path.join(tempfile.gettempdir(), "hf"))\n' +
          'os.environ.setdefault("TORCH_HOME", "/var/tmp/torch")\nos.makedirs(CACHE_DIR, mode=0o777)\n',
      ),
    ).toEqual(['PY-FS-006@4', 'PY-FS-006@5', 'PY-FS-006@6', 'PY-FS-006@7']);
  });

  it('ignores private caches and unrelated variables', async () => {
    expect(await findingsOf('PY-FS-006', await fixture('fs/hf_cache_private.py'))).toEqual([]);
    expect(
      await findingsOf(
        'PY-FS-006',
        'import os\nos.environ["OUTPUT"] = "/tmp/x"\nos.makedirs("/tmp/logs", mode=0o777)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-PYP-003 assert outside tests', () => {
  it('reports asserts, at medium severity for access checks', async () => {
    const findings = (await analyseSource('assert user.is_admin\nassert n > 0\n')).filter(
      (f) => f.ruleId === 'PY-PYP-003',
    );
    expect(findings.map((f) => `${f.line}:${f.severity ?? ''}`)).toEqual(['1:medium', '2:']);
  });

  it('skips test files and directories', async () => {
    for (const path of [
      'tests/test_api.py',
      'pkg/test/util.py',
      'test_model.py',
      '/home/me/project/model_test.py',
      'conftest.py',
    ])
      expect(await findingsOf('PY-PYP-003', 'assert x\n', path)).toEqual([]);
    // Directories above an absolute scan path say nothing about the file.
    for (const path of ['src/contest.py', '/home/me/test/project/serve.py'])
      expect(await findingsOf('PY-PYP-003', 'assert x\n', path)).toEqual(['PY-PYP-003@1']);
  });
});

describe('PY-PYP-004 silenced exceptions', () => {
  it('reports catch-all handlers whose body is only pass or continue', async () => {
    expect(await findingsOf('PY-PYP-004', await fixture('pyp/verify_shards_silenced.py'))).toEqual([
      'PY-PYP-004@16',
      'PY-PYP-004@24',
    ]);
  });

  it('ignores specific exceptions and handlers that do something', async () => {
    expect(
      await findingsOf(
        'PY-PYP-004',
        'try:\n    a()\nexcept ValueError:\n    pass\ntry:\n    a()\nexcept Exception:\n    log()\n    pass\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-PYP-005 Python 2 input()', () => {
  it('reports input() only in Python 2 files, and not a shadowing definition', async () => {
    expect(await findingsOf('PY-PYP-005', await fixture('pyp/py2_label_tool.py'))).toEqual(['PY-PYP-005@9']);
    expect(await findingsOf('PY-PYP-005', 'x = input("n: ")\n')).toEqual([]);
    expect(
      await findingsOf(
        'PY-PYP-005',
        'print "x"\ndef input(prompt):\n    return raw_input(prompt)\nx = input("n")\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-PYP-006 literal_eval on untrusted input', () => {
  it('reports only tainted, unbounded inputs', async () => {
    const source =
      'from ast import literal_eval as le\nimport sys\nle(sys.argv[1])\nle(sys.argv[1][:256])\nle("[1, 2]")\n' +
      'def parse(text):\n    return le(text)\n';
    expect(await findingsOf('PY-PYP-006', source)).toEqual(['PY-PYP-006@3']);
    expect(await confidencesOf('PY-PYP-006', source)).toEqual(['high']);
    expect(await findingsOf('PY-PYP-006', await fixture('pyp/llm_tool_literal_eval.py'))).toEqual([
      'PY-PYP-006@14',
    ]);
  });
});

describe('PY-PYP-007 urlparse allow-lists', () => {
  it('reports comparisons and prefix checks on parsed parts of untrusted URLs', async () => {
    // The scheme check and the host check are two comparisons, each a finding.
    expect(await findingsOf('PY-PYP-007', await fixture('pyp/webhook_url_allowlist.py'))).toEqual([
      'PY-PYP-007@15',
      'PY-PYP-007@15',
    ]);
    expect(
      await findingsOf(
        'PY-PYP-007',
        'import urllib.parse as up\nimport sys\nu = sys.argv[1]\nif up.urlsplit(u).netloc.endswith("example.com"):\n' +
          '    pass\nif up.urlparse(FIXED).hostname == "a":\n    pass\n',
      ),
    ).toEqual(['PY-PYP-007@4']);
  });
});

describe('PY-PYP-008 Trojan Source', () => {
  it('reports the first bidi control on its own line, even inside a multi-line string', async () => {
    expect(await findingsOf('PY-PYP-008', await fixture('pyp/promotion_gate_bidi.py'))).toEqual([
      'PY-PYP-008@5',
    ]);
    const [finding] = (await analyseSource('x = """\nDoc\n\u202e here\n"""\n')).filter(
      (f) => f.ruleId === 'PY-PYP-008',
    );
    expect(finding?.message).toContain('(line 3)');
  });

  it('reports look-alike identifiers but not non-Latin text in strings and comments', async () => {
    expect(await findingsOf('PY-PYP-008', 'p\u0430ypal = 1\n')).toEqual(['PY-PYP-008@1']);
    expect(await findingsOf('PY-PYP-008', '\uff45\uff56\uff41\uff4c("1")\n')).toEqual(['PY-PYP-008@1']);
    expect(await findingsOf('PY-PYP-008', await fixture('pyp/multilingual_labels.py'))).toEqual([]);
  });
});
