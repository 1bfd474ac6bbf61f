"""Packaging: pure wheel, README and CI in sync (the import boundary is tests/test_layers.py)."""

import subprocess
import sys
import zipfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_wheel_is_pure_python(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = list(tmp_path.glob("hedgecore-*.whl"))
    assert len(wheels) == 1 and wheels[0].name.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "hedgecore/contracts.csv" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dll"))]
    wheel_meta = zipfile.ZipFile(wheels[0]).read(next(n for n in names if n.endswith("WHEEL"))).decode()
    assert "Root-Is-Purelib: true" in wheel_meta


def test_the_distribution_builds_and_passes_twine_check(tmp_path):
    """``python -m build`` + ``twine check``: the wheel and sdist stay publishable on PyPI (not published yet)."""
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-2000:]
    dists = sorted(p.name for p in tmp_path.iterdir())
    assert len(dists) == 2 and dists[0].endswith("-py3-none-any.whl") and dists[1].endswith(".tar.gz"), dists
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, tmp_path.iterdir())],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and check.stdout.count("PASSED") == 2, check.stdout + check.stderr
    wheel = zipfile.ZipFile(next(tmp_path.glob("*.whl")))
    names = wheel.namelist()
    assert "hedgecore/excel/addin_template/main.py.txt" in names and "hedgecore/examples/example_portfolio.xlsx" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dll", ".dylib"))]


def readme_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines[:12] if ln.startswith("    ")]


def test_readme_opens_with_two_setup_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert len(commands) == 2
    main_job, tests = commands
    assert main_job.startswith("python3 -m venv") and "hedgecore " in main_job
    assert tests.startswith("python3 -m venv") and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_part = tests.split("&& ", 2)[2]  # after creating and activating the venv
    assert test_part in ci
