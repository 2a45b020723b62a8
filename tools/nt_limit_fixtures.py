#!/usr/bin/env python3
"""Infinite-width NNGP and NTK kernels of small fully connected networks, computed by neural-tangents, stored as
a fixture for Tangent's Swift tests. Writes, deterministically (fixed zip timestamps),

  Tests/TangentNTKTests/Fixtures/nt_limit_kernels.npz

    python3 tools/nt_limit_fixtures.py

Contents (all float64):
  x_train (6, 5), x_test (4, 5)       numpy default_rng(0) standard normals, x_train drawn first
  <act>_d<depth>_w<W_std>_b<b_std>_{nngp,ntk}_{train,test}
      act ∈ {linear, relu, erf}, depth ∈ {1, 2, 3}, (W_std, b_std) ∈ {(1.0, 0.0), (1.5, 0.3)} (stds as Python's
      repr of the float), e.g. relu_d2_w1.5_b0.3_ntk_test. `train` is kernel_fn(x_train, x_train) (6, 6), `test`
      is kernel_fn(x_test, x_train) (4, 6), of the network
          stax.serial(*[stax.Dense(512, W_std, b_std), act] * depth, stax.Dense(1, W_std, b_std))
      in the NTK parametrization (neural-tangents' default), with act = stax.Identity() for linear, stax.Relu()
      for relu and stax.Erf() (a=1, b=1, c=0: φ(x) = erf(x)) for erf. The width 512 does not enter the
      infinite-width kernels.

Environment. neural-tangents 0.6.5 (the latest) needs an old JAX and imports TensorFlow at import time, so,
unless the running interpreter already imports neural_tangents, the script creates a virtualenv at .venv-nt/ in
the repository root (NT_VENV overrides the location), installs the pins below into it and re-executes itself
there. Pins (work on CPython 3.9-3.11; TensorFlow 2.15 has no 3.12 wheels):

  jax==0.4.25 jaxlib==0.4.25 numpy==1.26.4 scipy==1.12.0 ml-dtypes==0.3.2 opt-einsum==3.3.0
  tensorflow-cpu==2.15.1 frozendict==2.4.4 dm-tree==0.1.8 absl-py==2.1.0
  then, with --no-deps: tf2jax==0.3.6 neural-tangents==0.6.5

neural-tangents and tf2jax declare a dependency on `tensorflow`, which would pull the full (CUDA-ready, ~500 MB)
wheel next to tensorflow-cpu; both are therefore installed with --no-deps after their real dependencies, and
`pip check` reports that `tensorflow` is missing, which is expected. A stamp file in the venv records the pins; a
venv whose stamp differs is reinstalled.

Independent check (numpy only): for depth 1, relu, W_std=1, b_std=0 the arc-cosine kernel
  NNGP(x, x') = (1/2π)·sqrt(q q')·(sin θ + (π − θ) cos θ),  q = |x|²/D,  cos θ = x·x'/(D·sqrt(q q')),
  NTK(x, x')  = NNGP(x, x') + (x·x'/D)·(π − θ)/(2π),
must match neural-tangents: the NNGP to 1e-12 (asserted). The NTK is asserted only to 1e-8: neural-tangents
takes θ = arccos(cos θ), which near θ = 0 turns a one-ulp rounding of cos θ into θ ≈ 1.5e-8, and so the NTK of a
point with itself can be off by ~q·θ/2 (2.4e-9 seen at x_train[1], where the exact value is q). A second check
runs the same layer recursions in numpy for every case (Dense: Σ ← W²Σ + b², Θ ← W²Θ + Σ; ReLU: the arc-cosine
kernels; erf: (2/π)·arcsin(2Σ₁₂/√((1+2Σ₁₁)(1+2Σ₂₂))) and (4/π)/√((1+2Σ₁₁)(1+2Σ₂₂) − 4Σ₁₂²)) and prints, per
case, the largest difference relative to the kernel's largest entry; it asserts that below 1e-7. A Swift
comparison should allow ~1e-8 relative on the ReLU NTKs.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nt_venv  # noqa: E402  (the pinned venv; re-executes this script inside it)

if not nt_venv.have_neural_tangents():
    nt_venv.bootstrap(__file__)

REPO = nt_venv.REPO

import io  # noqa: E402
import platform  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jaxlib  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

OUT = os.path.join(REPO, "Tests", "TangentNTKTests", "Fixtures", "nt_limit_kernels.npz")
ACTIVATIONS = {"linear": stax.Identity, "relu": stax.Relu, "erf": stax.Erf}
DEPTHS = [1, 2, 3]
STDS = [(1.0, 0.0), (1.5, 0.3)]


def versions():
    import scipy
    import tensorflow as tf
    return {
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "jax": jax.__version__, "jaxlib": jaxlib.__version__, "neural_tangents": nt.__version__,
        "tensorflow": tf.__version__,
    }


def network(act, depth, w, b):
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(512, W_std=w, b_std=b), ACTIVATIONS[act]()]
    return stax.serial(*layers, stax.Dense(1, W_std=w, b_std=b))


def kernels(kernel_fn, x1, x2):
    k = kernel_fn(x1, x2, ("nngp", "ntk"))
    return np.asarray(k.nngp, dtype=np.float64), np.asarray(k.ntk, dtype=np.float64)


def relu_depth1_reference(x1, x2):
    """Arc-cosine kernel of degree 1 (Cho & Saul) for a one-hidden-layer ReLU net, W_std=1, b_std=0."""
    d = x1.shape[1]
    q1 = (x1 ** 2).sum(axis=1) / d
    q2 = (x2 ** 2).sum(axis=1) / d
    dot = x1 @ x2.T / d
    norms = np.sqrt(np.outer(q1, q2))
    theta = np.arccos(np.clip(dot / norms, -1.0, 1.0))
    nngp = norms * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi)
    ntk = nngp + dot * (np.pi - theta) / (2 * np.pi)
    return nngp, ntk


def numpy_recursion(act, depth, w, b, x1, x2):
    """Independent numpy NNGP and NTK of the same network (NTK parametrization), tracking the diagonals."""
    d = x1.shape[1]
    s11, s22, s12 = (x1 ** 2).sum(axis=1) / d, (x2 ** 2).sum(axis=1) / d, x1 @ x2.T / d
    t12 = np.zeros_like(s12)

    def dense(s11, s22, s12, t12):
        s11, s22, s12 = w ** 2 * s11 + b ** 2, w ** 2 * s22 + b ** 2, w ** 2 * s12 + b ** 2
        return s11, s22, s12, w ** 2 * t12 + s12

    for _ in range(depth):
        s11, s22, s12, t12 = dense(s11, s22, s12, t12)
        if act == "relu":
            norms = np.sqrt(np.outer(s11, s22))
            theta = np.arccos(np.clip(s12 / norms, -1.0, 1.0))
            dot = (np.pi - theta) / (2 * np.pi)
            s12 = norms * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi)
            s11, s22 = s11 / 2, s22 / 2
            t12 = t12 * dot
        elif act == "erf":
            a11, a22 = 1 + 2 * s11, 1 + 2 * s22
            prod = np.outer(a11, a22)
            dot = 4 / np.pi / np.sqrt(prod - 4 * s12 ** 2)
            s12 = 2 / np.pi * np.arcsin(np.clip(2 * s12 / np.sqrt(prod), -1.0, 1.0))
            s11, s22 = 2 / np.pi * np.arcsin(2 * s11 / a11), 2 / np.pi * np.arcsin(2 * s22 / a22)
            t12 = t12 * dot
    _, _, s12, t12 = dense(s11, s22, s12, t12)
    return s12, t12


@contextmanager
def fixed_clock():
    """Pin the zip member timestamps (zipfile uses time.localtime) to 1980-01-01 00:00."""
    with mock.patch("time.localtime", return_value=time.struct_time((1980, 1, 1, 0, 0, 0, 1, 1, 0))):
        yield


def main():
    print("versions:", ", ".join("%s %s" % kv for kv in versions().items()))
    rng = np.random.default_rng(0)
    x_train = rng.standard_normal((6, 5))
    x_test = rng.standard_normal((4, 5))
    arrays = {"x_train": x_train, "x_test": x_test}
    for act in ACTIVATIONS:
        for depth in DEPTHS:
            for w, b in STDS:
                _, _, kernel_fn = network(act, depth, w, b)
                name = "%s_d%d_w%r_b%r" % (act, depth, w, b)
                for split, x1 in (("train", x_train), ("test", x_test)):
                    nngp, ntk = kernels(kernel_fn, x1, x_train)
                    assert nngp.dtype == np.float64 and np.all(np.isfinite(nngp)) and np.all(np.isfinite(ntk))
                    arrays["%s_nngp_%s" % (name, split)] = nngp
                    arrays["%s_ntk_%s" % (name, split)] = ntk

    # Independent numpy check of one case.
    for split, x1 in (("train", x_train), ("test", x_test)):
        ref_nngp, ref_ntk = relu_depth1_reference(x1, x_train)
        got_nngp = arrays["relu_d1_w1.0_b0.0_nngp_%s" % split]
        got_ntk = arrays["relu_d1_w1.0_b0.0_ntk_%s" % split]
        err_nngp = np.abs(got_nngp - ref_nngp).max()
        err_ntk = np.abs(got_ntk - ref_ntk).max()
        print("check relu_d1_w1.0_b0.0 %s: max |nt - arc-cosine| nngp %.3g, ntk %.3g" % (split, err_nngp, err_ntk))
        np.testing.assert_allclose(got_nngp, ref_nngp, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got_ntk, ref_ntk, rtol=0, atol=1e-8)  # arccos near θ = 0: see the docstring
    worst = 0.0
    for act in ACTIVATIONS:
        for depth in DEPTHS:
            for w, b in STDS:
                name = "%s_d%d_w%r_b%r" % (act, depth, w, b)
                diffs = []
                for split, x1 in (("train", x_train), ("test", x_test)):
                    for kind, ref in zip(("nngp", "ntk"), numpy_recursion(act, depth, w, b, x1, x_train)):
                        got = arrays["%s_%s_%s" % (name, kind, split)]
                        diffs.append(np.abs(got - ref).max() / np.abs(ref).max())
                worst = max(worst, max(diffs))
                print("recursion check %-22s max rel diff nngp %.1e, ntk %.1e"
                      % (name, max(diffs[0], diffs[2]), max(diffs[1], diffs[3])))
    assert worst < 1e-7, worst
    with np.printoptions(precision=15, linewidth=120):
        print("relu_d1_w1.0_b0.0_nngp_train (nt):\n", arrays["relu_d1_w1.0_b0.0_nngp_train"])
        print("arc-cosine reference (numpy):\n", relu_depth1_reference(x_train, x_train)[0])

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    buf = io.BytesIO()
    with fixed_clock():
        np.savez(buf, **arrays)
    with open(OUT, "wb") as f:
        f.write(buf.getvalue())
    print("wrote %s (%d arrays, %d bytes)" % (os.path.relpath(OUT, REPO), len(arrays), len(buf.getvalue())))


if __name__ == "__main__":
    main()
