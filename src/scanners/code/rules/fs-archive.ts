import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CallSite, type CodeMatch, type CodeRule } from '../call-site.js';
import { UNKNOWN_OBJECT } from '../resolve.js';

export const PY_FS_004 = defineRule({
  id: 'PY-FS-004',
  domain: 'code',
  title: 'tar archive extracted without a safety filter',
  description:
    '`TarFile.extractall` / `extract` and `shutil.unpack_archive` on a tar archive write each member where its ' +
    'name says, including `../../.bashrc`, absolute paths, symlinks and hard links pointing outside the target, ' +
    'device files and setuid bits, unless `filter="data"` (Python 3.12+, and backported to 3.8.17+, 3.9.17+, ' +
    '3.10.12+, 3.11.4+) is passed. Model and dataset tarballs downloaded from hubs and buckets are exactly the ' +
    'archives an attacker can shape. Python 3.14 makes "data" the default; earlier versions trust the archive.',
  fix: 'Pass `filter="data"` (or `filter="tar"` when permissions must be kept): `tar.extractall(path, filter="data")`, `shutil.unpack_archive(archive, target, filter="data")`; on older Pythons validate each member (`os.path.realpath` of the destination stays inside the target, no links, no devices) and pass the vetted list as `members=`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-22'],
  owasp: ['ML06:2023'],
  bandit: ['B202'],
  ruff: ['S202'],
});

/** Filters that refuse links out of the target, absolute names and `..`, as strings. */
const SAFE_FILTERS = new Set(['data', 'tar']);

/**
 * What is wrong with how a call filters archive members, for the message; undefined when it filters safely:
 * `filter="data"`/`"tar"`, `tarfile.data_filter`, or a callable of the project's own (its member validation).
 */
function missingFilter(call: CallSite): string | undefined {
  const filter = argumentOf(call, 'filter');
  if (filter === undefined) return 'without filter="data"';
  const constant = filter.constant;
  const unsafe =
    constant?.kind === 'none' ||
    (constant?.kind === 'string' && !SAFE_FILTERS.has(constant.value)) ||
    (constant?.kind === 'reference' && constant.names.includes('tarfile.fully_trusted_filter'));
  return unsafe ? `with filter=${filter.node.text}` : undefined;
}

const TAR_OBJECTS = [
  'tarfile.open()',
  'tarfile.TarFile()',
  'tarfile.TarFile.open()',
  'tarfile.TarFile.taropen()',
];
const EXTRACT_METHODS = ['extractall', 'extract'];

/** Archive formats of `shutil.unpack_archive` that are zip files: `zipfile` drops `..` and absolute names itself. */
const ZIP_NAME = /\.zip$/i;
const TAR_NAME = /\.(?:tar|tgz|tbz2?|txz|tar\.(?:gz|bz2|xz|zst))$/i;

function unpackArchive(call: CallSite): CodeMatch | undefined {
  const format = argumentOf(call, 'format', 2)?.constant;
  const name = argumentOf(call, 'filename', 0)?.constant;
  if (format?.kind === 'string' && format.value === 'zip') return undefined;
  if (format === undefined && name?.kind === 'string' && ZIP_NAME.test(name.value)) return undefined;
  const what = missingFilter(call);
  if (what === undefined) return undefined;
  const isTar =
    (format?.kind === 'string' && format.value.endsWith('tar')) ||
    (name?.kind === 'string' && TAR_NAME.test(name.value));
  if (isTar)
    return { message: `${call.name} of a tar archive ${what} writes members outside the target directory` };
  return {
    message: `${call.name} ${what}: a tar archive's members can be written outside the target directory`,
    severity: 'medium',
    confidence: 'low',
  };
}

export const tarExtractCheck: CodeRule = {
  rule: PY_FS_004,
  calls: [
    ...TAR_OBJECTS.flatMap((object) => EXTRACT_METHODS.map((method) => `${object}.${method}`)),
    `${UNKNOWN_OBJECT}.extractall`,
    'shutil.unpack_archive',
  ],
  check(call) {
    if (call.name === 'shutil.unpack_archive') return unpackArchive(call);
    const what = missingFilter(call);
    if (what === undefined || call.hasUnpacking) return undefined;
    // Receivers of unknown type may be zip files, whose extractall already drops `..` and absolute names.
    const unknown = call.name.startsWith(`${UNKNOWN_OBJECT}.`);
    const members = call.name.endsWith('.extractall') ? argumentOf(call, 'members', 1) : undefined;
    if (members !== undefined) {
      // bandit's grading: a function call may be a member validator; anything else is not known to be one.
      const validated = members.node.type === 'call';
      return {
        message: `${call.name} ${what} and members=${members.node.text}: check that it drops links, absolute and ".." names`,
        confidence: validated || unknown ? 'low' : 'medium',
        ...(validated && { severity: 'low' as const }),
      };
    }
    if (unknown)
      return {
        message: `${call.name} ${what} on an object of unknown type: if it is a tar archive, members can be written outside the target`,
        confidence: 'low',
      };
    return {
      message: `${call.name} ${what} writes archive members wherever their names point (../, /, links)`,
    };
  },
};
