import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../src/core/registry.js';
import { activeFindings } from '../../src/scanners/code/test-support.js';

/** bandit's own examples, shared between checkouts; never copied into the repository. */
const CORPUS = resolve(import.meta.dirname, '../../../shared/corpora/bandit-examples');
/** What bandit 1.6.2 (default profile) reports on the corpus, written by generate_bandit_expectations.py. */
const EXPECTATIONS = resolve(import.meta.dirname, 'bandit-1.6.2.json');

interface BanditExpectation {
  filename: string;
  test_id: string;
  line_number: number;
}

/**
 * bandit 1.7 moved hashlib's MD5/SHA-1 from the B303 blacklist to B324; mlsec's rules carry the newer ids, so a
 * 1.6.2 B303 finding is also covered by a rule mapped to B324.
 */
const LATER_BANDIT_IDS: ReadonlyMap<string, readonly string[]> = new Map([['B303', ['B324']]]);

/**
 * bandit ids that no mlsec rule maps, on purpose: they flag an `import`, not a use. bandit's own docs call them
 * audit checks, and mlsec reports the calls that parse XML (PY-DES-012), unpickle (PY-DES-001) or start
 * processes (PY-PROC-001/002/004/005) instead, so that a module that only writes XML, or pickles its own cache,
 * is not flagged for importing it. The test fails when a rule starts mapping one, so that it moves into the check.
 */
const NOT_MAPPED = {
  reason: 'import-only audits; mlsec reports the calls',
  ids: ['B403', 'B404', 'B405', 'B406', 'B407', 'B408', 'B409'],
} as const;

const LITERAL_CODE =
  'the code is a string literal in the source: the author chose what runs, nobody else can';
const FIRST_LINE =
  'mlsec reports a multi-line call on its first line; bandit 1.6.2 on the shell= keyword line';
const UNIMPORTED = 'the module is never imported in the file, so the name does not resolve to subprocess';
const SHELL_UNKNOWN =
  'shell= is not a bool, number or string constant: whether a shell runs is not known statically';
const POSITIONAL_LOADER =
  'a safe Loader passed positionally is safe; bandit 1.6.2 only looks at the Loader= keyword';
const UNKNOWN_CALLEE =
  'bandit flags any call with a protocol keyword; mlsec only calls it resolves to ssl/pyOpenSSL';
const NOT_A_MODULE =
  '`pyOpenSSL` is the distribution name, not a module: the import fails, the real module is OpenSSL';
const LITERAL_SQL =
  'every piece of the SQL is a literal bound once in the file: nothing outside the source reaches the query';
const LITERAL_MARKUP =
  'the markup is a literal, or built only from literals: bandit flags every call, mlsec only text from elsewhere';
const NOT_A_SECRET =
  'the random value goes to a name that is not a secret (`bad`); ML code samples with random all the time';

/** `file:line:bandit id` for each bandit finding mlsec deliberately does not reproduce, with why. */
const DIFFERENCES: ReadonlyMap<string, string> = new Map([
  ['django_sql_injection_extra.py:15:B610', LITERAL_SQL],
  ['django_sql_injection_extra.py:22:B610', LITERAL_SQL],
  ['django_sql_injection_extra.py:29:B610', LITERAL_SQL],
  ['django_sql_injection_raw.py:8:B611', LITERAL_SQL],
  ['django_sql_injection_raw.py:11:B611', LITERAL_SQL],
  ['ftplib.py:2:B402', 'only FTP_TLS is imported, and FTP over TLS is not cleartext'],
  ['ftplib.py:15:B321', 'FTP_TLS is encrypted, and the name it is called on is never imported'],
  [
    'jinja2_templating.py:23:B701',
    'jinja2.select_autoescape(...) turns escaping on; bandit 1.6.2 only recognises the bare name',
  ],
  ['mark_safe_insecure.py:149:B308', LITERAL_MARKUP],
  ['mark_safe_insecure.py:149:B703', LITERAL_MARKUP],
  ['mark_safe_secure.py:4:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:11:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:14:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:17:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:29:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:33:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:35:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:36:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:37:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:41:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:45:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:47:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:48:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:54:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:62:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:65:B308', LITERAL_MARKUP],
  ['mark_safe_secure.py:75:B308', LITERAL_MARKUP],
  [
    'mktemp.py:8:B306',
    '`import tempfile.mktemp as mt` binds only mt, so the later tempfile.mktemp names nothing imported',
  ],
  ['random_module.py:6:B311', NOT_A_SECRET],
  ['random_module.py:7:B311', NOT_A_SECRET],
  ['random_module.py:8:B311', NOT_A_SECRET],
  ['random_module.py:9:B311', NOT_A_SECRET],
  ['random_module.py:11:B311', NOT_A_SECRET],
  ['random_module.py:12:B311', NOT_A_SECRET],
  ['random_module.py:15:B311', NOT_A_SECRET],
  ['skip.py:1:B603', UNIMPORTED],
  ['skip.py:2:B603', UNIMPORTED],
  ['skip.py:3:B603', UNIMPORTED],
  ['skip.py:5:B603', UNIMPORTED],
  ['skip.py:7:B603', UNIMPORTED],
  ['crypto-md5.py:22:B303', 'hashlib.sha1(usedforsecurity=False) declares a non-security use (Python 3.9+)'],
  ['eval.py:3:B307', LITERAL_CODE],
  ['eval.py:4:B307', LITERAL_CODE],
  ['exec.py:1:B102', LITERAL_CODE],
  ['multiline_statement.py:5:B602', FIRST_LINE],
  ['multiline_statement.py:11:B602', FIRST_LINE],
  ['new_candidates-all.py:7:B602', UNIMPORTED],
  ['new_candidates-some.py:7:B602', UNIMPORTED],
  ['ssl-insecure-version.py:5:B502', NOT_A_MODULE],
  ['ssl-insecure-version.py:6:B502', NOT_A_MODULE],
  ['ssl-insecure-version.py:8:B502', UNKNOWN_CALLEE],
  ['ssl-insecure-version.py:9:B502', UNKNOWN_CALLEE],
  ['ssl-insecure-version.py:10:B502', UNKNOWN_CALLEE],
  ['ssl-insecure-version.py:15:B502', NOT_A_MODULE],
  ['ssl-insecure-version.py:16:B502', NOT_A_MODULE],
  ['ssl-insecure-version.py:18:B502', UNKNOWN_CALLEE],
  ['ssl-insecure-version.py:19:B502', UNKNOWN_CALLEE],
  ['ssl-insecure-version.py:20:B502', UNKNOWN_CALLEE],
  ['ssl-insecure-version.py:21:B502', UNKNOWN_CALLEE],
  ['subprocess_shell.py:51:B602', SHELL_UNKNOWN],
  ['subprocess_shell.py:52:B602', SHELL_UNKNOWN],
  ['subprocess_shell.py:53:B602', SHELL_UNKNOWN],
  ['subprocess_shell.py:54:B602', SHELL_UNKNOWN],
  ['yaml_load.py:25:B506', POSITIONAL_LOADER],
  ['yaml_load.py:26:B506', POSITIONAL_LOADER],
  ['yaml_load.py:27:B506', POSITIONAL_LOADER],
  ['yaml_load.py:28:B506', POSITIONAL_LOADER],
]);

