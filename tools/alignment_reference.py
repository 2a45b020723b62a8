#!/usr/bin/env python3
"""Independent numpy reference for Tangent's kernel metrics (Sources/TangentNTK/Analysis: KernelAlignment,
KernelSpectrum, KernelSpecialization). Writes, deterministically,

  Tests/TangentNTKTests/Fixtures/alignment_kernels.npz   per-head kernels `heads` (C, N, N), targets `y` (N, C),
                                                         and a loss curve `loss_steps`, `losses` for the power-law fit
  Tests/TangentNTKTests/Fixtures/alignment_expected.json the metrics computed below

    python3 tools/alignment_reference.py
"""
import json
import os
import numpy as np

rng = np.random.default_rng(7)
N, C = 12, 3
feats = [rng.standard_normal((N, 5)) for _ in range(C)]
heads = np.stack([f @ f.T + 0.1 * np.eye(N) for f in feats])
labels = np.arange(N) % C
y = np.eye(C)[labels] + 0.05 * rng.standard_normal((N, C))


def alignment(K, Y, centered=False):
    Y = Y.reshape(len(Y), -1)
    if centered:
        H = np.eye(len(K)) - np.ones((len(K), len(K))) / len(K)
        K, Y = H @ K @ H, H @ Y
    return float(np.trace(Y.T @ K @ Y) / (np.linalg.norm(K) * np.linalg.norm(Y @ Y.T)))


def ksm(variant):
    A = np.array([[alignment(heads[c], y[:, d]) for d in range(C)] for c in range(C)])
    if variant == "mean_diagonal":
        return (A / np.mean(np.diag(A))).tolist()
    return (A / A.mean(axis=0, keepdims=True)).tolist()


trace = heads.sum(axis=0)
w, V = np.linalg.eigh(trace)
w, V = w[::-1], V[:, ::-1]
proj = ((V.T @ y) ** 2).sum(axis=1)
cumulative = np.cumsum(proj) / (y ** 2).sum()
expected = {
    "alignment_trace": alignment(trace, y),
    "alignment_trace_centered": alignment(trace, y, centered=True),
    "alignment_heads": [alignment(heads[c], y[:, c]) for c in range(C)],
    "eigenvalues_trace": w.tolist(),
    "cumulative_power_trace": {str(k): float(cumulative[k - 1]) for k in [1, 2, 5, 10]},
    "effective_rank_trace": float(w.sum() ** 2 / (w ** 2).sum()),
    "ksm_mean_diagonal": ksm("mean_diagonal"),
    "ksm_per_target": ksm("per_target"),
    "cosine_head0_head1": float((heads[0] * heads[1]).sum() / (np.linalg.norm(heads[0]) * np.linalg.norm(heads[1]))),
}
# Power-law fit of a loss curve: a plateau, a fast drop, then L ∝ t^-0.6 with multiplicative noise.
loss_steps = np.unique(np.round(np.logspace(0, 4, 50)).astype(int))
losses = np.where(loss_steps < 200, 2.0, 2.0 * (loss_steps / 200.0) ** -0.6) * np.exp(0.05 * rng.standard_normal(len(loss_steps)))
window = loss_steps >= loss_steps[-1] // 10
slope, intercept = np.polyfit(np.log(loss_steps[window]), np.log(losses[window]), 1)
fitted = intercept + slope * np.log(loss_steps[window])
ss_res = ((np.log(losses[window]) - fitted) ** 2).sum()
ss_tot = ((np.log(losses[window]) - np.log(losses[window]).mean()) ** 2).sum()
expected["power_law_alpha"] = float(-slope)
expected["power_law_coefficient"] = float(np.exp(intercept))
expected["power_law_r_squared"] = float(1 - ss_res / ss_tot)

folder = os.path.join(os.path.dirname(__file__), "..", "Tests", "TangentNTKTests", "Fixtures")
os.makedirs(folder, exist_ok=True)
np.savez(os.path.join(folder, "alignment_kernels.npz"), heads=heads, y=y, loss_steps=loss_steps, losses=losses)
with open(os.path.join(folder, "alignment_expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print("wrote", os.path.normpath(folder))
