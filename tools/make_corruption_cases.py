#!/usr/bin/env python3
"""Randomly corrupted copies of .npy and .npz fixtures, with numpy's verdict on each: the reference for
`randomCorruption` tests in Tests/TangentCoreTests (NPYTests.swift, NPZTests.swift).

Run from anywhere:  python3 tools/make_corruption_cases.py
Output:             Tests/TangentCoreTests/Fixtures/corruption/<fixture>.json

Each case is a list of byte edits [offset, new byte] applied to the fixture and numpy's outcome on the result:
`{"ok": true, "shape": [...], "dtype": "<i4", "float64_bits": [...]}` when np.load reads it (every member, for an
.npz; the values as the bit patterns of their float64 conversion, so NaNs compare exactly),
or `{"ok": false, "error": "<Python exception name>"}`. Tangent must agree: read what numpy reads, with the same
shape, dtype and values; refuse what numpy refuses. Edits are drawn from a seeded generator, so the cases are
reproducible; only this script's own output folder is written.
"""
import io
import json
import os
import random

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "TangentCoreTests", "Fixtures")
OUT = os.path.join(FIXTURES, "corruption")
CASES = 400


def outcome(data, archive):
    try:
        if archive:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                members = {name: z[name] for name in z.files}
            return {"ok": True, "members": {n: describe(a) for n, a in sorted(members.items())}}
        return {"ok": True, **describe(np.load(io.BytesIO(data), allow_pickle=False))}
    except Exception as e:  # numpy's verdict, whatever the reason
        return {"ok": False, "error": type(e).__name__}


def describe(a):
    """Shape, dtype and the values as the bit patterns of their float64 conversion (exact, NaN included)."""
    c = np.array(a, order="C", copy=True)  # (ascontiguousarray would make a 0-d array 1-d)
    bits = c.astype(np.float64).ravel().view(np.int64).tolist() if c.dtype.kind in "iufb" else None
    return {"shape": list(c.shape), "dtype": c.dtype.str, "float64_bits": bits}


def cases(name, archive, seed):
    original = open(os.path.join(FIXTURES, name), "rb").read()
    rng = random.Random(seed)
    out = []
    for k in range(CASES):
        data = bytearray(original)
        # Half the cases damage the first 128 bytes (preamble and header, or the first local header), half anywhere.
        upper = min(len(data), 128) if k % 2 == 0 else len(data)
        edits = []
        for _ in range(rng.randint(1, 3)):
            offset = rng.randrange(upper)
            byte = rng.randrange(256)
            data[offset] = byte
            edits.append([offset, byte])
        out.append({"edits": edits, "numpy": outcome(bytes(data), archive)})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, archive, seed in [("i4_2x3x4.npy", False, 1), ("fortran_i4_2x3x4.npy", False, 2),
                                ("f8_3x4.npy", False, 3), ("savez.npz", True, 4), ("savez_compressed.npz", True, 5)]:
        result = cases(name, archive, seed)
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump({"fixture": name, "numpy": np.__version__, "cases": result}, f, separators=(",", ":"))
        ok = sum(c["numpy"]["ok"] for c in result)
        print(f"{path}: {len(result)} cases, numpy reads {ok}")


if __name__ == "__main__":
    main()
