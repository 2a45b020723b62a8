#!/usr/bin/env python3
"""Tangent's `ntk.compute` against the peers: neural-tangents' three empirical-NTK implementations, torch.func
(when torch is importable) and a plain numpy version of the same layer-factorized algorithm, on the SAME network
and the SAME inputs, with times, ratios to Tangent, agreement, peak memory and out-of-memory/time notes.

    python3 tools/bench_peers.py                 # the default grid, writes docs/benchmarks.md (peers section)
    python3 tools/bench_peers.py --quick         # a ~1-minute smoke run (does not touch docs unless --write)
    python3 tools/bench_peers.py --cases n256-d64-w512x2-c10-f64,ref
    python3 tools/bench_peers.py --check         # one small case; exit status 1 when any peer disagrees

A case name is n<N>-d<d>-w<width>x<depth>-c<heads>-f<64|32>; `ref` is the issue's reference case
n2048-d784-w1024x3-c10-f64. Every network is relu, no biases, `parametrization: ntk` with σ = 1
(h_l = W_l·x_{l−1}/√fan_in, W ~ N(0, 1); docs/science.md, "Parametrizations"), built by `model.mlp` in a small
generated pipeline (data.synthetic → model.mlp → ntk.compute) run by the release binary .build/release/tangent
(built with `swift build -c release --product tangent` when missing). Its weights.npz (W0, W1, …, W_l of shape
(fan_out, fan_in)) and data/train_x.npy are then read back by every peer, so all compute the per-head kernels
Θ^c(X, X) of one network; each result is compared with Tangent's ntk/ntk.npy (C, N, N) as
max|K − K_tangent| / max|K_tangent| (pass: ≤ 1e-10 in float64, ≤ 1e-4 in float32).

Timing. Tangent: the ntk stage's seconds from the run's manifest.json, and the wall time of the whole `tangent run`
(process start, data generation, model initialization, writing the kernels). Peers: each implementation runs in its
own subprocess (so that an out-of-memory or a hang is caught and reported, never crashing this script); the jax
kernel function is jit-compiled and run once as a warm-up, then timed (block_until_ready); the numpy version is
timed on its one run. The peak resident memory of a peer is its subprocess's own VmHWM (ru_maxrss of a forked
child would include the parent's resident set), which includes the interpreter and the imported libraries
(python with jax and TensorFlow, which neural-tangents imports, is ~0.5 GB by itself; the table's preamble gives
both baselines); Tangent's is the run's peak_resident_mb from manifest.json. A subprocess whose resident memory
exceeds --mem-limit-gb (default: half the machine's memory) is killed and reported as out of memory; one running
longer than --timeout seconds (default 120) is killed and reported as timed out. Once a peer fails on a case, it
is skipped on every later case at least as large in N, d, width, depth and C (in either precision). The timeout
is short so that the default grid fits in about 10 minutes on a 2-core machine; raise it to see how long the
slow peers really take.

neural-tangents is called as nt.empirical_ntk_fn(f, trace_axes=(), diagonal_axes=(-1,), vmap_axes=0,
implementation=…) on a plain jax function f(params, x) of the same forward pass, which gives the per-head
kernels (N, N, C) (diagonal in the heads, as Tangent's ntk.npy), with jax_enable_x64 for float64 cases.

Environment. neural-tangents 0.6.5 (the latest) needs jax/jaxlib 0.4.25, numpy < 2 and imports TensorFlow at import
time, so, unless the running interpreter already imports neural_tangents, the script creates (or reuses) the same
virtualenv as tools/nt_limit_fixtures.py, .venv-nt/ in the repository root (NT_VENV overrides the location), with
the same pins and the same stamp file, and re-executes itself there. Pins (CPython 3.9-3.11; TensorFlow 2.15 has no
3.12 wheels):

  jax==0.4.25 jaxlib==0.4.25 numpy==1.26.4 scipy==1.12.0 ml-dtypes==0.3.2 opt-einsum==3.3.0
  tensorflow-cpu==2.15.1 frozendict==2.4.4 dm-tree==0.1.8 absl-py==2.1.0
  then, with --no-deps: tf2jax==0.3.6 neural-tangents==0.6.5

(neural-tangents and tf2jax declare a dependency on the full `tensorflow` wheel; --no-deps keeps it out.) torch is
not installed by this script (a ~800 MB wheel); install it into the venv yourself to add the torch.func column.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nt_venv  # noqa: E402  (the pinned venv shared with tools/nt_limit_fixtures.py)

REPO = nt_venv.REPO

WORKER = len(sys.argv) > 1 and sys.argv[1] == "--worker"
if not WORKER and not nt_venv.have_neural_tangents():
    nt_venv.bootstrap(__file__)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

IMPLS = ["nt_jacobian_contraction", "nt_ntk_vector_products", "nt_structured_derivatives", "torch_func", "numpy"]
LABELS = {
    "tangent": "Tangent ntk.compute",
    "nt_jacobian_contraction": "NT JACOBIAN_CONTRACTION",
    "nt_ntk_vector_products": "NT NTK_VECTOR_PRODUCTS",
    "nt_structured_derivatives": "NT STRUCTURED_DERIVATIVES",
    "torch_func": "torch.func (jacrev + einsum)",
    "numpy": "numpy, layer-factorized",
}
REF = "n2048-d784-w1024x3-c10-f64"
DEFAULT_CASES = ["n256-d64-w512x2-c1-f64", "n256-d64-w512x2-c10-f64", "n256-d64-w512x2-c10-f32",
                 "n1024-d784-w512x2-c10-f64", "n1024-d784-w1024x3-c10-f64", REF]
QUICK_CASES = ["n128-d32-w256x2-c1-f64", "n128-d32-w256x2-c10-f32"]
CHECK_CASE = "n64-d16-w64x2-c3-f64"
CASE_RE = re.compile(r"^n(\d+)-d(\d+)-w(\d+)x(\d+)-c(\d+)-f(32|64)$")


def parse_case(name):
    name = REF if name == "ref" else name
    m = CASE_RE.match(name)
    if not m:
        sys.exit("bad case %r: expected n<N>-d<d>-w<width>x<depth>-c<heads>-f<64|32> or ref" % name)
    n, d, w, depth, c, bits = map(int, m.groups())
    return dict(name=name, n=n, d=d, width=w, depth=depth, heads=c, bits=bits)


def parameter_count(case):
    widths = [case["d"]] + [case["width"]] * case["depth"] + [case["heads"]]
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


# ---------------------------------------------------------------------------------------------------------------
# Workers: one implementation on one case, in its own process. Reads DIR/x.npy, DIR/weights.npz; writes DIR/<impl>.npy
# (C, N, N) and prints one JSON line {"seconds": …, "compile_seconds": …}.

def load_inputs(folder, bits):
    import numpy as np
    dtype = np.float64 if bits == 64 else np.float32
    x = np.load(os.path.join(folder, "x.npy")).astype(dtype)
    z = np.load(os.path.join(folder, "weights.npz"))
    ws = [z["W%d" % i].astype(dtype) for i in range(len(z.files))]
    return x, ws


def worker_numpy(x, ws):
    """K^c = Σ_l a_l²·(X_{l−1}X_{l−1}ᵀ) ∘ (δ_l^c δ_l^cᵀ), a_l = 1/√fan_in, δ_{L+1}^c = e_c,
    δ_l^c = (a_{l+1}·δ_{l+1}^c W_{l+1}) ⊙ φ'(h_l)."""
    import numpy as np
    t0 = time.perf_counter()
    xs, masks = [x], []
    for w in ws[:-1]:
        h = (xs[-1] @ w.T) * (1 / np.sqrt(w.shape[1]))
        masks.append(h > 0)
        xs.append(np.maximum(h, 0))
    heads, n = ws[-1].shape[0], x.shape[0]
    k = np.zeros((heads, n, n), dtype=x.dtype)
    # output layer: δ = e_c for every sample, so its term is a²·X_L X_Lᵀ for every head
    a = 1 / np.sqrt(ws[-1].shape[1])
    g = (xs[-1] @ xs[-1].T) * (a * a)
    k += g
    # δ_L^c (C, N, n_L): row c of a_{L+1}·W_{L+1}, masked by φ'(h_L)
    delta = (a * ws[-1])[:, None, :] * masks[-1][None, :, :]
    for l in range(len(ws) - 2, -1, -1):  # layer l (0-based) has input xs[l], signal delta
        a = 1 / np.sqrt(ws[l].shape[1])
        g = (xs[l] @ xs[l].T) * (a * a)
        for c in range(heads):
            k[c] += g * (delta[c] @ delta[c].T)
        if l > 0:
            delta = (delta @ ws[l]) * a * masks[l - 1][None, :, :]
    return k, time.perf_counter() - t0, 0.0