/** mlsec rule ids claiming each bandit test id through their `bandit` metadata. */
function rulesByBanditId(): Map<string, string[]> {
  const rules = new Map<string, string[]>();
  for (const rule of ALL_RULES) {
    for (const banditId of rule.bandit ?? []) rules.set(banditId, [...(rules.get(banditId) ?? []), rule.id]);
  }
  return rules;
}

function keyOf(expectation: BanditExpectation): string {
  return `${expectation.filename}:${expectation.line_number}:${expectation.test_id}`;
}

describe('bandit 1.6.2 parity on bandit examples', () => {
  const rulesFor = rulesByBanditId();
  const isMapped = (banditId: string): boolean => rulesFor.has(banditId);
  let expectations: BanditExpectation[];
  /** `rule@line` of mlsec's active findings, per example file. */
  const findingsByFile = new Map<string, Set<string>>();

  beforeAll(async () => {
    expectations = JSON.parse(await readFile(EXPECTATIONS, 'utf8')) as BanditExpectation[];
    for (const filename of new Set(expectations.map((expectation) => expectation.filename))) {
      const source = await readFile(join(CORPUS, filename), 'utf8');
      findingsByFile.set(filename, new Set(await activeFindings(source, filename, 'all')));
    }
  });

  function covered(expectation: BanditExpectation): boolean {
    const findings = findingsByFile.get(expectation.filename) ?? new Set<string>();
    const banditIds = [expectation.test_id, ...(LATER_BANDIT_IDS.get(expectation.test_id) ?? [])];
    return banditIds
      .flatMap((banditId) => rulesFor.get(banditId) ?? [])
      .some((ruleId) => findings.has(`${ruleId}@${expectation.line_number}`));
  }

  it('reports every mapped bandit finding on the same line, bar the listed differences', () => {
    const mapped = expectations.filter((expectation) => isMapped(expectation.test_id));
    const missed = mapped.filter((expectation) => !covered(expectation)).map(keyOf);
    expect(missed.filter((key) => !DIFFERENCES.has(key))).toEqual([]);
    // A listed difference that mlsec now covers is stale: drop it so the list stays true.
    expect([...DIFFERENCES.keys()].filter((key) => !missed.includes(key))).toEqual([]);

    const perId = new Map<string, { expected: number; covered: number }>();
    for (const expectation of expectations) {
      const counts = perId.get(expectation.test_id) ?? { expected: 0, covered: 0 };
      counts.expected++;
      if (covered(expectation)) counts.covered++;
      perId.set(expectation.test_id, counts);
    }
    const coveredCount = mapped.length - missed.length;
    const lines = [...perId]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([id, counts]) =>
          `  ${id} ${counts.covered}/${counts.expected}${isMapped(id) ? '' : ' (not mapped)'}`,
      );
    console.log(
      [
        `bandit 1.6.2 parity: ${coveredCount}/${mapped.length} mapped findings covered, ` +
          `${coveredCount}/${expectations.length} of all findings`,
        ...lines,
      ].join('\n'),
    );
  });

  it(`lists every bandit id without an mlsec rule as not implemented yet (${NOT_MAPPED.reason})`, () => {
    const unmapped = [...new Set(expectations.map((expectation) => expectation.test_id))]
      .filter((banditId) => !isMapped(banditId))
      .sort();
    expect(unmapped).toEqual([...NOT_MAPPED.ids].sort());
  });
});
