import { defineRule } from '../../../core/rule.js';
import { argumentOf, type CallSite, type CodeRule } from '../call-site.js';

export const PY_SEC_007 = defineRule({
  id: 'PY-SEC-007',
  domain: 'code',
  title: 'model or data set pushed to a public Hub repository',
  description:
    '`push_to_hub(..., private=False)`, `create_repo(..., private=False)` (also `HfApi().create_repo`) and ' +
    '`TrainingArguments(push_to_hub=True, hub_private_repo=False)` publish weights, checkpoints, tokenizers or ' +
    'data sets to a public repository. Models memorise their training data and checkpoints often carry it (or ' +
    'the data set itself is uploaded): a public push of a model trained on private, licensed or personal data ' +
    'discloses it. Reported at low severity, as an explicit choice to review.',
  fix: 'Push privately (`private=True`, `hub_private_repo=True`) and make the repository public only after a review of what it holds (model card, data provenance, PII scrubbing), or push under an organisation with gated access.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-200'],
  owasp: [],
});

function isFalse(call: CallSite, keyword: string): boolean {
  const value = argumentOf(call, keyword)?.constant;
  return value?.kind === 'bool' && !value.value;
}

export const publicPushCheck: CodeRule = {
  rule: PY_SEC_007,
  calls: [
    '*.push_to_hub',
    '?.push_to_hub',
    'huggingface_hub.create_repo',
    'huggingface_hub.hf_api.create_repo',
    'huggingface_hub.HfApi().create_repo',
    '?.create_repo',
  ],
  check(call) {
    if (!isFalse(call, 'private')) return undefined;
    return { message: `${call.name} with private=False publishes the repository` };
  },
};

export const publicTrainingPushCheck: CodeRule = {
  rule: PY_SEC_007,
  calls: [
    'transformers.TrainingArguments',
    'transformers.Seq2SeqTrainingArguments',
    'transformers.training_args.TrainingArguments',
    'trl.SFTConfig',
    'trl.DPOConfig',
  ],
  check(call) {
    const push = argumentOf(call, 'push_to_hub')?.constant;
    if (push?.kind !== 'bool' || !push.value || !isFalse(call, 'hub_private_repo')) return undefined;
    return {
      message: `${call.name} with push_to_hub=True and hub_private_repo=False publishes every checkpoint`,
    };
  },
};