def jax_forward(jnp):
    def f(params, x):
        for w in params[:-1]:
            x = jnp.maximum(x @ w.T / jnp.sqrt(w.shape[1]).astype(x.dtype), 0)
        w = params[-1]
        return x @ w.T / jnp.sqrt(w.shape[1]).astype(x.dtype)
    return f


def worker_nt(x, ws, impl, bits):
    import jax
    if bits == 64:
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import neural_tangents as nt
    import numpy as np
    implementation = {"nt_jacobian_contraction": nt.NtkImplementation.JACOBIAN_CONTRACTION,
                      "nt_ntk_vector_products": nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
                      "nt_structured_derivatives": nt.NtkImplementation.STRUCTURED_DERIVATIVES}[impl]
    f = jax_forward(jnp)
    kernel_fn = jax.jit(nt.empirical_ntk_fn(f, trace_axes=(), diagonal_axes=(-1,), vmap_axes=0,
                                            implementation=implementation))
    xj = jnp.asarray(x)
    params = [jnp.asarray(w) for w in ws]
    assert xj.dtype == (jnp.float64 if bits == 64 else jnp.float32)
    t0 = time.perf_counter()
    kernel_fn(xj, None, params).block_until_ready()  # compile + first run
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    k = kernel_fn(xj, None, params).block_until_ready()
    seconds = time.perf_counter() - t0
    return np.moveaxis(np.asarray(k), -1, 0), seconds, warm


