#!/usr/bin/env python3
"""Independent numpy reference for Tangent's MLP forward pass (docs/science.md, Sources/TangentNTK/Model).

Writes Tests/TangentStagesTests/Fixtures/mlp_reference.npz holding weights W0, b0, W1, b1, W2, b2 (W_l of shape
(fan_out, fan_in)), a batch x, and the outputs f_<parametrization> of the network for each parametrization with
activation tanh, sigma = 1.5, sigma_b = 0.5, gamma0 = 0.7:

    h_l = a_l * x_{l-1} @ W_l.T + beta_l * b_l,   x_l = phi(h_l),   f = h_{L+1}

    standard, mup, spectral: a_l = 1, beta_l = 1
    ntk:                     a_l = sigma / sqrt(fan_in), beta_l = sigma_b
    meanfield:               a_l = 1 / sqrt(fan_in) (hidden), 1 / (gamma0 * fan_in) (output),
                             beta_l = 1 (hidden), 1 / (gamma0 * sqrt(n_L)) (output; n_L = its fan_in)

    python3 tools/mlp_reference.py
"""
import os
import numpy as np

SIGMA, SIGMA_B, GAMMA0 = 1.5, 0.5, 0.7
widths = [3, 5, 4, 2]
rng = np.random.default_rng(2024)
weights = [rng.standard_normal((widths[l + 1], widths[l])) for l in range(3)]
biases = [rng.standard_normal(widths[l + 1]) for l in range(3)]
x = rng.standard_normal((6, 3))


def forward(param):
    h = x
    for l, (W, b) in enumerate(zip(weights, biases)):
        fan_in = W.shape[1]
        last = l == len(weights) - 1
        if param == "ntk":
            a, beta = SIGMA / np.sqrt(fan_in), SIGMA_B
        elif param == "meanfield":
            a, beta = (1 / (GAMMA0 * fan_in), 1 / (GAMMA0 * np.sqrt(fan_in))) if last else (1 / np.sqrt(fan_in), 1.0)
        else:
            a, beta = 1.0, 1.0
        h = a * h @ W.T + beta * b
        if not last:
            h = np.tanh(h)
    return h


arrays = {f"W{l}": weights[l] for l in range(3)}
arrays.update({f"b{l}": biases[l] for l in range(3)})
arrays["x"] = x
for p in ["standard", "ntk", "mup", "spectral", "meanfield"]:
    arrays[f"f_{p}"] = forward(p)
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "TangentStagesTests", "Fixtures", "mlp_reference.npz")
np.savez(out, **arrays)
print("wrote", os.path.normpath(out))
