/**
 * Real files: picklescan's advisory test data (shared/corpora) and the project's fixtures (test/fixtures/model).
 * The verdict is derived from the rules' verdicts the way the engine does (a thrown parse/limit error makes the
 * file unscannable), so these tests do not depend on the engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../../core/finding.js';
import { VERDICTS, type Verdict, worseVerdict } from '../../../core/verdict.js';
import { MODEL_RULES } from '../rules.js';
import { looksLikePickle } from './index.js';
import { scanBytes } from './testing.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const picklescanData = path.resolve(repoRoot, '../shared/corpora/models-testdata/picklescan-data2');
const fixtures = path.join(repoRoot, 'test/fixtures/model');

const VERDICT_OF = new Map<string, Verdict>(MODEL_RULES.map((rule) => [rule.id, rule.verdict]));

function verdictOf(findings: readonly RawFinding[], error: unknown): Verdict {
  let verdict: Verdict = error === undefined ? 'clean' : 'unscannable';
  for (const finding of findings) verdict = worseVerdict(verdict, VERDICT_OF.get(finding.ruleId) ?? 'clean');
  return verdict;
}

const text = (findings: readonly RawFinding[]): string =>
  findings.map((f) => `${f.evidence ?? ''} ${f.message}`).join('\n');

/** The dangerous global each picklescan advisory file must name (picklescan tests/test_scanner.py, notes §2.1). */
const PICKLESCAN_EXPECTED: Readonly<Record<string, string>> = {
  'GHSA-3gf5-cxq9-w223.pkl': 'idlelib.pyshell.ModifiedInterpreter.runcode',
  'GHSA-3vg9-h568-4w9m.pkl': 'idlelib.debugobj.ObjectTreeItem.SetText',
  'GHSA-4675-36f9-wf6r.pkl': 'ctypes.CDLL',
  'GHSA-46h3-79wf-xr6c.pkl': 'os.system',
  'GHSA-49gj-c84q-6qm9.pkl': 'cProfile.run',
  'GHSA-4r9r-ch6f-vxmx.pkl': 'torch.utils.bottleneck.__main__.run_cprofile',
  'GHSA-4whj-rm5r-c2v8.pkl': 'torch.utils.bottleneck.__main__.run_autograd_prof',
  'GHSA-5qwp-399c-mjwf.pkl': 'trace.Trace.run',
  'GHSA-6vqj-c2q5-j97w.pkl': 'profile.Profile.runctx',
  'GHSA-6w4w-5w54-rjvr.pkl': 'idlelib.autocomplete.AutoComplete.get_entity',
  'GHSA-7cq8-mj8x-j263.pkl': 'idlelib.autocomplete.AutoComplete.fetch_completions',
  'GHSA-7wx9-6375-f5wh.pkl': 'profile.run',
  'GHSA-84r2-jw7c-4r5q.pkl': 'operator.methodcaller',
  'GHSA-86cj-95qr-2p4f.pkl': 'torch._dynamo.guards.GuardBuilder.get',
  'GHSA-8r4j-24qv-fmq9.pkl': 'idlelib.calltip.Calltip.fetch_tip',
  'GHSA-955r-x9j8-7rhh.pkl': '_operator.methodcaller',
  'GHSA-9w88-8rmg-7g2p.pkl': 'cProfile.runctx',
  'GHSA-9xph-j2h6-g47v.pkl': 'idlelib.calltip.get_entity',
  'GHSA-cj3c-v495-4xqh.pkl': 'code.InteractiveInterpreter.runcode',
  'GHSA-f4x7-rfwp-v3xw.pkl': 'torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression',
  'GHSA-f54q-57x4-jg88.pkl': 'lib2to3.pgen2.grammar.Grammar.loads',
  'GHSA-f745-w6jp-hpxx.pkl': 'torch.utils.collect_env.run',
  'GHSA-fqq6-7vqf-w3fg.pkl': 'doctest.debug_script',
  'GHSA-g344-hcph-8vgg.pkl': 'trace.Trace.runctx',
  'GHSA-g38g-8gr9-h9xp-aix-support.pkl': '_aix_support._read_cmd_output',
  'GHSA-g38g-8gr9-h9xp-imaplib.pkl': 'imaplib.IMAP4_stream',
  'GHSA-g38g-8gr9-h9xp-osx-support.pkl': '_osx_support._read_output',
  'GHSA-g38g-8gr9-h9xp-pyrepl-pager.pkl': '_pyrepl.pager.pipe_pager',
  'GHSA-g38g-8gr9-h9xp-test.pkl': 'test.support.script_helper.assert_python_ok',
  'GHSA-g38g-8gr9-h9xp-uuid.pkl': 'uuid._get_command_stdout',
  'GHSA-h3qp-7fh3-f8h4.pkl': 'torch.utils.data.datapipes.utils.decoder.basichandlers',
  'GHSA-j343-8v2j-ff7w.pkl': 'idlelib.pyshell.ModifiedInterpreter.runcommand',
  'GHSA-jgw4-cr84-mqxg.bin': 'asyncio.unix_events._UnixSubprocessTransport._start',
  'GHSA-jhph-76pp-mggw.pkl': 'torch.utils.collect_env.run_and_read_all',
  'GHSA-m273-6v24-x4m4.pkl': 'distutils.file_util.write_file',
  'GHSA-m869-42cg-3xwr.pkl': 'idlelib.run.Executive.runcode',
  'GHSA-p9w7-82w4-7q8m.pkl': 'lib2to3.pgen2.pgen.ParserGenerator.make_label',
  'GHSA-q77w-mwjj-7mqx.pkl': 'asyncio.unix_events._UnixSubprocessTransport._start',
  'GHSA-r8g5-cgf2-4m4m.pkl': 'numpy.f2py.crackfortran.getlincoef',
  'GHSA-vqmv-47xg-9wpr.pkl': 'pty.spawn',
  'GHSA-vr7h-p6mm-wpmh.pkl': 'torch.jit.unsupported_tensor_ops.execWrapper',
  'GHSA-vv6j-3g6g-2pvj.pkl': 'torch.utils._config_module.ConfigModule.load_config',
  'GHSA-vvpj-8cmc-gx39.pkl': 'pkgutil.resolve_name',
  'GHSA-x696-vm39-cp64.pkl': 'profile.Profile.run',
  'GHSA-xp4f-hrf8-rxw7.pkl': 'ensurepip._run_pip',
  'cloudpickle_codeinjection.pkl': 'cloudpickle.cloudpickle._make_function',
  'io_FileIO.pkl': '_io.FileIO',
  'keyerror-exploit.pkl': 'os.system',
  'logging_FileHandler.pkl': 'logging.FileHandler',
  'malicious21.pkl': 'timeit.timeit',
  'malicious22.pkl': 'numpy.testing._private.utils.runstring',
  'malicious23.pkl': 'os.system',
  'type-confusion-exploit.pkl': 'os.system',
  'types_CodeType.pkl': 'types.CodeType',
  'urllib_request_urlopen.pkl': 'urllib.request.urlopen',
};

