import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../core/rule.js';
import { PY_DES_009, PY_DES_010, PY_DES_011, PY_PYP_009 } from './rules/des-ipc.js';
import { PY_DES_012, PY_DES_013 } from './rules/des-xml.js';
import {
  PY_MDL_003,
  PY_MDL_008,
  PY_MDL_009,
  PY_MDL_010,
  PY_MDL_012,
  PY_MDL_013,
} from './rules/mdl-artifacts.js';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code');
const fixture = (path: string): Promise<string> => readFile(join(FIXTURES, path), 'utf8');

/** `line:severity/confidence` for each finding of the rule, with the rule's defaults filled in. */
async function graded(source: string, rule: Rule): Promise<string[]> {
  const findings = await analyseSource(source);
  return findings
    .filter((finding) => finding.ruleId === rule.id)
    .map((f) => `${f.line}:${f.severity ?? rule.severity}/${f.confidence ?? rule.confidence}`);
}

const lines = (...source: string[]): string => [...source, ''].join('\n');

/** `rule@line` of the rule's unsuppressed findings: other families' rules may fire on the same snippet. */
async function active(source: string, rule: Rule): Promise<string[]> {
  return (await activeFindings(source)).filter((finding) => finding.startsWith(`${rule.id}@`));
}

describe('PY-DES-009 multiprocessing connections', () => {
  it('reports recv on Listener and Client connections and a Listener without authkey', async () => {
    expect(await graded(await fixture('des/mp_listener_unauthenticated.py'), PY_DES_009)).toEqual([
      '10:medium/medium',
      '13:medium/medium',
      '23:medium/medium',
    ]);
    expect(await graded(await fixture('des/mp_listener_json.py'), PY_DES_009)).toEqual([]);
  });

  it('resolves module aliases, chained calls and authkey=None, and ignores a shadowing parameter', async () => {
    const source = lines(
      'import multiprocessing.connection as mpc',
      'msg = mpc.Listener(("localhost", 6000), authkey=None).accept().recv()',
      'ok = mpc.Listener(("localhost", 6001), None, 1, b"k")',
      'def handle(mpc):',
      '    return mpc.Client(("h", 1)).recv()',
    );
    expect(await active(source, PY_DES_009)).toEqual(['PY-DES-009@2', 'PY-DES-009@2']);
  });
});

describe('PY-DES-010 torch.distributed object collectives', () => {
  it('reports object collectives under every import and not tensor collectives', async () => {
    expect(await graded(await fixture('des/torch_dist_object_collectives.py'), PY_DES_010)).toEqual([
      '8:medium/low',
      '14:medium/low',
    ]);
    expect(await graded(await fixture('des/torch_dist_tensor_collectives.py'), PY_DES_010)).toEqual([]);
  });

  it('resolves aliases and the c10d module, and ignores a shadowing parameter', async () => {
    const source = lines(
      'from torch.distributed import scatter_object_list as scatter',
      'from torch.distributed.distributed_c10d import recv_object_list',
      'scatter(out, objs, src=0)',
      'recv_object_list(objs, src=1)',
      'def f(dist):',
      '    dist.gather_object(x)',
    );
    expect(await active(source, PY_DES_010)).toEqual(['PY-DES-010@3', 'PY-DES-010@4']);
  });
});

describe('PY-DES-011 msgpack_numpy', () => {
  it('reports patch, msgpack_numpy decoders and the decode hook', async () => {
    expect(await graded(await fixture('des/msgpack_numpy_hooks.py'), PY_DES_011)).toEqual([
      '6:medium/medium',
      '11:medium/medium',
      '15:medium/medium',
    ]);
    expect(await graded(await fixture('des/msgpack_raw_arrays.py'), PY_DES_011)).toEqual([]);
  });

  it('follows a from-import of the hook, raises tainted data and ignores a shadowing parameter', async () => {
    const source = lines(
      'import msgpack, requests',
      'from msgpack_numpy import decode',
      'body = requests.get(url).content',
      'data = msgpack.unpackb(body, object_hook=decode)',
      'plain = msgpack.unpackb(body)',
      'def f(msgpack_numpy):',
      '    msgpack_numpy.patch()',
    );
    expect(await graded(source, PY_DES_011)).toEqual(['4:medium/high']);
  });
});

