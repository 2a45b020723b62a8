#!/usr/bin/env python3
"""Write data/digits.npz: the UCI optical handwritten digits (8 x 8, 1,797 images) as scikit-learn ships them.

Run from anywhere, with scikit-learn and numpy in a throwaway virtual environment:

    python3 -m venv /tmp/venv-sk && /tmp/venv-sk/bin/pip install scikit-learn numpy
    /tmp/venv-sk/bin/python tools/make_digits.py

Output: data/digits.npz (relative to the repository root), two arrays as `np.savez` stores them (uncompressed):

    x       uint8 (1797, 64)   the 8 x 8 images row by row, counts of on pixels per 4 x 4 block, 0..16
    labels  int64 (1797,)      the digit, 0..9

The data is `sklearn.datasets.load_digits()`, which reads a copy bundled inside the scikit-learn package (no
download): the test set (optdigits.tes) of the UCI "Optical Recognition of Handwritten Digits" data set, in the
file's order. See data/README.md for the licence and the citation.

The bytes are reproducible: the members are uncompressed (no dependence on the zlib version) and the zip
timestamps are pinned to 1980-01-01 00:00, so every run gives the same file (the script prints its SHA-256,
which data/README.md records).
"""
import hashlib
import os
import sys
import time
from unittest import mock

import numpy as np
from sklearn.datasets import load_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "digits.npz")


def main():
    digits = load_digits()
    data, target = digits.data, digits.target
    assert data.shape == (1797, 64) and target.shape == (1797,), (data.shape, target.shape)
    # The pixels are counts 0..16 stored as float64 by scikit-learn: check that uint8 holds them exactly.
    assert np.all(data == np.round(data)) and data.min() >= 0 and data.max() <= 16
    assert np.all(np.isin(target, np.arange(10)))
    x = data.astype(np.uint8)
    labels = target.astype(np.int64)
    assert np.array_equal(x.astype(np.float64), data) and np.array_equal(labels, target)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    # zipfile stamps members with time.localtime(); pin it so that re-running reproduces the bytes.
    epoch = time.struct_time((1980, 1, 1, 0, 0, 0, 1, 1, 0))
    with mock.patch("time.localtime", return_value=epoch):
        np.savez(OUT, x=x, labels=labels)

    with np.load(OUT) as z:
        assert np.array_equal(z["x"], x) and np.array_equal(z["labels"], labels)
    with open(OUT, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    counts = np.bincount(labels, minlength=10)
    print(f"{os.path.relpath(OUT, ROOT)}: x {x.dtype} {x.shape}, labels {labels.dtype} {labels.shape}")
    print("class counts: " + ", ".join(f"{k}: {n}" for k, n in enumerate(counts)))
    print(f"sha256 {digest}")
    print(f"numpy {np.__version__}, scikit-learn {__import__('sklearn').__version__}, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
