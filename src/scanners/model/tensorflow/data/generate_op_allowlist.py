#!/usr/bin/env python3
"""Writes standard-ops.json: the names of every op registered in an installed TensorFlow, the allowlist of
MODEL-TF-003. The list comes from TensorFlow's own op registry (`TF_GetAllOpList` of the C API, the OpDefs of
every op that `import tensorflow` registers: core ops, the Python-side ops such as PyFunc, and internal `_` ops),
so it is exactly what that release can run without a custom-op library.

Run:  <python with tensorflow-cpu==2.21.0> src/scanners/model/tensorflow/data/generate_op_allowlist.py
"""
import json
import os

import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session

HERE = os.path.dirname(os.path.abspath(__file__))


def registered_ops():
    buffer = pywrap_tf_session.TF_GetAllOpList()
    try:
        data = pywrap_tf_session.TF_GetBuffer(buffer)
    finally:
        pywrap_tf_session.TF_DeleteBuffer(buffer)
    op_list = op_def_pb2.OpList()
    op_list.ParseFromString(data)
    return sorted({op.name for op in op_list.op})


def main():
    document = {
        "source": "TF_GetAllOpList() of tensorflow-cpu (every registered op); regenerate with generate_op_allowlist.py",
        "tensorflow_version": tf.__version__,
        "tensorflow_git_version": tf.version.GIT_VERSION,
        "ops": registered_ops(),
    }
    with open(os.path.join(HERE, "standard-ops.json"), "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
