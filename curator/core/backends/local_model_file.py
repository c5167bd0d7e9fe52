"""The file of a tuned local model: numpy arrays and JSON in one ``.npz``, read without pickle.

A workspace may come from someone else (a zip, a clone), so loading a model must never run code: the file
holds only numeric arrays and a JSON description (vocabulary, labels or outputs), read with
``allow_pickle=False`` and checked for shape before use. Pickles (the joblib files of curator before format 2)
are refused, never opened.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import scipy.sparse as sp

from curator.core.backends.local_model import LabelModel, NearestModel, vectorizer_with

FORMAT = 2
SUFFIX = ".npz"


class ModelFileError(ValueError):
    """The file is not a local model curator can load safely; the message says why."""


def dump(model: LabelModel | NearestModel, out: BinaryIO) -> None:
    """Write ``model`` as arrays and JSON (no pickled object anywhere)."""
    vocabulary = model.vectorizer.vocabulary_
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    meta: dict = {"format": FORMAT, "kind": model.kind, "terms": terms}
    arrays: dict[str, np.ndarray] = {"idf": np.asarray(model.vectorizer.idf_, dtype=np.float64)}
    if isinstance(model, LabelModel):
        meta["classes"] = list(model.classes)
        arrays |= {"weights": model.weights, "bias": model.bias}
    else:
        matrix = sp.csr_matrix(model.matrix)
        meta["outputs"] = list(model.outputs)
        arrays |= {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr,
                   "shape": np.asarray(matrix.shape, dtype=np.int64)}
    np.savez(out, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)


def load(path: Path) -> LabelModel | NearestModel:
    """Read a model written by ``dump``; raises ModelFileError for anything else, pickles included."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ModelFileError("it holds pickled Python objects, which can run code when loaded; "
                                 "curator never loads them") from None
        raise ModelFileError(f"not a curator model file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"cannot read it ({exc})") from None
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        return _build(meta, arrays)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelFileError(f"not a curator model file of format {FORMAT} ({type(exc).__name__}: {exc})") from None


def _build(meta: dict, arrays: dict[str, np.ndarray]) -> LabelModel | NearestModel:
    if meta.get("format") != FORMAT:
        raise ValueError(f"format {meta.get('format')!r}")
    terms = _strings(meta["terms"], "terms")
    idf = _numbers(arrays["idf"], (len(terms),), "idf")
    vectorizer = vectorizer_with({term: i for i, term in enumerate(terms)}, idf)
    if meta["kind"] == LabelModel.kind:
        classes = _strings(meta["classes"], "classes")
        weights = _numbers(arrays["weights"], (len(terms), len(classes)), "weights").astype(np.float32)
        bias = _numbers(arrays["bias"], (len(classes),), "bias").astype(np.float32)
        return LabelModel(vectorizer, classes, weights, bias)
    if meta["kind"] == NearestModel.kind:
        outputs = _strings(meta["outputs"], "outputs")
        rows, cols = (int(n) for n in _numbers(arrays["shape"], (2,), "shape"))
        if (rows, cols) != (len(outputs), len(terms)):
            raise ValueError(f"a {rows} x {cols} matrix for {len(outputs)} outputs and {len(terms)} terms")
        matrix = sp.csr_matrix((_numbers(arrays["data"], None, "data"), _numbers(arrays["indices"], None, "indices"),
                                _numbers(arrays["indptr"], (rows + 1,), "indptr")), shape=(rows, cols))
        matrix.check_format(full_check=True)
        return NearestModel(vectorizer, matrix, outputs)
    raise ValueError(f"unknown kind {meta['kind']!r}")


def _strings(values, name: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{name} is not a list of strings")
    return values


def _numbers(array: np.ndarray, shape: tuple[int, ...] | None, name: str) -> np.ndarray:
    if array.dtype.kind not in "iuf" or (shape is not None and array.shape != shape):
        raise ValueError(f"{name}: {array.dtype} array of shape {array.shape}, expected numbers"
                         + (f" of shape {shape}" if shape is not None else ""))
    return array