def worker_torch(x, ws):
    import numpy as np
    import torch
    from torch.func import functional_call, jacrev, vmap  # noqa: F401
    dtype = torch.float64 if x.dtype == np.float64 else torch.float32
    params = [torch.tensor(w, dtype=dtype) for w in ws]
    xt = torch.tensor(x, dtype=dtype)

    def f(params, x1):
        h = x1
        for w in params[:-1]:
            h = torch.relu(h @ w.T / w.shape[1] ** 0.5)
        return h @ params[-1].T / params[-1].shape[1] ** 0.5

    t0 = time.perf_counter()
    with torch.no_grad():
        jac = vmap(jacrev(f), (None, 0))(params, xt[:, None, :])  # per parameter: (N, 1, C, *shape)
        k = None
        for j in jac:
            j = j.reshape(j.shape[0], j.shape[2], -1)  # (N, C, P_l)
            term = torch.einsum("ncp,mcp->cnm", j, j)
            k = term if k is None else k + term
    return k.numpy(), time.perf_counter() - t0, 0.0


def worker_main(argv):
    impl, folder, bits = argv[0], argv[1], int(argv[2])
    import numpy as np
    x, ws = load_inputs(folder, bits)
    if impl == "numpy":
        k, seconds, warm = worker_numpy(x, ws)
    elif impl == "torch_func":
        k, seconds, warm = worker_torch(x, ws)
    else:
        k, seconds, warm = worker_nt(x, ws, impl, bits)
    np.save(os.path.join(folder, impl + ".npy"), np.ascontiguousarray(k))
    print(json.dumps({"seconds": seconds, "warmup_seconds": warm, "self_peak_mb": self_peak_mb()}), flush=True)


