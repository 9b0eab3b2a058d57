"""Prove that the course bundle and the wheel work on their own (part of ``make test``).

Run after the site is built (the build writes both to the root of the site)::

    .venv/bin/python tests/check_bundle.py [_build/html] [book/loss_to_svd.ipynb]

The bundle is unzipped into a temporary folder, a fresh virtual environment
is created there (``python -m venv``, packages from the same registries as the
project's own installation), the unzipped ``mmcl`` is installed into it (not
editable, so nothing of this repository is used), and one chapter notebook of
the unzipped copy is executed with ``nbclient`` in a kernel of that
environment. Then the wheel is installed into the same environment and
imported, and its files are compared with the package's. The check fails on
any error; it prints what it did and how long each step took. The file is not
collected by ``pytest`` (its name does not start with ``test_``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from downloads import download_files  # noqa: E402

RUN_NOTEBOOK = """
import sys, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
resources = {"metadata": {"path": sys.argv[2]}}
NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources).execute()
print("executed", path, "cells:", len(nb.cells))
"""


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def step(label, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label}: {time.perf_counter() - t0:.1f} s")
    return out


def check(site: Path, notebook: str) -> None:
    files = download_files()
    bundle = site / files["Course bundle (.zip)"]
    wheel = site / files["Package mmcl (.whl)"]
    for f in (bundle, wheel):
        if not f.exists():
            sys.exit(f"{f} is missing: build the site first (make site)")
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
    top = names[0].split("/")[0]
    required = [
        f"{top}/{p}"
        for p in (
            "README.md",
            "LICENSE",
            "Makefile",
            "pyproject.toml",
            "requirements.txt",
            "mmcl/__init__.py",
            notebook,
        )
    ]
    missing = [p for p in required if p not in names]
    if missing:
        sys.exit(f"the bundle lacks {missing}")
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = {n for n in zf.namelist() if n.startswith("mmcl/")}
    in_package = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "mmcl").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    if in_package - in_wheel:
        sys.exit(f"the wheel lacks package files: {sorted(in_package - in_wheel)}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        step("unzip", lambda: zipfile.ZipFile(bundle).extractall(tmp))
        folder, venv = tmp / top, tmp / "venv"
        py = venv / "bin" / "python"
        step("fresh virtual environment", lambda: run([sys.executable, "-m", "venv", str(venv)]))
        step(
            "install the unzipped mmcl (+ nbclient, ipykernel)",
            lambda: run(
                [str(py), "-m", "pip", "install", "--quiet", str(folder), "nbclient", "ipykernel"]
            ),
        )
        where = run([str(py), "-c", "import mmcl; print(mmcl.__file__)"], cwd=tmp).stdout.strip()
        if not where.startswith(str(venv)):
            sys.exit(f"mmcl was imported from {where}, not from the fresh environment")
        out = step(
            f"execute {notebook} from the unzipped copy",
            lambda: run(
                [
                    str(py),
                    "-c",
                    RUN_NOTEBOOK,
                    str(folder / notebook),
                    str((folder / notebook).parent),
                ],
                cwd=folder / Path(notebook).parent,
                env={
                    "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
                    "MPLBACKEND": "Agg",
                    "HOME": str(tmp),
                },
            ),
        )
        print(out.stdout.strip())
        step(
            "install the wheel",
            lambda: run(
                [
                    str(py),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--force-reinstall",
                    "--no-deps",
                    str(wheel),
                ]
            ),
        )
        version = run([str(py), "-c", "import mmcl; print(mmcl.__version__)"], cwd=tmp).stdout
        print(f"the wheel imports: mmcl {version.strip()}")
    print("bundle and wheel: ok")


if __name__ == "__main__":
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "html"
    check(site, sys.argv[2] if len(sys.argv) > 2 else "book/loss_to_svd.ipynb")
