import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseCells } from './notebook/analyse.js';
import { findSecrets, redact } from './rules/sec-formats.js';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/sec');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** Synthetic keys in the providers' formats: made-up bodies, never issued. */
const HF = 'hf_FakeTokenForMlsecTestsOnlyQzWvBnXy';
const AWS_ID = 'AKIAFAKEMLSECTEST234';
const GITHUB = 'ghp_FakeGitHubTokenForMlsecTests01234567';
const GOOGLE = 'AIzaFakeGoogleApiKeyForMlsecTests012345';
const OPENAI =
  'sk-proj-FakeOpenAIKeyForMlsecTests0nly1234567890T3BlbkFJFakeOpenAIKeyForMlsecTests0nly0987654321';
const ANTHROPIC = `sk-ant-api03-${'FakeAnthropicKeyForMlsecTests0nly'.repeat(3).slice(0, 93)}AA`;
const SLACK = 'xoxb-579868282880-7290222791805-FakeSlackTokenForMlsecTs';
const WANDB = '3f9a1c0e7b5d24f86a0c1e3b5d7f9a2c4e6b8d01';

describe('secret rules on realistic code', () => {
  it.each([
    [
      'feature_store_etl.py',
      ['PY-SEC-001@10', 'PY-SEC-001@11', 'PY-SEC-003@14', 'PY-SEC-002@19', 'PY-SEC-002@21', 'PY-SEC-001@31'],
    ],
    [
      'finetune_push_keys.py',
      ['PY-SEC-004@8', 'PY-SEC-005@10', 'PY-SEC-004@12', 'PY-SEC-004@16', 'PY-SEC-004@17'],
    ],
    [
      'llm_eval_config.py',
      ['PY-SEC-005@11', 'PY-SEC-005@13', 'PY-SEC-005@14', 'PY-SEC-005@15', 'PY-SEC-005@16', 'PY-SEC-005@18'],
    ],
    ['publish_checkpoints.py', ['PY-SEC-007@8', 'PY-SEC-007@13', 'PY-SEC-007@15', 'PY-SEC-007@16']],
  ])('reports %s', async (name, expected) => {
    expect(await activeFindings(await fixture(name))).toEqual(expected);
  });

  it.each([
    'feature_store_etl_env.py',
    'finetune_push_env.py',
    'llm_eval_config_env.py',
    'publish_checkpoints_private.py',
  ])('does not report %s', async (name) => {
    expect(await activeFindings(await fixture(name))).toEqual([]);
  });

  it('never repeats a secret in messages or evidence', async () => {
    for (const name of ['feature_store_etl.py', 'finetune_push_keys.py', 'llm_eval_config.py']) {
      const source = await fixture(name);
      for (const finding of await analyseSource(source)) {
        for (const secret of ['Lab3ls-2023!', 'etl-readonly-42', HF, AWS_ID, 'sk-support-eval-7Hq2Lm9Vx'])
          expect(`${finding.message} ${finding.evidence ?? ''}`).not.toContain(secret);
      }
    }
  });
});

describe('PY-SEC-001 password-like names with literals', () => {
  it('reports assignments, attributes, subscripts, dict entries and comparisons', async () => {
    expect(
      await activeFindings(
        'password = "blerg"\nself.db_passwd = "hunter22"\ncfg["api_token"] = "t0k3n-value"\n' +
          'settings = {"secret": "s3cr3t"}\nif pwd == "root":\n    pass\nif "root" != user.password:\n    pass\n',
      ),
    ).toEqual([
      'PY-SEC-001@1',
      'PY-SEC-001@2',
      'PY-SEC-001@3',
      'PY-SEC-001@4',
      'PY-SEC-001@5',
      'PY-SEC-001@7',
    ]);
  });

  it('ignores tokenizer tokens, placeholders, env names, references and non-literals', async () => {
    expect(
      await activeFindings(
        'pad_token = "<pad>"\ntokenizer.eos_token = "</s>"\nunk = {"unk_token": "[UNK]"}\n' +
          'password = ""\ntoken = "<your-token>"\nsecret = "xxx"\nTOKEN_ENV = "HF_TOKEN"\n' +
          'password_file = "/run/secrets/db"\ntoken_url = "https://oauth2.googleapis.com/token"\n' +
          'token_pattern = r"(?u)\\b\\w\\w+\\b"\npassword = os.environ["DB_PASSWORD"]\n' +
          'password = f"{prefix}-pw"\ntokens = "a b c"\npassage = "text"\nresponse_token = "### Response:"\n',
      ),
    ).toEqual([]);
  });

  it('leaves os.environ credentials to PY-SEC-005 and known key formats to PY-SEC-004', async () => {
    expect(
      await activeFindings(`import os\nos.environ["HF_TOKEN"] = "dev-token-1234"\nhf_token = "${HF}"\n`),
    ).toEqual(['PY-SEC-005@2', 'PY-SEC-004@3']);
  });

  it('is suppressed by nosec B105 and noqa S105', async () => {
    expect(
      await activeFindings('password = "blerg"  # nosec B105\nsecret = "blerg"  # noqa: S105\n'),
    ).toEqual([]);
  });
});

