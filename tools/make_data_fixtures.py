#!/usr/bin/env python3
"""Write the small data files used by the `data.load` tests (Tests/TangentNTKTests and Tests/TangentStagesTests).

Run from anywhere:  python3 tools/make_data_fixtures.py
Output:             Tests/TangentStagesTests/Fixtures/  (relative to the repository root)

Needs numpy, gzip and struct only; no downloads (MNIST itself is not used: the IDX files are tiny files in
MNIST's exact format). Everything is deterministic: values come from the formulas below, which the Swift tests
recompute (keep them in sync with `FixtureValues` in Tests/TangentNTKTests/DataFileReaderTests.swift):

    train inputs   x[i, j]      = i + j/10              (12 x 3; i = row, j = column)
    test inputs    tx[i, j]     = 100 + i + j/10        (6 x 3)
    train labels   y[i]         = i % 3                 (12)
    test labels    ty[i]        = (i + 1) % 3           (6)
    train images   img[n, r, c] = 16n + 4r + c          (12 x 4 x 4, uint8)
    test images    timg[n, r, c]= 200 - (16n + 4r + c)  (6 x 4 x 4, uint8)

gzip files are written with mtime 0 and no file name, so re-running the script reproduces the same bytes (for a
given zlib version), and zip archives have their timestamps pinned to 1980-01-01.
"""
import gzip
import io
import os
import struct
import time
import zipfile
from contextlib import contextmanager
from unittest import mock

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TangentStagesTests", "Fixtures")
KEEP = {"README.md"}

# IDX element type codes (the third magic byte) and their big-endian struct/numpy types.
IDX_TYPES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def path(name):
    return os.path.join(OUT, name)


