#!/usr/bin/env python3
"""Independent numpy reference for the coordinate-check metrics (RMS of preactivations h_l and of their change,
the fitted width exponent) and the silent-alignment time scales and verdict (Sources/TangentNTK/Analysis/
CoordinateCheck.swift, TimeScales.swift). Writes deterministically

  Tests/TangentNTKTests/Fixtures/coordcheck_timescales.npz
  Tests/TangentNTKTests/Fixtures/coordcheck_timescales_expected.json

    python3 tools/coordcheck_timescales_reference.py
"""
import json
import os
import numpy as np

rng = np.random.default_rng(11)
arrays = {}
expected = {}

# --- Coordinate check: a tanh MLP in the standard parametrization (h_l = W_l x_{l-1}, no bias) at init and later.
widths = [4, 6, 5, 2]
x = rng.standard_normal((8, 4))
init = [rng.standard_normal((widths[l + 1], widths[l])) / np.sqrt(widths[l]) for l in range(3)]
later = [w + 0.1 * rng.standard_normal(w.shape) for w in init]


def preactivations(ws):
    hs, a = [], x
    for l, w in enumerate(ws):
        h = a @ w.T
        hs.append(h)
        a = np.tanh(h)
    return hs


h0, h1 = preactivations(init), preactivations(later)
expected["rms"] = [float(np.sqrt(np.mean(h ** 2))) for h in h1]
expected["rms_delta"] = [float(np.sqrt(np.mean((b - a) ** 2))) for a, b in zip(h0, h1)]
arrays["x"] = x
for l in range(3):
    arrays[f"init_W{l}"] = init[l]
    arrays[f"later_W{l}"] = later[l]
fit_widths = np.array([64.0, 128, 256, 512])
fit_values = 0.3 * fit_widths ** 0.5 * np.exp(0.05 * rng.standard_normal(4))
expected["exponent"] = float(np.polyfit(np.log(fit_widths), np.log(fit_values), 1)[0])
arrays["fit_widths"], arrays["fit_values"] = fit_widths, fit_values

# --- Time scales: a kernel that aligns with y early and grows in scale later; losses from the same run.
N = 10
y = rng.standard_normal((N, 1))
steps = np.array([0, 5, 10, 20, 40, 80, 160])
align_mix = np.array([0.0, 0.3, 0.8, 0.95, 0.97, 0.97, 0.97])
scale = np.array([1e-3, 1e-3, 2e-3, 5e-3, 0.5, 5, 10])
B = rng.standard_normal((N, N))
base = B @ B.T / N
kernels = np.stack([s * (m * (y @ y.T) / (y.T @ y).item() + (1 - m) * base) for m, s in zip(align_mix, scale)])
losses = np.array([1.0, 1.0, 0.99, 0.98, 0.6, 0.3, 0.01])


def alignment(K):
    return float((y.T @ K @ y).item() / (np.linalg.norm(K) * (y.T @ y).item()))


A = np.array([alignment(K) for K in kernels])
norms = np.linalg.norm(kernels, axis=(1, 2))


def first_step(values, threshold, grid):
    hits = np.nonzero(values >= threshold)[0]
    return int(grid[hits[0]]) if hits.size else None


def snapshots_between(a, b, grid):
    # d(a, b) = #{grid <= b} - #{grid <= a}
    return int(np.searchsorted(grid, b, side="right") - np.searchsorted(grid, a, side="right"))


