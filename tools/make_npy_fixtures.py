#!/usr/bin/env python3
"""Write the golden .npy/.npz fixtures used by Tests/TangentCoreTests.

Run from anywhere:  python3 tools/make_npy_fixtures.py
Output:             Tests/TangentCoreTests/Fixtures/  (relative to the repository root)

Everything is deterministic: values come from np.arange-based formulas that the
Swift tests recompute (see `Expected` in NPYTests.swift), and the zip archives are
written with the clock pinned to 1980-01-01 00:00 so that re-running the script
reproduces the same bytes (for a given zlib version).  After writing, the script
re-loads every fixture with numpy: valid ones must round-trip, malformed ones must
fail, so the goldens are checked against numpy itself.
"""
import io
import os
import time
import zipfile
from contextlib import contextmanager
from unittest import mock

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TangentCoreTests", "Fixtures")

SHAPES = {"scalar": (), "empty": (0,), "5": (5,), "3x4": (3, 4), "2x3x4": (2, 3, 4), "1x1": (1, 1)}


def values(tag, n):
    """The element formulas; keep in sync with `Expected` in NPYTests.swift."""
    i = np.arange(n)
    if tag == "f8":
        return i.astype(np.float64) * 0.5 - 1.25
    if tag == "f4":
        return i.astype(np.float32) * np.float32(0.25) - np.float32(2.5)
    if tag == "i8":
        return i.astype(np.int64) * 3_000_000_007 - 5
    if tag == "i4":
        return i.astype(np.int32) * np.int32(100_003) - np.int32(7)
    if tag == "u1":
        return ((i * 37 + 3) % 256).astype(np.uint8)
    if tag == "b1":
        return (i % 3) == 0
    raise ValueError(tag)


def make(tag, shape):
    return values(tag, int(np.prod(shape, dtype=np.int64))).reshape(shape)


def path(name):
    return os.path.join(OUT, name)


def save(name, arr):
    np.save(path(name), arr, allow_pickle=True)