def write_bytes(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def write_text(name, text):
    with open(path(name), "w", newline="") as f:
        f.write(text)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def idx_bytes(arr):
    """MNIST's IDX format: 0, 0, type code, rank; each dimension as a big-endian uint32; big-endian data."""
    code = IDX_TYPES[arr.dtype.type]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


@contextmanager
def fixed_clock():
    """Pin the zip member timestamps (zipfile uses time.localtime) to 1980-01-01 00:00."""
    with mock.patch("time.localtime", return_value=time.struct_time((1980, 1, 1, 0, 0, 0, 1, 1, 0))):
        yield


def train_x():
    i, j = np.meshgrid(np.arange(12), np.arange(3), indexing="ij")
    return i + j / 10


def test_x():
    i, j = np.meshgrid(np.arange(6), np.arange(3), indexing="ij")
    return 100 + i + j / 10


def train_y():
    return np.arange(12, dtype=np.int64) % 3


def test_y():
    return (np.arange(6, dtype=np.int64) + 1) % 3


def images(n, test=False):
    v = np.arange(n * 16).reshape(n, 4, 4)
    return (200 - v if test else v).astype(np.uint8)


def csv_rows(x):
    return [",".join(repr(float(v)) for v in row) for row in x]


def main():
    os.makedirs(OUT, exist_ok=True)
    # Remove this script's earlier outputs only: other tools keep their fixtures here too (KEEP, sub-folders).
    for old in os.listdir(OUT):
        if old not in KEEP and os.path.isfile(path(old)) and not old.startswith("mlp_reference"):
            os.remove(path(old))

    # .npy: float64 and float32 inputs, int64 labels, float targets, uint8 images (3-D: flattened on load).
    np.save(path("x_f64.npy"), train_x())
    np.save(path("x_f32.npy"), train_x().astype(np.float32))
    np.save(path("y_int64.npy"), train_y())
    np.save(path("test_x_f64.npy"), test_x())
    np.save(path("test_y_int64.npy"), test_y())
    np.save(path("y_regression.npy"), np.stack([np.arange(12) * 0.5, -np.arange(12.0)], axis=1))  # 12 x 2
    np.save(path("images_u8.npy"), images(12))
    write_bytes("x_f64.npy.gz", gz(npy_bytes(train_x())))
    # 200 kB of zeros in 200 bytes: the last piece of input decompresses to many output buffers.
    write_bytes("zeros_u8.npy.gz", gz(npy_bytes(np.zeros((50000, 4), dtype=np.uint8))))

    # .npz: several members (stored, like np.savez), and a single compressed member.
    with fixed_clock():
        np.savez(path("data.npz"), x_train=train_x(), y_train=train_y(), x_test=test_x(), y_test=test_y())
        np.savez_compressed(path("single.npz"), x=train_x())

    # .csv: with a header and Unix line endings; without a header, CRLF endings, blank lines, no final newline;
    # labels as one column with a header; a gzipped copy.
    write_text("x_header.csv", "a,b,c\n" + "\n".join(csv_rows(train_x())) + "\n")
    rows = csv_rows(train_x())
    write_text("x_noheader.csv", "\r\n".join(rows[:4] + [""] + rows[4:8] + ["  "] + rows[8:]))
    write_text("y_labels.csv", "label\n" + "\n".join(str(v) for v in train_y()) + "\n")
    write_bytes("x_noheader.csv.gz", gz(open(path("x_noheader.csv"), "rb").read()))

    # IDX, MNIST's exact layout and names: images (N, 4, 4) and labels (N,), plain and gzipped.
    write_bytes("train-images-idx3-ubyte", idx_bytes(images(12)))
    write_bytes("train-labels-idx1-ubyte", idx_bytes(train_y().astype(np.uint8)))
    write_bytes("train-images-idx3-ubyte.gz", gz(idx_bytes(images(12))))
    write_bytes("train-labels-idx1-ubyte.gz", gz(idx_bytes(train_y().astype(np.uint8))))
    write_bytes("t10k-images-idx3-ubyte.gz", gz(idx_bytes(images(6, test=True))))
    write_bytes("t10k-labels-idx1-ubyte.gz", gz(idx_bytes(test_y().astype(np.uint8))))
    # The other IDX element types (big-endian), each a small array with a known formula.
    write_bytes("values_i1.idx", idx_bytes((np.arange(5) - 2).astype(np.int8)))
    write_bytes("values_i2.idx", idx_bytes((np.arange(5) * 150 - 300).astype(np.int16)))
    write_bytes("values_i4.idx", idx_bytes((np.arange(5) * 35000 - 70000).astype(np.int32)))
    write_bytes("values_f4.idx", idx_bytes((np.arange(6).reshape(2, 3) * 0.25 - 1).astype(np.float32)))
    write_bytes("values_f8.idx", idx_bytes(np.arange(6).reshape(2, 3) * 0.5 - 1))

    # Malformed files, one problem each.
    write_text("ragged.csv", "1,2,3\n4,5,6\n7,8\n10,11,12\n")                # line 3: 2 columns, not 3
    write_text("nonnumeric.csv", "a,b,c\n1,2,3\n4,5,6\n7,abc,9\n")           # line 4, column 2: `abc`
    good_idx = idx_bytes(images(12))
    write_bytes("truncated-images-idx3-ubyte", good_idx[:16 + 100])            # 100 of 192 data bytes
    write_bytes("badmagic.idx", b"\x01\x02" + good_idx[2:])                    # first two bytes must be 0
    write_bytes("badtype.idx", good_idx[:2] + b"\x0A" + good_idx[3:])          # 0x0A is no IDX type
    compressed = bytearray(gz(npy_bytes(train_x())))
    for k in range(20, 40):                                                    # garble the deflate data
        compressed[k] ^= 0x5A
    write_bytes("corrupt.npy.gz", bytes(compressed))
    write_bytes("truncated.npy.gz", gz(npy_bytes(train_x()))[:60])            # gzip stream cut short
    np.save(path("y_short.npy"), train_y()[:11])                               # 11 targets for 12 inputs
    np.save(path("test_x_wide.npy"), np.hstack([test_x(), np.ones((6, 1))]))   # 4 features, train has 3
    np.save(path("y_halves.npy"), np.arange(12) * 0.5)                        # not class ids: 0.5 in row 1

    # Pipelines for the stage tests (paths relative to this folder).
    write_text("load_idx.yaml", """\
pipeline: load-idx
stages:
  data:
    use: data.load
    with:
      train_inputs: train-images-idx3-ubyte.gz
      train_targets: train-labels-idx1-ubyte.gz
      test_inputs: t10k-images-idx3-ubyte.gz
      test_targets: t10k-labels-idx1-ubyte.gz
      classes: [2, 0]
      per_class: 3
      encoding: plusminus
      normalize: scale
""")
    write_text("load_npz.yaml", """\
pipeline: load-npz
stages:
  data:
    use: data.load
    with:
      train_inputs: data.npz
      train_inputs_key: x_train
      train_targets: data.npz
      train_targets_key: y_train
      test_inputs: data.npz
      test_inputs_key: x_test
      test_targets: data.npz
      test_targets_key: y_test
      encoding: onehot
      normalize: standardize
""")

    # Check the valid files against numpy's own readers.
    assert np.array_equal(np.load(path("x_f64.npy")), train_x())
    with np.load(path("data.npz")) as z:
        assert list(z.keys()) == ["x_train", "y_train", "x_test", "y_test"]
    assert np.array_equal(np.loadtxt(path("x_header.csv"), delimiter=",", skiprows=1), train_x())
    lines = [ln for ln in open(path("x_noheader.csv"), newline="").read().split("\r\n") if ln.strip()]
    assert np.array_equal(np.loadtxt(io.StringIO("\n".join(lines)), delimiter=","), train_x())
    raw = gzip.decompress(open(path("train-images-idx3-ubyte.gz"), "rb").read())
    assert raw[:4] == b"\x00\x00\x08\x03" and struct.unpack(">3I", raw[4:16]) == (12, 4, 4)
    assert np.array_equal(np.frombuffer(raw[16:], np.uint8).reshape(12, 4, 4), images(12))
    for name in ("corrupt.npy.gz", "truncated.npy.gz"):
        try:
            gzip.decompress(open(path(name), "rb").read())
        except Exception:
            pass
        else:
            raise AssertionError(f"gzip unexpectedly decompressed {name}")

    # Inputs with a NaN cell (row 4, column 2): data.load must refuse them, naming the file and the position.
    with_nan = train_x().copy()
    with_nan[4, 2] = np.nan
    write_text("x_nan.csv", "\n".join(csv_rows(with_nan)) + "\n")

    names = sorted(os.listdir(OUT))
    total = sum(os.path.getsize(path(n)) for n in names)
    assert total < 50_000, total
    print(f"wrote {len(names)} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
