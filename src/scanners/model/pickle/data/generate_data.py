#!/usr/bin/python3
"""Regenerates the data files of mlsec's pickle scanner from what real producers emit.

Run with Debian 12's interpreter, which has the producers installed (torch 1.13, numpy 1.24, scikit-learn 1.2.1,
scipy 1.10, joblib 1.2.0):

    /usr/bin/python3 src/scanners/model/pickle/data/generate_data.py
    npx prettier --write 'src/scanners/model/pickle/data/*.json'

Outputs (next to this script):
  compat.json     CPython's Python-2 name mapping (_compat_pickle IMPORT_MAPPING / NAME_MAPPING), used to
                  canonicalise `__builtin__`, `copy_reg`, `cPickle`, `urllib2`, ... spellings.
  allow-*.json    exact `module.qualname` globals that legitimate pickles of each producer use.

How the allow list is built: this script pickles objects it creates itself (torch modules, tensors of every
dtype, optimizers, every scikit-learn estimator fitted on tiny data, numpy arrays/scalars/random states, scipy
sparse matrices, stdlib value types) with the real producers at every protocol, loads them back through a
`find_class` hook that records each (module, name), and adds classes enumerated from the libraries' own
registries (sklearn.utils.all_estimators, torch.nn / torch.optim classes, torch dtypes and storage types). It
never loads a file it did not just write. Names are stored canonically (Python-2 spellings mapped to Python 3),
and every `numpy.core.*` name also gets its NumPy 2 spelling `numpy._core.*`.
"""

import _compat_pickle
import argparse
import collections
import datetime
import decimal
import fractions
import inspect
import io
import json
import os
import pathlib
import pickle
import re
import sys
import types
import uuid
import warnings

warnings.filterwarnings("ignore")
OUT = os.path.dirname(os.path.abspath(__file__))


def canonical(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class Recorder(pickle.Unpickler):
    """Records every global the unpickler resolves. Only used on bytes this script produced a moment ago."""

    seen = set()

    def find_class(self, module, name):
        Recorder.seen.add(canonical(module, name))
        return super().find_class(module, name)


def record_pickle(obj, protocols=range(0, pickle.HIGHEST_PROTOCOL + 1)):
    found = set()
    for protocol in protocols:
        try:
            data = pickle.dumps(obj, protocol=protocol)
        except Exception:
            continue
        Recorder.seen = set()
        Recorder(io.BytesIO(data)).load()
        found |= Recorder.seen
    return found


def qualified(cls):
    return (cls.__module__, cls.__qualname__)


def stdlib_globals():
    sample = {
        "od": collections.OrderedDict(a=1),
        "dd": collections.defaultdict(list, a=[1]),
        "counter": collections.Counter("abca"),
        "deque": collections.deque([1, 2], maxlen=5),
        "dt": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2024, 1, 2),
        "time": datetime.time(1, 2, 3),
        "td": datetime.timedelta(days=1),
        "tz": datetime.timezone(datetime.timedelta(hours=2), "X"),
        "dec": decimal.Decimal("1.5"),
        "frac": fractions.Fraction(1, 3),
        "uuid": uuid.UUID(int=5),
        "path": pathlib.PurePosixPath("/a"),
        "ppath": pathlib.Path("a"),
        "wpath": pathlib.PureWindowsPath("c:/a"),
        "set": {1, 2},
        "fset": frozenset({1}),
        "ba": bytearray(b"ab"),
        "bytes": b"ab",
        "complex": 1 + 2j,
        "slice": slice(1, 2),
        "range": range(3),
        "none_type": type(None),
        "ellipsis": ...,
        "notimpl": NotImplemented,
        "regex": re.compile("a+", re.I),
        "ns": types.SimpleNamespace(a=1),
        "args": argparse.Namespace(lr=0.1),
        "types": [int, float, str, bool, list, dict, tuple, bytes, object, complex, set, frozenset],
    }
    import array

    sample["array"] = array.array("d", [1.0, 2.0])
    # Path flavours that only the other operating system produces, and the generic class names.
    paths = {("pathlib", name) for name in ["Path", "PurePath", "WindowsPath", "PureWindowsPath", "PosixPath"]}
    # copyreg's NEWOBJ helpers appear as plain GLOBAL + REDUCE when a __reduce_ex__ returns them at protocol < 2.
    newobj = {("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__")}
    return record_pickle(sample) | {("builtins", "object")} | paths | newobj


