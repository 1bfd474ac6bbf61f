"""Benchmark CLI start-up: hedgecore commands against bare-interpreter baselines, as subprocesses.

    nice python benchmarks/bench_cli.py [--rounds 15]

Each variant is one fresh process, timed wall-clock from spawn to exit (output discarded);
variants are interleaved round by round (benchmarks/_harness.py) and quoted as the median
per-round ratio to their baseline with its IQR and range:

* ``hedgecore --help``, ``hedgecore contracts`` and ``python -c "import hedgecore.cli"`` against
  ``python -c "import click"`` (goal: under 2x);
* ``hedgecore plan --example alice`` against ``python -c "import numpy"`` (goal: under 2x).

The console script installed next to this Python is used (``python -m hedgecore`` if absent).
Also prints which heavy modules ``import hedgecore.cli`` loads (pandas, openpyxl, rich): the
lazy package ``__init__`` of issue 9 should leave all three out.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compare, header  # noqa: E402

HEAVY = ("pandas", "openpyxl", "rich", "numpy")


def hedgecore_cmd() -> list[str]:
    script = Path(sys.executable).with_name("hedgecore")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hedgecore"]


def process(argv: list[str]):
    def run() -> None:
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return run


def heavy_imports() -> list[str]:
    code = f"import sys, json, hedgecore.cli; print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    args = ap.parse_args()
    hc = hedgecore_cmd()
    py = sys.executable
    variants = {
        "python -c 'import click'": process([py, "-c", "import click"]),
        "python -c 'import numpy'": process([py, "-c", "import numpy"]),
        "hedgecore --help": process([*hc, "--help"]),
        "hedgecore contracts": process([*hc, "contracts"]),
        "hedgecore plan --example alice": process([*hc, "plan", "--example", "alice"]),
        "python -c 'import hedgecore.cli'": process([py, "-c", "import hedgecore.cli"]),
    }
    print(header(f"bench_cli: start-up of {' '.join(hc)} vs bare interpreters"))
    res = compare(variants, baseline="python -c 'import click'", rounds=args.rounds, inner=1)
    baseline_of = {name: "python -c 'import click'" for name in list(variants)[2:]}
    baseline_of["hedgecore plan --example alice"] = "python -c 'import numpy'"
    print(f"\nwall time per process, median (IQR, range) of per-round ratios over {args.rounds} rounds")
    for name in variants:
        line = f"  {name:<36} {res.time(name).median * 1e3:7.1f} ms"
        if name in baseline_of:
            line += f"   {res.ratio(name, to=baseline_of[name])}x {baseline_of[name][10:]} (goal < 2x)"
        print(line)
    print(f"\nimport hedgecore.cli loads: {', '.join(heavy_imports()) or 'none of ' + ', '.join(HEAVY)}")


if __name__ == "__main__":
    main()