describe('PY-DES-012 standard-library XML parsers', () => {
  it('reports etree, minidom, xmlrpc and external entities in the fixture, raising request data to high', async () => {
    expect(await graded(await fixture('des/xml_voc_annotations.py'), PY_DES_012)).toEqual([
      '14:low/medium',
      '23:low/high',
      '28:low/medium',
      '32:medium/medium',
      '38:low/medium',
      '39:medium/high',
    ]);
    expect(await graded(await fixture('des/xml_voc_defused.py'), PY_DES_012)).toEqual([]);
  });

  it('covers sax, expat builders and aliases, lowers literal XML, and ignores shadowing and defusedxml', async () => {
    const source = lines(
      'from xml import sax',
      'from xml.dom.pulldom import parseString as pull',
      'import xml.etree.cElementTree as cET',
      'import defusedxml.sax',
      'sax.make_parser()',
      'pull(text)',
      'cET.fromstring("<a/>")',
      'defusedxml.sax.parseString(text, handler)',
      'def f(sax):',
      '    sax.parse(path, handler)',
      'x = cET.parse(path)  # nosec B313',
    );
    expect(await graded(source, PY_DES_012)).toEqual([
      '5:low/medium',
      '6:low/medium',
      '7:low/low',
      '11:low/medium',
    ]);
    expect(await active(source, PY_DES_012)).toEqual(['PY-DES-012@5', 'PY-DES-012@6', 'PY-DES-012@7']);
  });
});

describe('PY-DES-012 SAX external entities', () => {
  it('reports the feature turned on by name or URI, not turned off', async () => {
    const source = lines(
      'import xml.sax as sx',
      'from xml.sax import handler',
      'p = sx.make_parser()',
      'p.setFeature(handler.feature_external_ges, True)',
      'p.setFeature("http://xml.org/sax/features/external-parameter-entities", True)',
      'p.setFeature(handler.feature_external_ges, False)',
      'p.setFeature(handler.feature_namespaces, True)',
    );
    expect(await graded(source, PY_DES_012)).toEqual(['3:low/medium', '4:medium/high', '5:medium/high']);
  });
});

describe('PY-DES-013 lxml and pandas', () => {
  it('reports unsafe parser options and pandas on non-literal input', async () => {
    expect(await graded(await fixture('des/lxml_resolve_entities.py'), PY_DES_013)).toEqual([
      '5:medium/high',
      '13:medium/low',
      '17:medium/low',
    ]);
    expect(await graded(await fixture('des/lxml_hardened_parser.py'), PY_DES_013)).toEqual([]);
  });

  it('grades tainted pandas input high, skips literals and defaults, and ignores a shadowing parameter', async () => {
    const source = lines(
      'import sys',
      'from lxml.etree import XMLParser as Parser',
      'import pandas as pd',
      'Parser(huge_tree=True)',
      'Parser()',
      'pd.read_xml(sys.argv[1])',
      'pd.read_xml("feeds/manifest.xml")',
      'pd.read_html(page, flavor=["lxml", "bs4"])',
      'def f(pd):',
      '    pd.read_xml(path)',
    );
    expect(await graded(source, PY_DES_013)).toEqual(['4:medium/high', '6:medium/high', '8:medium/low']);
  });
});