def numpy_globals():
    import numpy as np

    found = set()
    arrays = [
        np.ones((2, 3), dtype=dt)
        for dt in ["b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "f16", "c8", "c16"]
    ]
    arrays += [
        np.array(["ab", "c"]),
        np.array([b"ab"]),
        np.array([1, "x", None], dtype=object),
        np.zeros(2, dtype=[("a", "<i4"), ("b", "O")]),
        np.zeros(2, dtype="V8"),
        np.array(["2024-01-01"], dtype="M8[ns]"),
        np.array([1], dtype="m8[s]"),
        np.ma.masked_array([1, 2], mask=[0, 1]),
        np.matrix([[1, 2]]),
        np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        np.asfortranarray(np.ones((2, 2))),
    ]
    scalars = [t(1) for t in [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64]]
    scalars += [t(1) for t in [np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64]]
    scalars += [np.complex128(1), np.str_("a"), np.bytes_(b"a"), np.datetime64("2024-01-01"), np.timedelta64(1)]
    randoms = [np.random.RandomState(0), np.random.default_rng(0), np.random.SeedSequence(1)]
    randoms += [np.random.Generator(bg(0)) for bg in [np.random.MT19937, np.random.PCG64, np.random.Philox]]
    randoms += [np.random.Generator(bg(0)) for bg in [np.random.SFC64, np.random.PCG64DXSM]]
    ufuncs = [getattr(np, n) for n in dir(np) if isinstance(getattr(np, n), np.ufunc)]
    dtypes = [np.dtype(d) for d in ["f8", "O", "U3", [("a", "i4")]]]
    for obj in arrays + scalars + randoms + ufuncs + dtypes:
        found |= record_pickle(obj)
    # Scalar types are pickled by reference wherever an estimator keeps a `dtype=np.float64` parameter.
    found |= {("numpy", t.__name__) for t in set(np.sctypeDict.values()) if getattr(np, t.__name__, None) is t}
    # Spellings older NumPy releases wrote for the same classes (seen in joblib's own test data, NumPy < 1.16).
    found |= {("numpy.matrixlib.defmatrix", "matrix"), ("numpy.core.records", "recarray"), ("numpy.core.records", "record")}
    return found


def scipy_globals():
    import numpy as np
    import scipy.sparse as sp

    found = set()
    dense = np.eye(3)
    for fmt in ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]:
        found |= record_pickle(getattr(sp, fmt + "_matrix")(dense), protocols=[2, 4, 5])
        found |= record_pickle(getattr(sp, fmt + "_array")(dense), protocols=[2, 4, 5])
    return found


def sklearn_globals():
    import numpy as np
    from sklearn.utils import all_estimators
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    found = set()
    rng = np.random.RandomState(0)
    X = np.abs(rng.rand(40, 4)) + 0.1
    y_class = np.array([0, 1] * 20)
    y_reg = rng.rand(40)
    y_multi = np.stack([y_class, 1 - y_class], axis=1)
    texts = ["the cat sat", "a dog ran", "cats and dogs", "the end"] * 10
    for name, cls in all_estimators():
        found.add(qualified(cls))
        params = inspect.signature(cls).parameters
        kwargs = {}
        if "estimator" in params:
            kwargs["estimator"] = LogisticRegression() if "Classifier" in name else LinearRegression()
        if "base_estimator" in params and "estimator" not in params:
            kwargs["base_estimator"] = DecisionTreeClassifier()
        if "estimators" in params:
            base = LogisticRegression() if "Classifier" in name else LinearRegression()
            kwargs["estimators"] = [("a", base)]
        if "param_grid" in params:
            kwargs["param_grid"] = {"fit_intercept": [True, False]}
        if "param_distributions" in params:
            kwargs["param_distributions"] = {"fit_intercept": [True, False]}
        if "transformers" in params:
            from sklearn.preprocessing import StandardScaler

            kwargs["transformers"] = [("s", StandardScaler(), [0, 1])]
        if "steps" in params:
            from sklearn.preprocessing import StandardScaler

            kwargs["steps"] = [("s", StandardScaler()), ("m", LogisticRegression())]
        if "transformer_list" in params:
            from sklearn.decomposition import PCA

            kwargs["transformer_list"] = [("p", PCA(1))]
        try:
            est = cls(**kwargs)
        except Exception:
            continue
        fitted = None
        inputs = [(X, y_class), (X, y_reg), (X, y_multi), (X, None), (texts, y_class), (texts, None)]
        if "Vectorizer" in name or "Hasher" in name:
            inputs = [(texts, y_class), (texts, None)] + inputs
        for xs, ys in inputs:
            try:
                fitted = est.fit(xs) if ys is None else est.fit(xs, ys)
                break
            except Exception:
                continue
        try:
            found |= record_pickle(fitted if fitted is not None else est, protocols=[2, 4, 5])
        except Exception:
            pass
    return found