def self_peak_mb():
    """This process's peak resident memory since exec (VmHWM; ru_maxrss would include the forking parent's)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------------------------------------------
# The driver.

def run_monitored(cmd, timeout, mem_limit_mb, cwd=None, env=None):
    """Run cmd; kill it past `timeout` s or `mem_limit_mb` resident. Returns dict(status, wall, peak_mb, stdout, stderr)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
    status, rss_seen = None, 0.0
    while True:
        pid, code, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss_seen = max(rss_seen, int(line.split()[1]) / 1024)
        except OSError:
            pass
        if rss_seen > mem_limit_mb and status is None:
            status = "oom"
            p.kill()
        elif time.perf_counter() - t0 > timeout and status is None:
            status = "timeout"
            p.kill()
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(code)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if status is None and p.returncode != 0:
        low = stderr.lower()
        status = "oom" if ("resource_exhausted" in low or "memoryerror" in low or "out of memory" in low
                           or p.returncode in (-9, 137)) else "error"
    # ru_maxrss of a forked child includes the parent's resident set before exec, so the peak is the child's own
    # VmHWM when it reports it (workers do), else the largest VmRSS seen by polling.
    return dict(status=status or "ok", wall=wall, peak_mb=rss_seen,
                stdout=stdout, stderr=stderr, returncode=p.returncode)


def tangent_binary():
    path = os.environ.get("TANGENT_BIN") or os.path.join(REPO, ".build", "release", "tangent")
    if not os.path.exists(path):
        print("building the release binary (swift build -c release --product tangent)…", flush=True)
        subprocess.check_call(["swift", "build", "-c", "release", "--product", "tangent"], cwd=REPO)
    return path


PIPELINE = """pipeline: peers
seed: 0
precision: {precision}
stages:
  data:  {{ use: data.synthetic, with: {{ train: {n}, test: 0, input_dim: {d}, teacher: linear, outputs: {heads} }} }}
  model: {{ use: model.mlp, from: {{ data: data }}, with: {{ hidden: {hidden}, activation: relu, parametrization: ntk, init_scale: 1.0 }} }}
  ntk:   {{ use: ntk.compute, from: {{ model: model, data: data }}, with: {{ test_block: false }} }}
"""


def run_tangent(case, folder, args):
    import numpy as np
    yaml = os.path.join(folder, "peers.yaml")
    with open(yaml, "w") as f:
        f.write(PIPELINE.format(precision="float64" if case["bits"] == 64 else "float32", n=case["n"], d=case["d"],
                                heads=case["heads"], hidden=json.dumps([case["width"]] * case["depth"])))
    run_dir = os.path.join(folder, "run")
    r = run_monitored([args.tangent, "run", yaml, "--out", run_dir, "--force"], args.timeout, args.mem_limit_mb)
    if r["status"] != "ok":
        raise SystemExit("tangent failed on %s (%s):\n%s" % (case["name"], r["status"], r["stderr"][-3000:]))
    manifest = json.load(open(os.path.join(run_dir, "manifest.json")))
    ntk_seconds = next(s["seconds"] for s in manifest["stages"] if s["id"] == "ntk")
    shutil.copy(os.path.join(run_dir, "data", "train_x.npy"), os.path.join(folder, "x.npy"))
    shutil.copy(os.path.join(run_dir, "model", "weights.npz"), os.path.join(folder, "weights.npz"))
    k = np.load(os.path.join(run_dir, "ntk", "ntk.npy"))
    return dict(status="ok", seconds=ntk_seconds, wall=r["wall"], peak_mb=manifest.get("peak_resident_mb", r["peak_mb"]),
                polled_peak_mb=r["peak_mb"]), k


def dominates(big, small):
    return all(big[k] >= small[k] for k in ("n", "d", "width", "depth", "heads"))


def have_torch():
    try:
        import torch  # noqa: F401
        return True
    except Exception:
        return False


def machine_info():
    cpu = platform.processor() or "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), mem_gb=mem, python=platform.python_version())


def fmt_s(x):
    return "%.3g s" % x if x < 100 else "%.0f s" % x


def fmt_mb(x):
    return "%.0f MB" % x if x < 10240 else "%.1f GB" % (x / 1024)