describe.skipIf(!existsSync(picklescanData))('picklescan advisory files (shared/corpora)', () => {
  // Plain pickles (.pkl, and the CVE-2025-10155 pickle named .bin); .npy/.npz/.zip are container formats.
  const files = existsSync(picklescanData)
    ? readdirSync(picklescanData).filter((name) => name.endsWith('.pkl') || name.endsWith('.bin'))
    : [];

  it('covers every plain pickle of the corpus', () => {
    expect(files.sort()).toEqual(Object.keys(PICKLESCAN_EXPECTED).sort());
  });

  it.each(files)('%s is malicious and names the dangerous global', async (name) => {
    const { findings, error } = await scanBytes(readFileSync(path.join(picklescanData, name)));
    expect(verdictOf(findings, undefined)).toBe('malicious');
    expect(text(findings)).toContain(PICKLESCAN_EXPECTED[name]);
    // Only the memo exploit fails to parse (the real unpickler fails there too, after running the payload).
    if (name === 'keyerror-exploit.pkl') expect(error).toMatchObject({ code: 'MEMO_MISSING' });
    else expect(error).toBeUndefined();
  });
});

interface ManifestEntry {
  readonly path: string;
  readonly verdict: Verdict;
  readonly callables: readonly string[];
  readonly alt_verdicts?: readonly Verdict[];
}

/**
 * Where the fixture manifest and the pickle scanner's contract differ on purpose: the issue requires bytes
 * after the last STOP that are not a pickle to end as a ParseError (unscannable), which ranks above the
 * manifest's 'suspicious'.
 */
const CONTRACT_OVERRIDES: Readonly<Record<string, Verdict>> = {
  'adversarial/stream/bytes_after_stop_not_pickle.pkl': 'unscannable',
};

const manifestPath = path.join(fixtures, 'manifest.json');
const manifest: readonly ManifestEntry[] = existsSync(manifestPath)
  ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestEntry[])
  : [];
/** Plain pickle streams (the container formats are scanned by the container layer). */
const pickleEntries = manifest.filter((entry) => {
  if (!/\.(pkl|joblib|bin)$/.test(entry.path)) return false;
  const file = path.join(fixtures, entry.path);
  return existsSync(file) && looksLikePickle(readFileSync(file).subarray(0, 64));
});

describe.skipIf(pickleEntries.length === 0)('fixtures in test/fixtures/model (plain pickle streams)', () => {
  it.each(pickleEntries.map((entry) => [entry.path, entry] as const))('%s', async (_name, entry) => {
    const { findings, error } = await scanBytes(readFileSync(path.join(fixtures, entry.path)));
    const verdict = verdictOf(findings, error);
    const expected = CONTRACT_OVERRIDES[entry.path] ?? entry.verdict;
    expect([expected, ...(entry.alt_verdicts ?? [])]).toContain(verdict);
    expect(VERDICTS).toContain(verdict);
    if (entry.verdict === 'malicious') {
      const named = entry.callables.filter((callable) => text(findings).includes(callable));
      expect(named.length, `one of ${entry.callables.join(', ')} is named`).toBeGreaterThan(0);
    }
  });
});