class TorchRecorderModule:
    """A pickle_module for torch.load whose Unpickler records globals (torch subclasses it for find_class)."""

    Unpickler = Recorder

    @staticmethod
    def load(f, **kwargs):
        return Recorder(f, **kwargs).load()


def torch_globals():
    import torch
    import torch.nn as nn

    found = set()
    for name in dir(torch):
        value = getattr(torch, name)
        if isinstance(value, (torch.dtype, torch.layout, torch.memory_format, torch.qscheme)):
            found.add(("torch", name))
        elif inspect.isclass(value) and (name.endswith("Storage") or name.endswith("Tensor")):
            # Storage classes name persistent ids; the legacy tensor types (torch.FloatTensor …) appear in
            # legacy and TAR-format checkpoints. CUDA checkpoints spell both under torch.cuda.
            found.add(("torch", name))
            found.add(("torch.cuda", name))
    for module in [nn, nn.modules, torch.optim, torch.optim.lr_scheduler]:
        for name in dir(module):
            value = getattr(module, name)
            if inspect.isclass(value) and value.__module__.startswith("torch."):
                found.add(qualified(value))
    import torch._utils

    for name in dir(torch._utils):
        if name.startswith("_rebuild"):
            found.add(("torch._utils", name))
    found |= {("torch", "Size"), ("torch", "device"), ("torch", "Tensor"), ("torch.storage", "_load_from_bytes")}
    found |= {("torch._tensor", "_rebuild_from_type"), ("torch._tensor", "_rebuild_from_type_v2")}
    found |= {("torch.serialization", "_get_layout"), ("torch.nn.parameter", "Parameter")}
    found |= {("torch.storage", "TypedStorage"), ("torch.storage", "UntypedStorage")}
    import torch.jit._pickle

    for name in dir(torch.jit._pickle):
        if name.startswith(("build_", "restore_")):
            found.add(("torch.jit._pickle", name))

    convnet = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2, 3))
    model = nn.Sequential(nn.Linear(2, 2), nn.utils.weight_norm(nn.Linear(2, 2)), nn.LSTM(2, 2), nn.Embedding(3, 2))
    model.append(nn.utils.spectral_norm(nn.Linear(2, 2)))
    optimizer = torch.optim.Adam(model.parameters())
    samples = [
        convnet,
        model,
        model.state_dict(),
        optimizer,
        optimizer.state_dict(),
        torch.optim.lr_scheduler.StepLR(optimizer, 1),
        torch.Size([2, 3]),
        torch.device("cpu"),
        torch.zeros(2, 2).to_sparse(),
        torch.zeros(2, 2).to_sparse_csr(),
        torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8),
        torch.quantize_per_channel(torch.ones(2, 2), torch.ones(2), torch.zeros(2, dtype=torch.long), 0, torch.qint8),
        nn.Parameter(torch.ones(2)),
        [torch.ones(2, dtype=d) for d in [torch.float16, torch.bfloat16, torch.int8, torch.bool, torch.complex64]],
    ]
    for sample in samples:
        for legacy in (False, True):
            buffer = io.BytesIO()
            try:
                torch.save(sample, buffer, _use_new_zipfile_serialization=not legacy)
            except Exception:
                continue
            buffer.seek(0)
            Recorder.seen = set()
            torch.load(buffer, pickle_module=TorchRecorderModule)
            found |= Recorder.seen
        found |= record_pickle(sample, protocols=[2, 4])
    return found


def joblib_globals():
    import joblib
    import joblib.numpy_pickle as numpy_pickle
    import numpy as np

    found = set()
    original = numpy_pickle.NumpyUnpickler.find_class

    def find_class(self, module, name):
        found.add(canonical(module, name))
        return original(self, module, name)

    numpy_pickle.NumpyUnpickler.find_class = find_class
    path = os.path.join(OUT, "joblib-sample.tmp")
    try:
        joblib.dump({"a": np.ones(3), "o": np.array([1, None], dtype=object)}, path)
        joblib.load(path)
    finally:
        numpy_pickle.NumpyUnpickler.find_class = original
        os.remove(path)
    return found


