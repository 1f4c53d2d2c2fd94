import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CallSite, type CodeRule } from '../call-site.js';
import { COMMIT_SHA } from './mdl.js';

export const PY_MDL_002 = defineRule({
  id: 'PY-MDL-002',
  domain: 'code',
  title: 'torch.hub runs hubconf.py from a GitHub repository',
  description:
    '`torch.hub.load`, `torch.hub.list` and `torch.hub.help` download a GitHub repository and import its ' +
    '`hubconf.py`. Whoever can push to that repository runs code on the machine. `trust_repo=True` skips the ' +
    'prompt, and a reference without a commit (`owner/repo` or `owner/repo:main`) runs whatever is pushed next.',
  fix: 'Load the model from a package you install and pin (e.g. `torchvision.models.resnet50(weights=...)`), or vendor the repository and call `torch.hub.load(local_dir, model, source="local")`. If you must load from GitHub, pin the commit you reviewed: `torch.hub.load("owner/repo:<40-hex commit>", model)`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-494', 'CWE-829'],
  owasp: ['ML06:2023'],
  aliases: ['PY-SUP-004'],
});

/** `owner/repo:<commit>`: the only GitHub reference torch.hub cannot resolve to newer code. */
const PINNED_HUB_REPO = /^[^/:]+\/[^/:]+:([0-9a-f]{40})$/;

export const torchHubCheck: CodeRule = {
  rule: PY_MDL_002,
  calls: ['torch.hub.load', 'torch.hub.list', 'torch.hub.help'],
  check(call) {
    const source = call.keywords.get('source')?.constant;
    // source="local" imports hubconf.py from a directory of the project: nothing is downloaded.
    if (source?.kind === 'string' && source.value === 'local') return undefined;
    const trust = call.keywords.get('trust_repo')?.constant;
    const trusted = trust?.kind === 'bool' && trust.value;
    const prompt = trusted ? ' with trust_repo=True' : '';
    const repo = argumentOf(call, call.name === 'torch.hub.load' ? 'repo_or_dir' : 'github', 0)?.constant;
    if (repo?.kind !== 'string')
      return {
        message: `${call.name}${prompt} runs hubconf.py from a repository not known statically`,
        severity: trusted ? 'high' : 'medium',
        confidence: 'low',
      };
    if (PINNED_HUB_REPO.test(repo.value))
      return {
        message: `${call.name} runs hubconf.py from ${repo.value} (pinned to a commit)`,
        severity: 'low',
      };
    if (trusted)
      return {
        message: `${call.name} with trust_repo=True runs hubconf.py from ${repo.value} without pinning a commit`,
      };
    return {
      message: `${call.name} runs hubconf.py from ${repo.value} without pinning a commit`,
      severity: 'medium',
    };
  },
};

export const PY_MDL_007 = defineRule({
  id: 'PY-MDL-007',
  domain: 'code',
  title: 'Hugging Face Hub download without a pinned commit',
  description:
    '`from_pretrained`, `hf_hub_download`, `snapshot_download` and `datasets.load_dataset` fetch whatever the ' +
    'repository holds at download time unless `revision=` names a commit. A branch or tag (`main`, `v1.0`) can ' +
    'be moved by anyone who can push to the repository, replacing the weights, tokenizer or dataset you tested.',
  fix: 'Pass `revision="<40-hex commit sha>"` naming the commit you reviewed, or download once and load from a local path (`local_files_only=True`).',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-494'],
  owasp: ['ML06:2023'],
  bandit: ['B615'],
  aliases: ['PY-SUP-003'],
});

/** datasets' packaged builders: `load_dataset("csv", data_files=...)` reads local files, not a Hub repository. */
const PACKAGED_BUILDERS = new Set([
  'arrow',
  'audiofolder',
  'csv',
  'imagefolder',
  'json',
  'pandas',
  'parquet',
  'sql',
  'text',
  'videofolder',
  'webdataset',
  'xml',
]);

/**
 * A literal that names a local file or folder rather than a Hub repository. Hub ids are `name` (legacy
 * canonical repositories such as `gpt2`) or `org/name`, so a bare name counts as a Hub id; a path is
 * recognised by its prefix, a backslash, or more than one `/`.
 */
function isLocalPath(value: string): boolean {
  return (
    /^(\/|\.{1,2}(\/|\\|$)|~|[A-Za-z]:[\\/]|file:)/.test(value) ||
    value.includes('\\') ||
    value.split('/').length > 2
  );
}

function repoIdKeyword(name: string): string {
  if (name.endsWith('.from_pretrained')) return 'pretrained_model_name_or_path';
  if (name === 'datasets.load_dataset') return 'path';
  return 'repo_id';
}

function downloadsFromHub(call: CallSite): boolean | undefined {
  const repo = argumentOf(call, repoIdKeyword(call.name), 0)?.constant;
  if (repo?.kind !== 'string') return undefined;
  if (isLocalPath(repo.value)) return false;
  if (
    call.name === 'datasets.load_dataset' &&
    (PACKAGED_BUILDERS.has(repo.value) || repo.value.endsWith('.py'))
  )
    return false;
  return true;
}

export const hubRevisionCheck: CodeRule = {
  rule: PY_MDL_007,
  calls: [
    'transformers.*.from_pretrained',
    'diffusers.*.from_pretrained',
    'huggingface_hub.hf_hub_download',
    'huggingface_hub.*.hf_hub_download',
    'huggingface_hub.snapshot_download',
    'huggingface_hub.*.snapshot_download',
    'datasets.load_dataset',
  ],
  check(call) {
    const offline = call.keywords.get('local_files_only')?.constant;
    if (offline?.kind === 'bool' && offline.value) return undefined;
    const hub = downloadsFromHub(call);
    if (hub === false) return undefined;
    const revision = call.keywords.get('revision');
    if (revision === undefined) {
      // **kwargs may carry revision= or local_files_only=.
      if (call.hasUnpacking) return undefined;
      return hub
        ? {
            message: `${call.name} downloads from the Hub without revision=, getting whatever main holds`,
            confidence: 'high',
          }
        : {
            message: `${call.name} without revision= downloads whatever main holds if its argument is a Hub id`,
            confidence: 'low',
          };
    }
    const value = revision.constant;
    // A revision computed at run time (a config value, a CLI flag) may well be a commit: not reported.
    if (value?.kind !== 'string' || COMMIT_SHA.test(value.value)) return undefined;
    return {
      message: `${call.name} with revision="${value.value}", a branch or tag that can be moved to other content`,
      confidence: hub ? 'high' : 'low',
    };
  },
};
