"""Batch workers run numpy's BLAS with one thread (issue 12: N workers must not each start N threads)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PROBE = r'''
import ctypes, re

def blas_threads():
    """Threads of the OpenBLAS numpy loaded in this process (via its own getter)."""
    import numpy  # noqa: F401 - loads the BLAS
    maps = open("/proc/self/maps").read()
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)()
    return None
'''

MAIN = '''
import os, sys
sys.path.insert(0, sys.argv[1])
from concurrent.futures import ProcessPoolExecutor
from hedgecore.report import batch
from probe import blas_threads

if __name__ == "__main__":
    with batch._one_blas_thread_in_children():
        with ProcessPoolExecutor(max_workers=2, mp_context=batch._mp_context()) as pool:
            workers = [pool.submit(blas_threads).result() for _ in range(4)]
    print(blas_threads(), workers, os.environ.get("OPENBLAS_NUM_THREADS"))
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_workers_get_one_blas_thread_and_the_parent_is_unchanged(tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent(MAIN))
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                         env=env, check=True, cwd=tmp_path)
    parent, workers, after = out.stdout.split(" ", 1)[0], out.stdout.split("[")[1].split("]")[0], out.stdout.split()[-1]
    if parent == "None":
        pytest.skip("numpy here does not use OpenBLAS")
    assert [int(w) for w in workers.split(",")] == [1, 1, 1, 1]
    assert int(parent) == len(os.sched_getaffinity(0))  # this process's BLAS keeps its threads
    assert after == "None"  # and its environment is restored
