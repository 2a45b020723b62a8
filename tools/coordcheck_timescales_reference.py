#!/usr/bin/env python3
"""Independent numpy reference for the coordinate-check metrics (RMS of preactivations h_l and of their change,
the fitted width exponent) and the silent-alignment time scales (Sources/TangentNTK/Analysis/CoordinateCheck.swift,
TimeScales.swift). Writes deterministically

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
expected["t_align"] = int(steps[np.argmax(A >= 0.9 * A[-1])])
expected["t_norm"] = int(steps[np.argmax(norms >= 0.1 * norms[-1])])
expected["t_half"] = int(steps[np.argmax(losses <= 0.5 * losses[0])])
expected["alignment"] = A.tolist()
arrays.update(kernels=kernels, y=y, steps=steps, losses=losses)

folder = os.path.join(os.path.dirname(__file__), "..", "Tests", "TangentNTKTests", "Fixtures")
np.savez(os.path.join(folder, "coordcheck_timescales.npz"), **arrays)
with open(os.path.join(folder, "coordcheck_timescales_expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print("wrote", os.path.normpath(folder), expected["t_align"], expected["t_norm"], expected["t_half"])