describe('PY-PYP-009 multiprocessing managers', () => {
  it('reports a manager subclass and a SyncManager on network addresses', async () => {
    expect(await graded(await fixture('des/mp_manager_queue_server.py'), PY_PYP_009)).toEqual([
      '16:low/medium',
      '21:low/low',
    ]);
    expect(await graded(await fixture('des/mp_manager_local.py'), PY_PYP_009)).toEqual([]);
  });

  it('skips local, socket and default addresses and a shadowing parameter', async () => {
    const source = lines(
      'import multiprocessing.managers as mm',
      'mm.BaseManager(address=("0.0.0.0", 5000), authkey=key)',
      'mm.SyncManager(("localhost", 5000))',
      'mm.SyncManager("/tmp/mgr.sock")',
      'mm.SyncManager()',
      'def f(mm):',
      '    mm.BaseManager(address=("", 1))',
    );
    expect(await active(source, PY_PYP_009)).toEqual(['PY-PYP-009@2']);
  });
});

describe('PY-MDL-003 torch.package', () => {
  it('reports PackageImporter and raises a command-line path to high confidence', async () => {
    expect(await graded(await fixture('mdl/torch_package_importer.py'), PY_MDL_003)).toEqual([
      '8:medium/medium',
    ]);
    expect(await graded(await fixture('mdl/safetensors_state_dict.py'), PY_MDL_003)).toEqual([]);
    const source = lines(
      'import sys',
      'import torch.package as tp',
      'imp = tp.PackageImporter(sys.argv[1])',
      'def f(tp):',
      '    tp.PackageImporter(path)',
    );
    expect(await graded(source, PY_MDL_003)).toEqual(['3:medium/high']);
  });
});

describe('PY-MDL-008 pickle-format weights', () => {
  it('reports use_safetensors=False and pickle checkpoint paths', async () => {
    expect(await graded(await fixture('mdl/pickle_weights_from_pretrained.py'), PY_MDL_008)).toEqual([
      '6:medium/high',
      '9:medium/high',
    ]);
    expect(await graded(await fixture('mdl/safetensors_from_pretrained.py'), PY_MDL_008)).toEqual([]);
  });

  it('resolves aliases, follows constants and ignores a shadowing parameter', async () => {
    const source = lines(
      'from transformers import AutoModel as AM',
      'NO = False',
      'AM.from_pretrained("org/model", use_safetensors=NO)',
      'AM.from_pretrained("./out/pytorch_model.bin")',
      'AM.from_pretrained("./out")',
      'def f(AM):',
      '    AM.from_pretrained("x.bin")',
    );
    expect(await active(source, PY_MDL_008)).toEqual(['PY-MDL-008@3', 'PY-MDL-008@4']);
  });
});

describe('PY-MDL-009 mlflow', () => {
  it('reports remote and tainted URIs, not ONNX', async () => {
    expect(await graded(await fixture('mdl/mlflow_remote_model.py'), PY_MDL_009)).toEqual([
      '12:medium/high',
      '13:medium/medium',
    ]);
    expect(await graded(await fixture('mdl/mlflow_onnx_local.py'), PY_MDL_009)).toEqual([]);
  });

  it('grades an unknown URI low, reads f-string schemes, skips local literals and a shadowing parameter', async () => {
    const source = lines(
      'from mlflow.pytorch import load_model',
      'import mlflow',
      'load_model(uri)',
      'mlflow.sklearn.load_model("mlruns/0/abc/artifacts/model")',
      'mlflow.pyfunc.load_model(model_uri="s3://bucket/model")',
      'mlflow.pyfunc.load_model(f"runs:/{run_id}/model")',
      'def f(mlflow):',
      '    mlflow.pyfunc.load_model("runs:/x/model")',
    );
    expect(await graded(source, PY_MDL_009)).toEqual(['3:medium/low', '5:medium/medium', '6:medium/medium']);
  });
});

