#!/usr/bin/env python3
"""Independent numpy reference for `analysis.spectral` (Sources/TangentNTK/Analysis/SpectralNorms.swift).

Writes, in Tests/TangentStagesTests/Fixtures/analysis/:
  spectral_trajectory.npz  a trajectory-like archive: times (T,) and W0, W1, W2 stacked over snapshots,
                           each (T, fan_out, fan_in), widths [3, 5, 4, 2]; snapshot 0 is the initial network,
                           later snapshots add a rank-one and then a dense update;
  spectral_expected.json   for every snapshot t and layer l, with W0_l = snapshot 0 and s_l = sqrt(fan_out/fan_in):
                             spectral = ||W||_2 (largest singular value), delta_spectral = ||W - W0||_2,
                             frobenius = ||W||_F, delta_frobenius = ||W - W0||_F,
                             stable_rank = ||W||_F^2 / ||W||_2^2,
                             spectral_ratio = ||W||_2 / s_l, delta_spectral_ratio = ||W - W0||_2 / s_l.

    python3 tools/spectral_reference.py                  # regenerate the fixture
    python3 tools/spectral_reference.py run/train/snapshots.npz   # print the metrics of a saved trajectory
"""
import json
import os
import sys
import numpy as np


def metrics(stacked):
    """{layer name: list over snapshots of {quantity: value}} for arrays W<l> of shape (T, fan_out, fan_in)."""
    out = {}
    for name in sorted(k for k in stacked if k.startswith("W")):
        W = stacked[name]
        rows = []
        for t in range(W.shape[0]):
            w, d = W[t], W[t] - W[0]
            spec, dspec = np.linalg.norm(w, 2), np.linalg.norm(d, 2)
            fro, dfro = np.linalg.norm(w, "fro"), np.linalg.norm(d, "fro")
            s = np.sqrt(w.shape[0] / w.shape[1])
            rows.append({
                "spectral": spec, "delta_spectral": dspec, "frobenius": fro, "delta_frobenius": dfro,
                "stable_rank": fro**2 / spec**2 if spec > 0 else 0.0,
                "spectral_ratio": spec / s, "delta_spectral_ratio": dspec / s,
            })
        out[name] = rows
    return out


def main():
    if len(sys.argv) > 1:
        with np.load(sys.argv[1]) as z:
            print(json.dumps(metrics(dict(z)), indent=1))
        return
    rng = np.random.default_rng(6)
    widths = [3, 5, 4, 2]
    times = np.array([0, 10, 20], dtype=np.int64)
    stacked = {}
    for l in range(3):
        w0 = rng.standard_normal((widths[l + 1], widths[l])) / np.sqrt(widths[l])
        u, v = rng.standard_normal(widths[l + 1]), rng.standard_normal(widths[l])
        w1 = w0 + 0.3 * np.outer(u, v)                                      # rank-one change
        w2 = w1 + 0.2 * rng.standard_normal(w0.shape)                       # dense change
        stacked[f"W{l}"] = np.stack([w0, w1, w2])
    folder = os.path.join(os.path.dirname(__file__), "..", "Tests", "TangentStagesTests", "Fixtures", "analysis")
    os.makedirs(folder, exist_ok=True)
    np.savez(os.path.join(folder, "spectral_trajectory.npz"), times=times, **stacked)
    expected = {"times": times.tolist(), "layers": metrics(stacked)}
    with open(os.path.join(folder, "spectral_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
