import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PY_MDL_002, PY_MDL_007 } from './rules/mdl-hub.js';
import { PY_MDL_004, PY_MDL_005, PY_MDL_011 } from './rules/mdl-load.js';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/mdl');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** `rule@line:severity/confidence` for each finding of the given rule, with the rule's defaults filled in. */
async function graded(
  source: string,
  rule: { id: string; severity: string; confidence: string },
): Promise<string[]> {
  const findings = await analyseSource(source);
  return findings
    .filter((finding) => finding.ruleId === rule.id)
    .map((f) => `${f.line}:${f.severity ?? rule.severity}/${f.confidence ?? rule.confidence}`);
}

describe('PY-MDL-002 torch.hub', () => {
  it('grades trusted, unpinned and aliased hub calls in the fixture', async () => {
    expect(await graded(await fixture('torch_hub_unpinned.py'), PY_MDL_002)).toEqual([
      '5:high/high',
      '6:medium/high',
      '7:medium/high',
    ]);
    expect(await graded(await fixture('torch_hub_pinned_local.py'), PY_MDL_002)).toEqual([]);
  });

  it('keeps a finding for a pinned commit at low severity and an unknown repository at low confidence', async () => {
    const source = [
      'import torch.hub as th',
      'th.load("pytorch/vision:0123456789abcdef0123456789abcdef01234567", "resnet18")',
      'def load(repo):',
      '    return th.load(repo, "m", trust_repo=True)',
      'th.load(repo_or_dir="facebookresearch/dino:main", model="dino_vits16")',
      '',
    ].join('\n');
    expect(await graded(source, PY_MDL_002)).toEqual(['2:low/high', '4:high/low', '5:medium/high']);
  });
});

describe('PY-MDL-004 joblib and skops', () => {
  it('reports joblib loads under every import and only skops trusted=True', async () => {
    expect(await graded(await fixture('joblib_model_load.py'), PY_MDL_004)).toEqual([
      '8:medium/medium',
      '12:medium/medium',
      '16:high/medium',
    ]);
    expect(await graded(await fixture('skops_reviewed_types.py'), PY_MDL_004)).toEqual([]);
  });

  it('resolves from-imports and ignores a shadowing parameter', async () => {
    const source = [
      'from joblib import load as restore',
      'from skops.io import loads',
      'model = restore("m.joblib")',
      'other = loads(blob, True)',
      'def f(joblib):',
      '    return joblib.load("x")',
      '',
    ].join('\n');
    expect(await graded(source, PY_MDL_004)).toEqual(['3:medium/medium', '4:high/medium']);
  });
});

describe('PY-MDL-005 keras', () => {
  it('reports safe_mode=False by keyword and position, and model_from_yaml', async () => {
    expect(await graded(await fixture('keras_unsafe_mode.py'), PY_MDL_005)).toEqual([
      '8:high/high',
      '12:high/high',
      '17:high/medium',
    ]);
    expect(await graded(await fixture('keras_safe_mode.py'), PY_MDL_005)).toEqual([]);
  });

  it('follows constants and grades an unknown safe_mode lower', async () => {
    const source = [
      'from keras.saving import load_model',
      'UNSAFE = False',
      'load_model("m.keras", safe_mode=UNSAFE)',
      'def f(flag):',
      '    return load_model("m.keras", safe_mode=flag)',
      '',
    ].join('\n');
    expect(await graded(source, PY_MDL_005)).toEqual(['3:high/high', '5:medium/low']);
  });
});

describe('PY-MDL-007 Hub revisions', () => {
  it('reports unpinned and branch-pinned downloads in the fixture', async () => {
    expect(await graded(await fixture('hub_unpinned_download.py'), PY_MDL_007)).toEqual([
      '8:medium/high',
      '9:medium/high',
      '10:medium/high',
      '11:medium/high',
      '12:medium/high',
    ]);
  });

  it('accepts commits, local paths, packaged builders and offline loads', async () => {
    expect(await graded(await fixture('hub_pinned_download.py'), PY_MDL_007)).toEqual([]);
    const source = [
      'from transformers import AutoModel',
      'from datasets import load_dataset',
      'AutoModel.from_pretrained("/models/bert")',
      'AutoModel.from_pretrained("../out")',
      'AutoModel.from_pretrained("runs/exp1/checkpoint-500")',
      'AutoModel.from_pretrained(r"C:\\models\\bert")',
      'load_dataset("parquet", data_files="d.parquet")',
      'load_dataset("./my_dataset.py")',
      'AutoModel.from_pretrained("bert-base-uncased", **options)',
      '',
    ].join('\n');
    expect(await graded(source, PY_MDL_007)).toEqual([]);
  });

  it('grades a non-literal id at low confidence and leaves a computed revision alone', async () => {
    const source = [
      'import transformers as tf',
      'import huggingface_hub.file_download as fd',
      'def load(name, rev):',
      '    tf.AutoModel.from_pretrained(name)',
      '    tf.AutoModel.from_pretrained(name, revision=rev)',
      '    fd.hf_hub_download("gpt2", "config.json", revision="v1.0")',
      '',
    ].join('\n');
    expect(await graded(source, PY_MDL_007)).toEqual(['4:medium/low', '6:medium/high']);
  });
  it('honours bandit B615 suppressions', async () => {
    const source = 'from transformers import AutoModel\nAutoModel.from_pretrained("gpt2")  # nosec B615\n';
    expect(await activeFindings(source)).toEqual([]);
  });
});

describe('PY-MDL-011 LangChain', () => {
  it('reports dangerous load_local and langchain_core.load.loads', async () => {
    expect(await graded(await fixture('faiss_dangerous_load.py'), PY_MDL_011)).toEqual([
      '7:high/high',
      '11:medium/medium',
    ]);
    expect(await graded(await fixture('faiss_rebuild_index.py'), PY_MDL_011)).toEqual([]);
  });

  it('covers other packages and vector stores, and a flag that is not a literal', async () => {
    const source = [
      'from langchain.vectorstores import FAISS',
      'from langchain_community.vectorstores.annoy import Annoy',
      'import langchain.load as lc_load',
      'FAISS.load_local("idx", emb, allow_dangerous_deserialization=False)',
      'Annoy.load_local("idx", emb, allow_dangerous_deserialization=settings.trust)',
      'lc_load.load(obj)',
      '',
    ].join('\n');
    expect(await graded(source, PY_MDL_011)).toEqual(['5:medium/low', '6:medium/medium']);
  });
});
