#!/usr/bin/env python3
"""Independent numpy reference for `analysis.kernel_regression` (Sources/TangentNTK/Analysis,
docs/science.md, "Kernel regression with NTKs").

Builds a small deterministic kernel series and dataset, saves them under Tests/TangentStagesTests/Fixtures/analysis/
(kernels.npz bundles the arrays ntk.snapshots writes as ntk.npy (T, C, P, P), trace.npy (T, P, P),
test.npy (T, C, P_test, P) and times.npy; the test writes them into a kernels folder;
data.npz: y, y_test, f0, f0_test, f_nn_test) and writes the expected metrics to kernel_regression_expected.json:

    kernel predictor   f = f0 + K(x, X) (K + rho I)^{-1} (Y - f0(X))          (np.linalg.solve)
    test MSE           mean over all test entries of (f - y)^2
    relative error     |f_K - f_NN|_F / |f_NN|_F over all test points and outputs
    KGD                f_{t+1} = f_t - eta * (1/P) * K0 (f_t - Y)     (direct recursion, mean loss normalization)
    aKGD               K0 scaled by |K(t)|_F / |K(0)|_F, linear in the step between snapshots, constant after the last
    losses             1/(2P) sum (f - y)^2 on train and on test (the network's loss)

    python3 tools/kernel_regression_reference.py
"""
import json
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TangentStagesTests", "Fixtures", "analysis")
P, PT, C, D = 8, 4, 2, 6
TIMES = [0, 5, 10]
ETA = 0.3
LOG_STEPS = [0, 1, 2, 5, 9, 15]
RIDGES = [0.0, 0.1]


def kernel_regression_reference():
    rng = np.random.default_rng(20261123)
    T = len(TIMES)
    ntk = np.zeros((T, C, P, P))
    test = np.zeros((T, C, PT, P))
    for t in range(T):
        for c in range(C):
            z = rng.standard_normal((P + PT, D)) * (1 + 0.3 * t)
            full = z @ z.T / D
            ntk[t, c] = full[:P, :P] + 0.05 * np.eye(P)
            test[t, c] = full[P:, :P]
    trace = ntk.sum(axis=1)
    y = rng.standard_normal((P, C))
    y_test = rng.standard_normal((PT, C))
    f0 = 0.1 * rng.standard_normal((P, C))
    f0_test = 0.1 * rng.standard_normal((PT, C))
    f_nn_test = rng.standard_normal((PT, C))

    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, "kernels.npz"), ntk=ntk, trace=trace, test=test, times=np.array(TIMES, dtype=np.int64))
    np.savez(os.path.join(OUT, "data.npz"), y=y, y_test=y_test, f0=f0, f0_test=f0_test, f_nn_test=f_nn_test)

    def predict(ks, kts, rho):
        f, ft = f0.copy(), f0_test.copy()
        if len(ks) == 1:
            alpha = np.linalg.solve(ks[0] + rho * np.eye(P), y - f0)
            return f + ks[0] @ alpha, ft + kts[0] @ alpha
        for c in range(C):
            alpha = np.linalg.solve(ks[c] + rho * np.eye(P), y[:, c] - f0[:, c])
            f[:, c] += ks[c] @ alpha
            ft[:, c] += kts[c] @ alpha
        return f, ft

    regression = []
    for t in range(T):
        for head in ["per_head", "trace"]:
            ks = list(ntk[t]) if head == "per_head" else [trace[t]]
            kts = list(test[t]) if head == "per_head" else [test[t].sum(axis=0)]
            for rho in RIDGES:
                f, ft = predict(ks, kts, rho)
                regression.append({
                    "time": t, "kernel_head": head, "ridge": rho,
                    "train_mse": float(np.mean((f - y) ** 2)),
                    "test_mse": float(np.mean((ft - y_test) ** 2)),
                    "relative_error": float(np.linalg.norm(ft - f_nn_test) / np.linalg.norm(f_nn_test)),
                })

    def ratio(step, c):
        norms = [np.linalg.norm(ntk[t, c]) for t in range(T)]
        if step >= TIMES[-1]:
            return norms[-1] / norms[0]
        k = next(i for i, s in enumerate(TIMES) if s >= step)
        if TIMES[k] == step or k == 0:
            return norms[k] / norms[0]
        w = (step - TIMES[k - 1]) / (TIMES[k] - TIMES[k - 1])
        return ((1 - w) * norms[k - 1] + w * norms[k]) / norms[0]

    def descent(adaptive):
        f, ft = f0.copy(), f0_test.copy()
        train, tst = [], []
        for step in range(max(LOG_STEPS) + 1):
            if step in LOG_STEPS:
                train.append(float(0.5 * np.sum((f - y) ** 2) / P))
                tst.append(float(0.5 * np.sum((ft - y_test) ** 2) / PT))
            r = f - y
            for c in range(C):
                a = ETA * (ratio(step, c) if adaptive else 1.0) / P
                f[:, c] = f[:, c] - a * ntk[0, c] @ r[:, c]
                ft[:, c] = ft[:, c] - a * test[0, c] @ r[:, c]
        return {"train_loss": train, "test_loss": tst}

    expected = {"learning_rate": ETA, "log_steps": LOG_STEPS, "regression": regression,
                "kgd": descent(False), "akgd": descent(True)}
    with open(os.path.join(OUT, "kernel_regression_expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)


if __name__ == "__main__":
    kernel_regression_reference()
