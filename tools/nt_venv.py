"""The pinned neural-tangents virtualenv shared by tools/nt_limit_fixtures.py and tools/bench_peers.py.

neural-tangents 0.6.5 needs jax/jaxlib 0.4.25 and numpy < 2, and imports TensorFlow at import time; tf2jax and
neural-tangents declare the full `tensorflow` wheel, so they are installed with --no-deps next to tensorflow-cpu.
The venv is `.venv-nt/` in the repository root (NT_VENV overrides it); a stamp file records the pins, so a change of
pins refreshes it. CPython 3.9-3.11 (TensorFlow 2.15 has no 3.12 wheels).
"""
import os
import subprocess
import sys
import time

PINS = [
    "jax==0.4.25", "jaxlib==0.4.25", "numpy==1.26.4", "scipy==1.12.0", "ml-dtypes==0.3.2", "opt-einsum==3.3.0",
    "tensorflow-cpu==2.15.1", "frozendict==2.4.4", "dm-tree==0.1.8", "absl-py==2.1.0",
]
NO_DEPS_PINS = ["tf2jax==0.3.6", "neural-tangents==0.6.5"]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.environ.get("NT_VENV", os.path.join(REPO, ".venv-nt"))
STAMP_NAME = "tangent-nt-pins.txt"
GUARD = "TANGENT_NT_REEXEC"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def have_neural_tangents():
    try:
        import neural_tangents  # noqa: F401
        return True
    except Exception:
        return False


def bootstrap(script):
    """Create or refresh the pinned venv, then replace this process with `script` run in it (same arguments)."""
    if os.environ.get(GUARD):
        sys.exit("neural_tangents does not import inside %s even after installing the pins" % VENV)
    if sys.version_info[:2] > (3, 11) or sys.version_info[:2] < (3, 9):
        sys.exit("the pins need CPython 3.9-3.11 (TensorFlow 2.15); this is %s" % sys.version.split()[0])
    python = os.path.join(VENV, "bin", "python")
    stamp = os.path.join(VENV, STAMP_NAME)
    wanted = "\n".join(PINS + ["--no-deps"] + NO_DEPS_PINS) + "\n"
    current = open(stamp).read() if os.path.exists(stamp) else None
    if current != wanted:
        start = time.time()
        if not os.path.exists(python):
            print("creating virtualenv", VENV, flush=True)
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
        subprocess.check_call(pip + PINS)
        subprocess.check_call(pip + ["--no-deps"] + NO_DEPS_PINS)
        with open(stamp, "w") as f:
            f.write(wanted)
        print("virtualenv ready in %.0f s" % (time.time() - start), flush=True)
    env = dict(os.environ, **{GUARD: "1"})
    os.execve(python, [python, os.path.abspath(script)] + sys.argv[1:], env)


