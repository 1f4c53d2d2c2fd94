import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import type { Argument, CallSite, CodeMatch, CodeRule, Site } from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import { findSecrets, isPlaceholderValue, redactAll } from './sec-formats.js';

export const PY_SEC_005 = defineRule({
  id: 'PY-SEC-005',
  domain: 'code',
  title: 'literal credential passed to an ML SDK login or client',
  description:
    'A token or key written into the code that logs in to or configures an ML service: `huggingface_hub.login(' +
    'token="…")`, `token=` on Hub downloads and uploads, `wandb.login(key="…")`, `openai.api_key = "…"`, ' +
    '`OpenAI(api_key="…")`, `Anthropic(api_key="…")`, LangChain chat models, boto3 clients with ' +
    '`aws_secret_access_key`, an MLflow tracking URI with `user:password@`, or `os.environ["HF_TOKEN"] = "…"`. ' +
    'The credential ships with every copy of the script or notebook, its git history and its rendered outputs; ' +
    "whoever reads it can push to the account's models and data sets or spend its API quota.",
  fix: 'Read credentials at run time instead: leave the argument out (the SDKs read `HF_TOKEN`, `WANDB_API_KEY`, `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `AWS_*` from the environment), use `huggingface_hub.login()` / `notebook_login()` interactively, `getpass.getpass()`, or a secret manager (Colab `userdata.get("HF_TOKEN")`, Kaggle secrets). Revoke the exposed key and rotate it.',
  severity: 'high',
  confidence: 'high',
  verdict: 'suspicious',
  cwe: ['CWE-798'],
  owasp: [],
});

/** Where each SDK call takes its credential: keywords, and the position when it can be passed positionally. */
interface CredentialParameter {
  readonly calls: readonly string[];
  readonly keywords: readonly string[];
  readonly position?: number;
}

const HUB_TOKEN = ['token', 'use_auth_token'];

const CREDENTIAL_PARAMETERS: readonly CredentialParameter[] = [
  {
    calls: ['huggingface_hub.login', 'huggingface_hub._login.login', 'huggingface_hub.HfFolder.save_token'],
    keywords: ['token'],
    position: 0,
  },
  {
    calls: [
      'huggingface_hub.HfApi',
      'huggingface_hub.hf_api.HfApi',
      'huggingface_hub.hf_hub_download',
      'huggingface_hub.snapshot_download',
      'huggingface_hub.upload_file',
      'huggingface_hub.upload_folder',
      'huggingface_hub.create_repo',
      'huggingface_hub.InferenceClient',
      'datasets.load_dataset',
      'transformers.pipeline',
      'transformers.*.from_pretrained',
      'diffusers.*.from_pretrained',
      'sentence_transformers.SentenceTransformer',
      '?.push_to_hub',
    ],
    keywords: HUB_TOKEN,
  },
  { calls: ['wandb.login'], keywords: ['key'], position: 1 },
  {
    calls: ['openai.OpenAI', 'openai.AsyncOpenAI', 'openai.AzureOpenAI', 'openai.AsyncAzureOpenAI'],
    keywords: ['api_key'],
  },
  { calls: ['anthropic.Anthropic', 'anthropic.AsyncAnthropic'], keywords: ['api_key'] },
  {
    calls: [
      'langchain_openai.ChatOpenAI',
      'langchain_openai.OpenAIEmbeddings',
      'langchain.chat_models.ChatOpenAI',
      'langchain_community.chat_models.ChatOpenAI',
    ],
    keywords: ['api_key', 'openai_api_key'],
  },
  { calls: ['langchain_anthropic.ChatAnthropic'], keywords: ['api_key', 'anthropic_api_key'] },
  {
    calls: ['boto3.client', 'boto3.resource', 'boto3.Session', 'boto3.session.Session'],
    keywords: ['aws_secret_access_key', 'aws_session_token'],
  },
  { calls: ['os.environ.setdefault', 'os.putenv'], keywords: [], position: 1 },
];

const MLFLOW_URI_CALLS = [
  'mlflow.set_tracking_uri',
  'mlflow.set_registry_uri',
  'mlflow.MlflowClient',
  'mlflow.tracking.MlflowClient',
];

/** `scheme://user:password@host`: the password part, for URIs that carry a login. */
const URI_PASSWORD = /^[a-z][\w+.-]*:\/\/[^/@:\s]+:([^/@\s]+)@/i;

/** Environment variables the ML SDKs read credentials from, and the usual spellings of others. */
const CREDENTIAL_VARIABLE = /(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|SECRET_KEY|ACCESS_KEY|PASSWORD|PASSWD)$/;

/** The value of an argument that is a literal credential: a string (or a name bound once to one), not a placeholder. */
function literalCredential(argument: Argument | undefined): string | undefined {
  const value = argument?.constant;
  if (value?.kind !== 'string' || isPlaceholderValue(value.value)) return undefined;
  // A key of a known format is reported by PY-SEC-004 wherever it is written; one report is enough.
  return findSecrets(value.value).length > 0 ? undefined : value.value;
}