describe('PY-SEC-002 password-like keyword arguments', () => {
  it('reports the call line of a multi-line call, with the argument as evidence', async () => {
    const findings = await analyseSource(
      'from pyghmi.ipmi import command\n\ncmd = command.Command(bmc="bmc",\n    userid="userid",\n' +
        '    password="ZjE4ZjI0NTE4YmI2NGJjZDliOGY3ZmJiY2UyN2IzODQK")\n',
    );
    expect(findings).toMatchObject([{ ruleId: 'PY-SEC-002', line: 3, evidence: 'password="ZjE4Z…ODQK"' }]);
  });

  it('ignores non-literal and placeholder values, and SDK logins that PY-SEC-005 reports', async () => {
    expect(
      await activeFindings(
        'import huggingface_hub\nconnect(password=os.environ["PW"])\nconnect(password="")\n' +
          'connect(token_type="bearer")\nhuggingface_hub.login(token="dev-token-1234")\n',
      ),
    ).toEqual(['PY-SEC-005@5']);
  });
});

describe('PY-SEC-003 password-like parameter defaults', () => {
  it('reports string defaults on the def line, typed or not, in functions and methods', async () => {
    expect(
      await activeFindings(
        'def connect(user, password="admin"):\n    pass\nclass Client:\n' +
          '    def __init__(self, api_token: str = "dev-token-1"):\n        pass\n',
      ),
    ).toEqual(['PY-SEC-003@1', 'PY-SEC-003@4']);
  });

  it('ignores None, empty and special-token defaults', async () => {
    expect(
      await activeFindings(
        'def connect(user, password=None, token=""):\n    pass\ndef build(pad_token="<pad>", sep_token="[SEP]"):\n    pass\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-SEC-004 keys of known formats', () => {
  it.each([
    ['Hugging Face token', HF],
    ['AWS access key id', AWS_ID],
    ['GitHub token', GITHUB],
    ['Google API key', GOOGLE],
    ['OpenAI API key', OPENAI],
    ['Anthropic API key', ANTHROPIC],
    ['Slack token', SLACK],
  ])('finds a %s and redacts it', (kind, key) => {
    const [found] = findSecrets(`client = make("${key}")`);
    expect(found).toMatchObject({ kind, secret: key });
    expect(redact(key)).toBe(`${key.slice(0, 5)}…${key.slice(-4)}`);
  });

  it('finds keys that need their context: W&B, AWS secret, Kaggle and PEM/GCP private keys', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQFakeMlsecTestsOnly';
    expect(
      findSecrets(
        `wandb login ${WANDB}\naws_secret_access_key = Fake/MlsecTestSecretKeyQ7vLp2Rw9xZk3mNbY\n` +
          '{"username": "jdoe", "key": "d2802827283e0ad84173581569969e58"}\n' +
          `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${body}"}\n` +
          `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n`,
      ).map((found) => found.kind),
    ).toEqual([
      'Weights & Biases API key',
      'AWS secret access key',
      'Kaggle API key',
      'GCP service-account private key',
      'PEM private key',
    ]);
  });

  it('ignores placeholders, wrong lengths, bare hex and key headers without a key', () => {
    expect(
      findSecrets(
        'hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx AKIAIOSFODNN7EXAMPLE hf_FakeTokenTooShort ' +
          `${WANDB} git rev 0123456789abcdef0123456789abcdef01234567 -----BEGIN PRIVATE KEY----- ` +
          `x${HF.slice(0, -1)}Q1 sk-proj-short`,
      ),
    ).toEqual([]);
  });

  it('reports strings and comments with redacted evidence and the key line of a multi-line string', async () => {
    const findings = await analyseSource(`# fallback: ${GITHUB}\nKEY = """\nfirst\n${AWS_ID}\n"""\n`);
    expect(findings.map((finding) => [finding.ruleId, finding.line, finding.evidence])).toEqual([
      ['PY-SEC-004', 1, `# fallback: ${redact(GITHUB)}`],
      ['PY-SEC-004', 2, redact(AWS_ID)],
    ]);
    expect(findings[1]?.message).toContain('(line 4)');
  });

  it('reports a Kaggle credentials dict written to kaggle.json', async () => {
    expect(
      await activeFindings(
        'import json\nwith open("/root/.kaggle/kaggle.json", "w") as f:\n' +
          '    json.dump({"username": "jdoe", "key": "d2802827283e0ad84173581569969e58"}, f)\n',
      ),
    ).toEqual(['PY-SEC-004@3']);
  });
});

describe('secrets in notebook cells', () => {
  it('reads keys passed to shell escapes and magics', async () => {
    const findings = await analyseCells(
      [{ number: 2, type: 'code', source: `!wandb login ${WANDB}\n%env HF_TOKEN=${HF}\n` }],
      'train.ipynb',
      () => undefined,
    );
    expect(findings.map((f) => [f.ruleId, f.member, f.line, f.message])).toEqual([
      ['PY-SEC-004', 'cell 2', 1, 'Weights & Biases API key 3f9a1…8d01 in a string literal'],
      ['PY-SEC-004', 'cell 2', 2, 'Hugging Face token hf_Fa…BnXy in a string literal'],
    ]);
  });
});

describe('PY-SEC-005 literal credentials given to ML SDKs', () => {
  it('reports logins and clients through aliases and constants', async () => {
    expect(
      await activeFindings(
        'from huggingface_hub import login as hf_login\nimport wandb as wb\nfrom openai import OpenAI\n' +
          'from transformers import AutoModel\nHUB_LOGIN = "dev-token-1234"\nhf_login(HUB_LOGIN)\n' +
          `wb.login(key="${WANDB}")\nOpenAI(api_key="sk-local-proxy-key")\n` +
          'AutoModel.from_pretrained("org/private", revision="86b5e0934494bd15c9632b12f734a8a67f723594", token="dev-token-1234")\n',
      ),
    ).toEqual(['PY-SEC-005@6', 'PY-SEC-005@7', 'PY-SEC-005@8', 'PY-SEC-005@9']);
  });

  it('ignores placeholders, environment reads, non-credential variables and shadowing names', async () => {
    expect(
      await activeFindings(
        'import os\nimport openai\nfrom huggingface_hub import login\nlogin(token="<your-token>")\n' +
          'openai.api_key = "..."\nos.environ["HF_TOKEN"] = ""\nos.environ["TOKENIZERS_PARALLELISM"] = "false"\n' +
          'os.environ.setdefault("HF_HOME", "/data/hf")\nlogin(token=os.environ["HF_TOKEN"])\n' +
          'def setup(wandb):\n    wandb.login(key="abc")\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-SEC-007 public pushes', () => {
  it('reports explicit public pushes, resolved or on unknown objects', async () => {
    expect(
      await activeFindings(
        'from huggingface_hub import create_repo as mk\nimport transformers as tf\nmk("me/m", private=False)\n' +
          'PUBLIC = False\ntrainer.push_to_hub("me/m", private=PUBLIC)\n' +
          'tf.TrainingArguments("out", push_to_hub=True, hub_private_repo=False)\n',
      ),
    ).toEqual(['PY-SEC-007@3', 'PY-SEC-007@5', 'PY-SEC-007@6']);
  });

  it('ignores private or default visibility and arguments without a push', async () => {
    expect(
      await activeFindings(
        'from transformers import TrainingArguments\nmodel.push_to_hub("me/m")\nmodel.push_to_hub("me/m", private=True)\n' +
          'TrainingArguments("out", push_to_hub=False, hub_private_repo=False)\n',
      ),
    ).toEqual([]);
  });
});

describe('bandit parity for B105-B107', () => {
  it("reports bandit's hardcoded-password examples at bandit's lines", async () => {
    const findings = await activeFindings(
      'def someFunction(user, password="Admin"):\n    print("Hi " + user)\n\ndef doLogin(password="blerg"):\n' +
        '    pass\n\ndoLogin(password="blerg")\npassword = "blerg"\npassword["password"] = "blerg"\n',
    );
    expect(findings).toEqual([
      'PY-SEC-003@1',
      'PY-SEC-003@4',
      'PY-SEC-002@7',
      'PY-SEC-001@8',
      'PY-SEC-001@9',
    ]);
  });
});
