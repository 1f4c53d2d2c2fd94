import { defineRule } from '../../../core/rule.js';
import { argumentOf, unlessTrue, type CodeRule } from '../call-site.js';

export const PY_MDL_001 = defineRule({
  id: 'PY-MDL-001',
  domain: 'code',
  title: 'torch.load without weights_only=True',
  description:
    '`torch.load` unpickles the checkpoint. With `weights_only=False` any callable the file names runs; ' +
    'without the argument the default is the unsafe full unpickler on torch before 2.6 (and still wherever ' +
    '`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` is set).',
  fix: 'Pass `weights_only=True` (add classes you trust with `torch.serialization.add_safe_globals`), or store weights as safetensors and load them with `safetensors.torch.load_file`.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
  bandit: ['B614'],
});

export const torchLoadCheck: CodeRule = {
  rule: PY_MDL_001,
  calls: ['torch.load', 'torch.serialization.load'],
  check(call) {
    const weightsOnly = argumentOf(call, 'weights_only');
    if (weightsOnly === undefined) {
      // **kwargs may carry weights_only; the dependency scanner will tell the torch version later.
      if (call.hasUnpacking) return undefined;
      return {
        message: `${call.name} without weights_only unpickles arbitrary objects on torch before 2.6`,
        severity: 'medium',
        confidence: 'low',
      };
    }
    return unlessTrue(
      call,
      'weights_only',
      weightsOnly,
      `${call.name} with weights_only=${weightsOnly.node.text} runs any callable the checkpoint names`,
    );
  },
};

export const PY_MDL_006 = defineRule({
  id: 'PY-MDL-006',
  domain: 'code',
  title: 'trust_remote_code=True runs code from the model repository',
  description:
    '`trust_remote_code=True` makes transformers (`from_pretrained`, `pipeline`, `AutoConfig`), `datasets.load_dataset`, ' +
    'diffusers and `SentenceTransformer` import and run Python files from the Hugging Face repository. Whoever ' +
    'can push to that repository, now or later, runs code on the machine that loads it.',
  fix: 'Remove `trust_remote_code=True` and use a model class that transformers ships. If remote code is required, review it and pin the exact revision you reviewed with `revision="<commit sha>"`, or vendor the code.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-94', 'CWE-829'],
  owasp: ['ML06:2023'],
  aliases: ['PY-SUP-002'],
});

/** A full git commit id: the only revision a repository owner cannot move. */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;

export const trustRemoteCodeCheck: CodeRule = {
  rule: PY_MDL_006,
  calls: [
    'transformers.*.from_pretrained',
    'transformers.*.from_config',
    'transformers.pipeline',
    'diffusers.*.from_pretrained',
    'datasets.load_dataset',
    'sentence_transformers.SentenceTransformer',
    'sentence_transformers.*.SentenceTransformer',
    'sentence_transformers.CrossEncoder',
  ],
  check(call) {
    const trust = call.keywords.get('trust_remote_code');
    if (trust?.constant?.kind !== 'bool' || !trust.constant.value) return undefined;
    const revision = call.keywords.get('revision')?.constant;
    // A revision pinned to a commit runs the code someone reviewed, not whatever is pushed next.
    if (revision?.kind === 'string' && COMMIT_SHA.test(revision.value))
      return {
        message: `${call.name} with trust_remote_code=True runs repository code (pinned to a commit)`,
        severity: 'medium',
      };
    return { message: `${call.name} with trust_remote_code=True runs Python code from the model repository` };
  },
};