function credentialMatch(node: Node, what: string, secret: string): CodeMatch {
  return {
    message: `${what}: a credential written in the code`,
    evidence: redactAll(node.text.split('\n')[0] ?? '', [secret]),
  };
}

/** `os.putenv("HF_TOKEN", …)`, `os.environ.setdefault("OPENAI_API_KEY", …)`: the variable holds a credential. */
function setsCredentialVariable(call: CallSite): boolean {
  const name = call.positional[0]?.constant;
  return name?.kind === 'string' && CREDENTIAL_VARIABLE.test(name.value);
}

function parameterCheck(parameter: CredentialParameter): CodeRule {
  return {
    rule: PY_SEC_005,
    calls: parameter.calls,
    check(call) {
      for (const keyword of parameter.keywords) {
        const argument = call.keywords.get(keyword);
        const secret = literalCredential(argument);
        // The evidence is the argument (`api_key="sk-…"`), which a call over several lines does not start with.
        if (secret !== undefined)
          return credentialMatch(argument?.node.parent ?? call.node, `${call.name}(${keyword}=…)`, secret);
      }
      if (parameter.position === undefined) return undefined;
      const secret = literalCredential(call.positional[parameter.position]);
      if (secret === undefined) return undefined;
      // os.putenv and environ.setdefault set any variable: only credential variables are secrets.
      if (call.name.startsWith('os.') && !setsCredentialVariable(call)) return undefined;
      return credentialMatch(call.node, `${call.name} given a literal credential`, secret);
    },
  };
}

const mlflowUriCheck: CodeRule = {
  rule: PY_SEC_005,
  calls: MLFLOW_URI_CALLS,
  check(call) {
    const uri = call.keywords.get('tracking_uri') ?? call.keywords.get('uri') ?? call.positional[0];
    const value = uri?.constant;
    const password = value?.kind === 'string' ? URI_PASSWORD.exec(value.value)?.[1] : undefined;
    if (password === undefined || isPlaceholderValue(password)) return undefined;
    return credentialMatch(call.node, `${call.name} with a user:password@ URI`, password);
  },
};

export const sdkCredentialChecks: readonly CodeRule[] = [
  ...CREDENTIAL_PARAMETERS.map(parameterCheck),
  mlflowUriCheck,
];

/** The subscriptions of PY-SEC-005 as patterns over qualified names (`*` and `?.` as the dispatcher reads them). */
const SDK_CALL_PATTERNS: readonly RegExp[] = sdkCredentialChecks
  .flatMap((check) => check.calls)
  .map((name) => {
    const escaped = name.replace(/[.()]/g, '\\$&').replace('*', '[^?].*');
    return new RegExp(name.startsWith('?') ? `\\.${escaped.slice(3)}$` : `^${escaped}$`);
  });

/** Whether PY-SEC-005 reads credentials from a call of one of these names, so that PY-SEC-002 need not. */
export function isSdkCredentialCall(names: readonly string[]): boolean {
  return names.some((name) => SDK_CALL_PATTERNS.some((pattern) => pattern.test(name)));
}

/** `os.environ[...]`, however `os` or `environ` was imported. */
export function isEnvironSubscript(node: Node, site: Site): boolean {
  if (node.type !== 'subscript') return false;
  const object = node.childForFieldName('value');
  return object !== null && qualifiedNames(object, site.scope).includes('os.environ');
}

/** The credential variable an `os.environ[...]` target sets, or the SDK attribute (`openai.api_key`). */
function credentialTarget(target: Node, site: Site): string | undefined {
  if (isEnvironSubscript(target, site)) {
    const key = target.childForFieldName('subscript');
    const name = key === null ? undefined : constantOf(key, site.scope);
    return name?.kind === 'string' && CREDENTIAL_VARIABLE.test(name.value)
      ? `os.environ["${name.value}"]`
      : undefined;
  }
  if (target.type !== 'attribute') return undefined;
  return qualifiedNames(target, site.scope).find((name) =>
    ['openai.api_key', 'anthropic.api_key', 'cohere.api_key'].includes(name),
  );
}

export const sdkCredentialAssignmentCheck: NodeRule = {
  rule: PY_SEC_005,
  nodes: ['assignment'],
  textHint: /environ|api_key/,
  check(node, site) {
    const target = node.childForFieldName('left');
    const value = node.childForFieldName('right');
    if (target === null || value === null || value.type !== 'string') return undefined;
    const what = credentialTarget(target, site);
    if (what === undefined) return undefined;
    const secret = literalCredential({ node: value, constant: constantOf(value, site.scope) });
    return secret === undefined ? undefined : credentialMatch(node, `${what} set`, secret);
  },
};
