#!/usr/bin/env python3
"""Write the numpy goldens for NPYFileWriter and MappedNPY (Tests/TangentCoreTests).

Run from anywhere:  python3 tools/make_stream_fixtures.py
Output:             Tests/TangentCoreTests/Fixtures/streaming/  (relative to the repository root)

Each golden is `np.save` of an array whose elements follow the formulas of make_npy_fixtures.py (`values()`,
and `Expected` in NPYTests.swift), in shapes the first script does not cover: 4-d, a zero-length middle
axis, 0-d. SHA256SUMS holds hashlib's SHA-256 of every golden in `sha256sum` format, which the writer's
running digest must equal. The script removes only its own outputs and re-loads every file with numpy.
"""
import hashlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_npy_fixtures import make  # noqa: E402  (the shared element formulas)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TangentCoreTests", "Fixtures", "streaming")

# name -> (dtype tag, shape)
GOLDENS = {
    "f8_2x3x4x5.npy": ("f8", (2, 3, 4, 5)),
    "f4_3x4x5.npy": ("f4", (3, 4, 5)),
    "i8_2x2x3x3.npy": ("i8", (2, 2, 3, 3)),
    "f8_2x0x3.npy": ("f8", (2, 0, 3)),
    "f4_0.npy": ("f4", (0,)),
    "i8_scalar.npy": ("i8", ()),
    "f8_scalar.npy": ("f8", ()),
    "i4_7x3.npy": ("i4", (7, 3)),
    "u1_4x4.npy": ("u1", (4, 4)),
    "b1_3x5.npy": ("b1", (3, 5)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old in GOLDENS or old == "SHA256SUMS":
            os.remove(os.path.join(OUT, old))
    lines = []
    for name, (tag, shape) in GOLDENS.items():
        path = os.path.join(OUT, name)
        arr = make(tag, shape)
        np.save(path, arr)
        with open(path, "rb") as f:
            lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {name}\n")
        back = np.load(path)
        assert back.shape == arr.shape and back.dtype == arr.dtype and np.array_equal(back, arr), name
    with open(os.path.join(OUT, "SHA256SUMS"), "w") as f:
        f.writelines(lines)
    print(f"wrote {len(GOLDENS)} goldens and SHA256SUMS to {OUT}")


if __name__ == "__main__":
    main()