def timescales(grid, A, norms, loss_steps, losses, alignment_fraction=0.9, norm_fraction=0.1, min_rise=0.1,
               min_snapshots=2):
    """The silent-alignment times and verdict of TimeScales.swift, written out separately."""
    grid, A, norms = np.asarray(grid), np.asarray(A, float), np.asarray(norms, float)
    loss_steps, losses = np.asarray(loss_steps), np.asarray(losses, float)
    rise = float(A.max() - A[0])
    out = {
        "t_align": first_step(A - A[0], alignment_fraction * rise, grid),
        "t_norm": first_step(norms, norm_fraction * norms[-1], grid),
        "t_norm_10": first_step(norms, 0.1 * norms[-1], grid),
        "t_norm_90": first_step(norms, 0.9 * norms[-1], grid),
        "t_half": first_step(-losses, -0.5 * losses[0], loss_steps),
        "alignment_rise": rise,
    }
    a, n, h = out["t_align"], out["t_norm"], out["t_half"]
    d = {}
    for key, (x, y) in {"align_to_norm": (a, n), "align_to_half": (a, h), "norm_to_half": (n, h)}.items():
        d[key] = None if x is None or y is None else snapshots_between(x, y, grid)
        out["snapshots_" + key] = d[key]
    m = min_snapshots
    if a is None or n is None or h is None or rise < min_rise:
        verdict = "inconclusive"
    elif d["align_to_norm"] >= m and d["align_to_half"] >= m and d["norm_to_half"] >= 0:
        verdict = "holds"
    elif min(d.values()) <= -m:
        verdict = "fails"
    else:
        verdict = "inconclusive"
    out["verdict"] = verdict
    return out


t = timescales(steps, A, norms, steps, losses)
expected["t_align"], expected["t_norm"], expected["t_half"] = t["t_align"], t["t_norm"], t["t_half"]
expected["timescales"] = t
expected["alignment"] = A.tolist()
# The cosine of the trace kernel at the last snapshot with step <= t_half with the final kernel.
h = int(np.nonzero(steps <= t["t_half"])[0][-1])
expected["kernel_cosine_half_final"] = float(np.sum(kernels[h] * kernels[-1])
                                             / (np.linalg.norm(kernels[h]) * np.linalg.norm(kernels[-1])))
arrays.update(kernels=kernels, y=y, steps=steps, losses=losses)

# Verdict cases: sigmoidal A(t), ‖K(t)‖ and loss over a log-spaced snapshot grid with a denser loss grid, their
# crossing points drawn at random (sorted in every other case), and m drawn from 1..3.
grid = np.unique(np.round(np.geomspace(1, 1000, 25)).astype(int))
grid = np.concatenate([[0], grid])
loss_grid = np.unique(np.concatenate([grid, np.round(np.geomspace(1, 1000, 40)).astype(int)]))
cases = []
for case in range(24):
    k = len(grid)
    ia, inorm, ih = rng.integers(1, k - 1, size=3)
    if case % 2 == 0:  # every other case in the claimed order (with ties), so that `holds` occurs too
        ia, inorm, ih = np.sort([ia, inorm, ih])
    a0 = rng.choice([0.1, 0.5, 0.9])
    A_case = a0 + (1 - a0) * (1 / (1 + np.exp(-(np.arange(k) - ia) * 1.5)))
    A_case[0] = a0
    n_case = 1e-3 + 10 / (1 + np.exp(-(np.arange(k) - inorm) * 1.5))
    tl = np.interp(loss_grid, grid, np.arange(k))
    l_case = 1 / (1 + np.exp((tl - ih) * 1.5)) + 1e-3
    m = int(rng.integers(1, 4))
    cases.append({"steps": grid.tolist(), "alignment": A_case.tolist(), "norms": n_case.tolist(),
                  "loss_steps": loss_grid.tolist(), "losses": l_case.tolist(), "min_snapshots": m,
                  "expected": timescales(grid, A_case, n_case, loss_grid, l_case, min_snapshots=m)})
expected["verdict_cases"] = cases
print("verdicts:", {v: sum(c["expected"]["verdict"] == v for c in cases) for v in ["holds", "fails", "inconclusive"]})

folder = os.path.join(os.path.dirname(__file__), "..", "Tests", "TangentNTKTests", "Fixtures")
np.savez(os.path.join(folder, "coordcheck_timescales.npz"), **arrays)
with open(os.path.join(folder, "coordcheck_timescales_expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print("wrote", os.path.normpath(folder), expected["t_align"], expected["t_norm"], expected["t_half"])
