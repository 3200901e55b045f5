"""Cold start: how long each Lambda module takes to import in a fresh interpreter, and the memory it
holds afterwards, next to boto3 and the ASK SDK alone.

Each child imports one module and reports its import time, its peak resident memory and what one full
garbage collection then costs. The peak is VmHWM from /proc/self/status: Linux carries ru_maxrss over
from the parent across fork and exec, so getrusage in the child would report this (large) benchmark
process's peak instead; ru_maxrss is the fallback where /proc is missing.

Bytecode is cached in a temporary PYTHONPYCACHEPREFIX, filled by an untimed first run, so nothing is
written into the repository; the "no .pyc" figure compiles every module from source, as a deployment
package without __pycache__ does at each cold start.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "",  # a bare interpreter: the floor for memory
    "boto3",
    "ask_sdk_core.skill_builder",
    "search_service.start_handler",
    "search_service.search_handler",
)
CHILD = """
import gc, importlib, json, resource, sys, time

def peak_rss_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

started = time.perf_counter()
if sys.argv[1]:
    importlib.import_module(sys.argv[1])
imported = time.perf_counter()
gc.collect()
collect_started = time.perf_counter()
gc.collect()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "rss_mb": peak_rss_mb(),
    "full_gc_ms": (time.perf_counter() - collect_started) * 1000,
    "gc_objects": len(gc.get_objects()),
}))
"""


def run(repeat: int = 5, repeat_no_pyc: int = 3) -> dict[str, Any]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cached:
        for module in MODULES:
            _child(module, cached, write=True)  # compiles and caches, untimed
            runs = [_child(module, cached, write=False) for _ in range(repeat)]
            with tempfile.TemporaryDirectory(prefix="bench-nopyc-") as empty:
                no_pyc = [_child(module, empty, write=False)["import_ms"] for _ in range(repeat_no_pyc)]
            results[module or "(bare interpreter)"] = {
                "import_ms_p50": round(statistics.median(r["import_ms"] for r in runs), 1),
                "import_no_pyc_ms_p50": round(statistics.median(no_pyc), 1),
                "rss_mb_p50": round(statistics.median(r["rss_mb"] for r in runs), 1),
                "full_gc_ms_p50": round(statistics.median(r["full_gc_ms"] for r in runs), 1),
                "gc_objects": runs[-1]["gc_objects"],
                "runs": repeat,
            }
    return results


def _child(module: str, pycache: str, write: bool) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, module], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module or 'nothing'} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