def openblas_coretype():
    """The OPENBLAS_CORETYPE every process of the run gets, by Tangent's rule (Sources/TangentCore/BLASCore.swift):
    an OpenBLAS older than the CPU (Debian's 0.3.21, and numpy 1.26's bundled 0.3.23, on an Emerald Rapids Xeon)
    falls back to its generic SSE3 kernels, 4-5x slower. `tangent` corrects this for itself; the numpy peer gets the
    same correction so that the comparison is of the algorithms, not of a misdetected CPU. A value already set is
    kept; None below AVX2."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return os.environ["OPENBLAS_CORETYPE"]
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    if {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def main():
    ap = argparse.ArgumentParser(description="Tangent's ntk.compute against neural-tangents, torch.func and numpy")
    ap.add_argument("--cases", help="comma-separated case names (n256-d64-w512x2-c10-f64, …, ref)")
    ap.add_argument("--quick", action="store_true", help="a ~1-minute smoke run (%s)" % ", ".join(QUICK_CASES))
    ap.add_argument("--check", action="store_true", help="one small case; exit 1 when any peer disagrees")
    ap.add_argument("--impls", default=",".join(IMPLS), help="peers to run (default: all)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per implementation and case (default 120)")
    ap.add_argument("--mem-limit-gb", type=float, default=None, help="kill a peer above this resident memory "
                    "(default: half the machine's memory)")
    ap.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md "
                    "(the default for the default grid)")
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()

    info = machine_info()
    core = openblas_coretype()
    if core:
        os.environ["OPENBLAS_CORETYPE"] = core  # inherited by tangent and every peer's subprocess
    info["openblas_coretype"] = core
    info["load_at_start"] = os.getloadavg()[0]
    args.mem_limit_mb = (args.mem_limit_gb or info["mem_gb"] / 2) * 1024
    if args.check:
        names = [CHECK_CASE]
    elif args.cases:
        names = args.cases.split(",")
    elif args.quick:
        names = QUICK_CASES
    else:
        names = DEFAULT_CASES
    cases = [parse_case(s.strip()) for s in names]
    write = (args.write or not (args.cases or args.quick or args.check)) and not args.no_write
    impls = [i for i in args.impls.split(",") if i]
    torch_ok = have_torch()
    args.tangent = tangent_binary()

    import numpy as np
    hwm = ("import re; print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024)")
    baseline = dict(peak_mb=float(subprocess.check_output(
        [sys.executable, "-c", "import neural_tangents, jax; jax.numpy.zeros(1); " + hwm]).split()[-1]))
    base_np = dict(peak_mb=float(subprocess.check_output([sys.executable, "-c", "import numpy; " + hwm]).split()[-1]))
    print("machine: %s, %d cores, %.0f GB; baseline RSS: python+numpy %.0f MB, python+neural_tangents/jax/TF %.0f MB"
          % (info["cpu"], info["cores"], info["mem_gb"], base_np["peak_mb"], baseline["peak_mb"]), flush=True)

    results, failed_at, disagreements = [], {}, []
    root = tempfile.mkdtemp(prefix="tangent-peers-")
    try:
        for case in cases:
            folder = os.path.join(root, case["name"])
            os.makedirs(folder)
            print("\n== %s: N = %d, d = %d, hidden %d×%d, C = %d, float%d, %d parameters" % (
                case["name"], case["n"], case["d"], case["width"], case["depth"], case["heads"], case["bits"],
                parameter_count(case)), flush=True)
            t, k_ref = run_tangent(case, folder, args)
            print("  %-28s ntk stage %s, run %s, peak %s" % (LABELS["tangent"], fmt_s(t["seconds"]), fmt_s(t["wall"]),
                                                          fmt_mb(t["peak_mb"])), flush=True)
            row = dict(case=case, tangent=t, peers={})
            scale = float(np.abs(k_ref).max())
            tol = 1e-10 if case["bits"] == 64 else 1e-4
            for impl in impls:
                if impl == "torch_func" and not torch_ok:
                    row["peers"][impl] = dict(status="skipped", note="torch not installed")
                    continue
                prior = failed_at.get(impl)
                if prior and dominates(case, prior[0]):
                    row["peers"][impl] = dict(status="skipped", note="%s at %s" % (prior[1], prior[0]["name"]))
                    print("  %-28s skipped (%s at %s)" % (LABELS[impl], prior[1], prior[0]["name"]), flush=True)
                    continue
                r = run_monitored([sys.executable, os.path.abspath(__file__), "--worker", impl, folder,
                                   str(case["bits"])], args.timeout, args.mem_limit_mb)
                entry = dict(status=r["status"], peak_mb=r["peak_mb"], wall=r["wall"])
                if r["status"] == "ok":
                    timing = json.loads(r["stdout"].strip().splitlines()[-1])
                    entry.update(timing)
                    entry["peak_mb"] = timing["self_peak_mb"]
                    k = np.load(os.path.join(folder, impl + ".npy"))
                    if k.shape != k_ref.shape:
                        entry.update(status="error", note="shape %s, Tangent %s" % (k.shape, k_ref.shape))
                    else:
                        entry["rel_diff"] = float(np.abs(k.astype(np.float64) - k_ref.astype(np.float64)).max() / scale)
                        entry["agrees"] = entry["rel_diff"] <= tol
                        if not entry["agrees"]:
                            disagreements.append((case["name"], impl, entry["rel_diff"]))
                    os.remove(os.path.join(folder, impl + ".npy"))
                    print("  %-28s %s (warm-up %s), %.2f× Tangent's stage, peak %s, rel. diff %.1e%s" % (
                        LABELS[impl], fmt_s(entry["seconds"]), fmt_s(entry["warmup_seconds"]),
                        entry["seconds"] / t["seconds"], fmt_mb(entry["peak_mb"]), entry.get("rel_diff", float("nan")),
                        "" if entry.get("agrees") else "  DISAGREES"), flush=True)
                else:
                    alloc = re.search(r"Out of memory allocating (\d+) bytes", r["stderr"])
                    if r["status"] == "oom" and alloc:
                        entry["note"] = "out of memory: XLA could not allocate %s" % fmt_mb(int(alloc.group(1)) / 2**20)
                    elif r["status"] == "oom":
                        entry["note"] = "out of memory (resident > %s, or the allocator failed)" % fmt_mb(args.mem_limit_mb)
                    elif r["status"] == "timeout":
                        entry["note"] = "timed out after %.0f s" % args.timeout
                    else:
                        entry["note"] = "exit %s: %s" % (r["returncode"], (r["stderr"].strip().splitlines() or ["?"])[-1][:200])
                    failed_at[impl] = (case, r["status"].replace("oom", "out of memory").replace("timeout", "timed out"))
                    print("  %-28s %s: %s, peak %s" % (LABELS[impl], r["status"], entry["note"], fmt_mb(r["peak_mb"])),
                          flush=True)
                row["peers"][impl] = entry
            results.append(row)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    command = "python3 tools/bench_peers.py" + ("" if not args.cases else " --cases " + args.cases)
    table = render(results, impls, info, baseline["peak_mb"], base_np["peak_mb"], args, command)
    print("\n" + table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(machine=info, results=results), f, indent=1, default=str)
    if write:
        path = os.path.join(REPO, "docs", "benchmarks.md")
        text = open(path).read()
        begin, end = "<!-- peers:begin -->", "<!-- peers:end -->"
        if begin in text and end in text:
            text = text[:text.index(begin) + len(begin)] + "\n" + table + "\n" + text[text.index(end):]
        else:
            text = text.rstrip("\n") + "\n\n" + SECTION + begin + "\n" + table + "\n" + end + "\n"
        open(path, "w").write(text)
        print("wrote", path)
    if disagreements:
        for name, impl, diff in disagreements:
            print("DISAGREEMENT: %s %s: max relative difference %.2e" % (name, impl, diff), file=sys.stderr)
        if args.check:
            sys.exit(1)
    if args.check:
        ran = [i for i, e in results[0]["peers"].items() if e["status"] == "ok"]
        print("check passed: %s agree with Tangent to 1e-10" % ", ".join(ran))


SECTION = """## Against the peers