describe('PY-MDL-010 SavedModel', () => {
  it('reports variable and tainted paths, not literal ones', async () => {
    expect(await graded(await fixture('mdl/tf_savedmodel_cli.py'), PY_MDL_010)).toEqual([
      '8:low/low',
      '11:low/high',
    ]);
    expect(await graded(await fixture('mdl/tf_savedmodel_fixed.py'), PY_MDL_010)).toEqual([]);
  });

  it('reads the TF1 loader export_dir position and ignores a shadowing parameter', async () => {
    const source = lines(
      'import tensorflow.compat.v1 as tf1',
      'from keras.layers import TFSMLayer',
      'tf1.saved_model.loader.load(sess, ["serve"], export_dir)',
      'tf1.saved_model.loader.load(sess, ["serve"], "exports/1")',
      'TFSMLayer(path, call_endpoint="serve")',
      'def f(tf1):',
      '    tf1.saved_model.loader.load(sess, tags, d)',
    );
    expect(await active(source, PY_MDL_010)).toEqual(['PY-MDL-010@3', 'PY-MDL-010@5']);
  });
});

describe('PY-MDL-012 downloads without integrity checks', () => {
  it('reports get_file, download_url_to_file and load_state_dict_from_url without hashes', async () => {
    expect(await graded(await fixture('mdl/download_without_hash.py'), PY_MDL_012)).toEqual([
      '9:medium/medium',
      '10:medium/medium',
      '11:medium/medium',
      '13:medium/low',
    ]);
    expect(await graded(await fixture('mdl/download_with_hash.py'), PY_MDL_012)).toEqual([]);
  });

  it('reads positional hashes, raises tainted URLs, skips **kwargs and a shadowing parameter', async () => {
    const source = lines(
      'import os',
      'from torch.hub import download_url_to_file as fetch, load_state_dict_from_url',
      'fetch(os.environ["WEIGHTS"], "/tmp/w.pth")',
      'fetch(url, "/tmp/w.pth", "5c4f2e1a")',
      'fetch(url, "/tmp/w.pth", hash_prefix=None)',
      'load_state_dict_from_url(url, None, None, True, True)',
      'load_state_dict_from_url(url, check_hash=verify)',
      'load_state_dict_from_url(url, **options)',
      'def f(fetch):',
      '    fetch(url, "/tmp/w.pth")',
    );
    expect(await graded(source, PY_MDL_012)).toEqual(['3:medium/high', '5:medium/medium', '7:medium/low']);
  });
});

describe('PY-MDL-012 urlretrieve of model files', () => {
  it('reports model file names only, and raises a tainted URL', async () => {
    const source = lines(
      'import sys',
      'from urllib.request import urlretrieve',
      'urlretrieve(sys.argv[1], "model.ckpt")',
      'urlretrieve(url, filename="weights.safetensors")',
      'urlretrieve(url, "labels.txt")',
      'urlretrieve(url, target)',
    );
    expect(await graded(source, PY_MDL_012)).toEqual(['3:medium/high', '4:medium/low']);
  });
});

describe('PY-MDL-013 pickle-based artifacts', () => {
  it('reports whole models saved with torch, pickle and joblib', async () => {
    expect(await graded(await fixture('mdl/save_whole_model.py'), PY_MDL_013)).toEqual([
      '9:low/medium',
      '10:low/medium',
      '15:low/medium',
      '17:low/medium',
    ]);
    expect(await graded(await fixture('mdl/save_state_dict.py'), PY_MDL_013)).toEqual([]);
  });

  it('skips state dicts, tensors and other data, and a shadowing parameter', async () => {
    const source = lines(
      'import torch as th',
      'from joblib import dump as save',
      'th.save(best_model, "best.pt")',
      'th.save(best_model.state_dict(), "best.pt")',
      'th.save(embeddings, "emb.pt")',
      'save(pipeline, "p.joblib")',
      'def f(th):',
      '    th.save(model, "m.pt")',
    );
    expect(await active(source, PY_MDL_013)).toEqual(['PY-MDL-013@3', 'PY-MDL-013@6']);
  });
});