def dill_globals():
    """dill pickles plain data and NumPy arrays (its by-value functions and classes are code, never allowed)."""
    import dill
    import numpy as np

    found = set()
    for protocol in (2, 4, 5):
        Recorder.seen = set()
        Recorder(io.BytesIO(dill.dumps({"a": np.ones(3), "b": [1, 2]}, protocol=protocol))).load()
        found |= Recorder.seen
    return found


# Names that current producers emit but the versions installed here cannot show (torch >= 2, numpy >= 2,
# scikit-learn >= 1.3). Each was checked in the producer's source; none resolves a name, imports a module or
# runs a callable argument (see policy.ts for `torch._utils._rebuild_wrapper_subclass` / `_rebuild_from_type_v2`,
# whose type or function arguments are globals checked on their own).
FORWARD_COMPATIBLE = {
    "torch": [
        ("torch._utils", "_rebuild_wrapper_subclass"),
        ("torch._utils", "_rebuild_device_tensor_from_cpu_tensor"),
        ("torch._utils", "_rebuild_tensor_v3"),
        ("torch._utils", "_rebuild_nested_tensor"),
        ("torch._utils", "_rebuild_parameter_with_state"),
        ("torch", "UntypedStorage"),
        ("torch", "TypedStorage"),
        ("torch", "float8_e4m3fn"),
        ("torch", "float8_e5m2"),
        ("torch", "float8_e4m3fnuz"),
        ("torch", "float8_e5m2fnuz"),
        ("torch", "uint16"),
        ("torch", "uint32"),
        ("torch", "uint64"),
        ("torch.nn.modules.linear", "NonDynamicallyQuantizableLinear"),
    ],
    "numpy": [
        ("numpy.dtypes", name)
        for name in [
            "BoolDType", "Int8DType", "UInt8DType", "Int16DType", "UInt16DType", "Int32DType", "UInt32DType",
            "Int64DType", "UInt64DType", "Float16DType", "Float32DType", "Float64DType", "LongDoubleDType",
            "Complex64DType", "Complex128DType", "CLongDoubleDType", "ObjectDType", "BytesDType", "StrDType",
            "VoidDType", "DateTime64DType", "TimeDelta64DType", "StringDType",
        ]
    ],
    "sklearn": [("sklearn.utils._bunch", "Bunch")],
}

# Recorded while pickling the samples above but deliberately NOT allowed: they are generic callables that an
# attacker can point anywhere (bound methods pickle as builtins.getattr; partial wraps any callable).
EXCLUDED = {("builtins", "getattr"), ("functools", "partial")}


def write(name, entries):
    names = sorted({f"{m}.{n}" for m, n in entries if (m, n) not in EXCLUDED})
    extra = []
    for m_n in list(names):
        if m_n.startswith("numpy.core."):
            extra.append("numpy._core." + m_n[len("numpy.core.") :])
    names = sorted(set(names) | set(extra))
    header = {
        "generated-by": "src/scanners/model/pickle/data/generate_data.py",
        "python": sys.version.split()[0],
        "globals": names,
    }
    with open(os.path.join(OUT, f"allow-{name}.json"), "w") as f:
        json.dump(header, f, indent=2)
        f.write("\n")
    print(name, len(names))


def main():
    compat = {
        "import": dict(sorted(_compat_pickle.IMPORT_MAPPING.items())),
        "name": sorted([[m, n, m3, n3] for (m, n), (m3, n3) in _compat_pickle.NAME_MAPPING.items()]),
    }
    with open(os.path.join(OUT, "compat.json"), "w") as f:
        json.dump(compat, f, indent=2)
        f.write("\n")
    import torch  # noqa: F401  (imported before sklearn: both bundle OpenMP and torch must initialise first)

    write("stdlib", stdlib_globals())
    write("numpy", numpy_globals() | set(FORWARD_COMPATIBLE["numpy"]))
    write("scipy", scipy_globals())
    write("torch", torch_globals() | set(FORWARD_COMPATIBLE["torch"]))
    write("sklearn", sklearn_globals() | set(FORWARD_COMPATIBLE["sklearn"]))
    write("joblib", joblib_globals())
    write("dill", dill_globals())


if __name__ == "__main__":
    main()