`tools/bench_peers.py` times `ntk.compute` (per-head empirical NTKs, float64 unless the case says f32) against
neural-tangents 0.6.5's three empirical-NTK implementations, torch.func (when installed) and a plain numpy version
of the same layer-factorized algorithm, on the same network (relu, no biases, `ntk` parametrization, built by
`model.mlp`) and the same inputs, and checks that every result agrees with Tangent's (1e-10 relative in float64,
1e-4 in float32). Each peer runs in its own process, timed after a jit warm-up, killed past the time or memory
limit; how, the pinned virtualenv and the options (`--quick`, `--cases`, `--check`) are in the script's docstring.
Remake the table (about 10 minutes; it creates `.venv-nt/` on first use):

```sh
python3 tools/bench_peers.py
```

`python3 tools/bench_peers.py --check` runs one small case and exits non-zero when a peer disagrees (not in CI).

"""


def render(results, impls, info, nt_base, np_base, args, command):
    lines = ["Machine: %s, %d cores, %.0f GB; run on %s; `%s` (timeout %.0f s, memory limit %s per implementation); "
             "load average %.1f at the start (a shared machine: compare ratios); OPENBLAS_CORETYPE=%s for every "
             "process (numpy's bundled OpenBLAS, like Debian's, does not know this CPU and would use its SSE3 "
             "kernels)." % (
                 info["cpu"], info["cores"], info["mem_gb"], time.strftime("%Y-%m-%d", time.gmtime()), command,
                 args.timeout, fmt_mb(args.mem_limit_mb), info.get("load_at_start", float("nan")),
                 info.get("openblas_coretype") or "unset"),
             "Peak memory is the process's peak resident set, baseline included: python + neural-tangents/jax/"
             "TensorFlow imported = %s, python + numpy = %s. Tangent: the ntk stage's time (end-to-end `tangent run`, "
             "with data generation and model initialization, in parentheses) and the run's peak. Peers: the second "
             "call of the jit-compiled kernel function (first call, with compilation, in parentheses); ratio = "
             "peer time / Tangent's ntk stage. Agreement: max |K − K_Tangent| / max |K_Tangent|." % (
                 fmt_mb(nt_base), fmt_mb(np_base)),
             "",
             "| case (N, d, hidden, C, precision) | implementation | time | ratio to Tangent | peak memory | agreement |",
             "|---|---|---|---|---|---|"]
    for row in results:
        c, t = row["case"], row["tangent"]
        desc = "%d, %d, %d×%d, %d, float%d" % (c["n"], c["d"], c["width"], c["depth"], c["heads"], c["bits"])
        lines.append("| %s | %s | %s (run %s) | 1 | %s | reference |" % (
            desc, LABELS["tangent"], fmt_s(t["seconds"]), fmt_s(t["wall"]), fmt_mb(t["peak_mb"])))
        for impl in impls:
            e = row["peers"].get(impl)
            if e is None:
                continue
            if e["status"] == "ok":
                warm = " (first %s)" % fmt_s(e["warmup_seconds"]) if e.get("warmup_seconds") else ""
                lines.append("| | %s | %s%s | %.3g | %s | %.1e%s |" % (
                    LABELS[impl], fmt_s(e["seconds"]), warm, e["seconds"] / t["seconds"], fmt_mb(e["peak_mb"]),
                    e.get("rel_diff", float("nan")), "" if e.get("agrees") else " **disagrees**"))
            elif e["status"] == "skipped":
                lines.append("| | %s | skipped: %s | | | |" % (LABELS[impl], e["note"]))
            else:
                lines.append("| | %s | **%s** | | %s | |" % (LABELS[impl], e["note"], fmt_mb(e["peak_mb"])))
    return "\n".join(lines)


if __name__ == "__main__":
    if WORKER:
        worker_main(sys.argv[2:])
    else:
        main()