def write_bytes(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def npy_bytes(arr, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version)
    return buf.getvalue()


@contextmanager
def fixed_clock():
    """Pin the zip member timestamps (zipfile uses time.localtime) to 1980-01-01 00:00."""
    with mock.patch("time.localtime", return_value=time.struct_time((1980, 1, 1, 0, 0, 0, 1, 1, 0))):
        yield


def npz_contents():
    """Ordered members of savez.npz / savez_compressed.npz (arr_0 comes last: numpy appends positionals)."""
    return dict(
        f8=make("f8", (3, 4)),
        i8=make("i8", (5,)),
        i4=make("i4", (2, 3, 4)),
        u1=make("u1", (1, 1)),
        b1=make("b1", (5,)),
        f4=make("f4", (0,)),
        scalar=make("i4", ()),
    ), make("f4", (5,))


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith((".npy", ".npz")):
            os.remove(path(old))

    valid = {}  # name -> expected array (checked with np.load below)

    # One file per dtype and shape: the byte-identical goldens for NPY.encode.
    for tag in ("f8", "f4", "i8", "i4", "u1", "b1"):
        for stag, shape in SHAPES.items():
            name = f"{tag}_{stag}.npy"
            valid[name] = make(tag, shape)
            save(name, valid[name])
    valid["f8_0x3.npy"] = make("f8", (0, 3))
    save("f8_0x3.npy", valid["f8_0x3.npy"])
    # Shapes whose header lands exactly on numpy's padding edge cases (1 byte and a full 64 bytes of
    # padding): any off-by-one in the growth-axis spaces or the alignment changes the file length.
    for name, shape in (("u1_boundary_pad1.npy", (10,) + (1,) * 12 + (10,)),
                        ("u1_boundary_pad64.npy", (1,) + (1,) * 12 + (100,))):
        valid[name] = make("u1", shape)
        save(name, valid[name])
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, np.finfo(np.float64).max, -1e-300])
    valid["f8_special.npy"] = special
    save("f8_special.npy", special)

    # Fortran order (2-D and 3-D), format versions 2.0 and 3.0, big-endian dtypes.
    for name, arr in (("fortran_f8_3x4.npy", make("f8", (3, 4))), ("fortran_i4_2x3x4.npy", make("i4", (2, 3, 4)))):
        farr = np.asfortranarray(arr)
        assert farr.flags.f_contiguous and not farr.flags.c_contiguous
        valid[name] = arr
        save(name, farr)
    valid["v2_f8_3x4.npy"] = make("f8", (3, 4))
    write_bytes("v2_f8_3x4.npy", npy_bytes(valid["v2_f8_3x4.npy"], version=(2, 0)))
    valid["v3_f4_5.npy"] = make("f4", (5,))
    write_bytes("v3_f4_5.npy", npy_bytes(valid["v3_f4_5.npy"], version=(3, 0)))
    for tag in ("f8", "f4", "i8", "i4"):
        name = f"bigendian_{tag}_3x4.npy"
        arr = make(tag, (3, 4))
        big = arr.astype(arr.dtype.newbyteorder(">"))
        assert big.dtype.str == ">" + tag
        valid[name] = arr
        save(name, big)

    # A hand-written header: keys out of order, double quotes, odd whitespace, trailing comma in the tuple.
    header = b'{"shape":(2,3,) ,\n "fortran_order" :False,"descr":"<i8"}'
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    hand = make("i8", (2, 3))
    write_bytes("handwritten_header.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + hand.tobytes())
    valid["handwritten_header.npy"] = hand

    # Archives.
    kw, positional = npz_contents()
    with fixed_clock():
        np.savez(path("savez.npz"), positional, **kw)
        np.savez_compressed(path("savez_compressed.npz"), positional, **kw)

    # Malformed files.
    good = npy_bytes(make("f8", (3, 4)))
    write_bytes("bad_magic.npy", b"\x89PNG\r\n" + good[6:])
    write_bytes("truncated_data.npy", good[:128 + 40])
    write_bytes("truncated_header.npy", good[:50])
    assert b"'fortran_order': False" in good
    write_bytes("corrupt_header.npy", good.replace(b"'fortran_order': False", b"'fortran_order': Flase"))
    write_bytes("unsupported_version.npy", good[:6] + b"\x04\x00" + good[8:])
    save("unsupported_dtype_c16.npy", np.arange(3) * (1 + 2j))
    save("unsupported_dtype_U3.npy", np.array(["ab", "cde"]))
    save("unsupported_dtype_object.npy", np.array([1, "a", None], dtype=object))
    mismatch = bytearray(npy_bytes(make("f8", (2, 3))))
    mismatch += make("f8", (2,)).tobytes()  # header says 6 elements, 8 follow
    write_bytes("shape_mismatch.npy", bytes(mismatch))

    with fixed_clock():
        buf = io.BytesIO()
        np.savez(buf, a=make("f8", (3, 4)))
    archive = bytearray(buf.getvalue())
    data_start = archive.index(b"\x93NUMPY") + 128
    archive[data_start + 3] ^= 0xFF  # inside the member's array data: only the CRC notices
    write_bytes("bad_crc.npz", bytes(archive))
    write_bytes("truncated.npz", buf.getvalue()[: len(buf.getvalue()) // 2])
    with zipfile.ZipFile(path("bzip2.npz"), "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr(zipfile.ZipInfo("a.npy", date_time=(1980, 1, 1, 0, 0, 0)), npy_bytes(make("f8", (5,))),
                    compress_type=zipfile.ZIP_BZIP2)

    # Check every fixture against numpy itself.
    for name, expected in valid.items():
        got = np.load(path(name), allow_pickle=False)
        assert got.shape == expected.shape, name
        assert np.array_equal(got, expected, equal_nan=True), name
    for name in ("savez.npz", "savez_compressed.npz"):
        with np.load(path(name)) as z:
            assert list(z.keys()) == list(kw) + ["arr_0"], (name, list(z.keys()))
            for k, v in kw.items():
                assert np.array_equal(z[k], v) and z[k].dtype == v.dtype, (name, k)
            assert np.array_equal(z["arr_0"], positional)
    for name in ("bad_magic.npy", "truncated_data.npy", "truncated_header.npy", "corrupt_header.npy",
                 "unsupported_version.npy", "bad_crc.npz", "truncated.npz", "bzip2.npz"):
        try:
            loaded = np.load(path(name), allow_pickle=False)
            if isinstance(loaded, np.lib.npyio.NpzFile):
                for k in loaded.files:
                    loaded[k]
        except Exception:
            pass
        else:
            if name != "bzip2.npz":  # numpy reads bzip2 members; Tangent does not support them
                raise AssertionError(f"numpy unexpectedly loaded malformed fixture {name}")

    total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT) if n.endswith((".npy", ".npz")))
    print(f"wrote {len(os.listdir(OUT))} fixtures, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
