"""The book's downloads: a course bundle and the `mmcl` wheel, built with the site.

When the HTML builder starts, this extension writes into ``book/_generated/``
(ignored by git):

* ``mmcl-course-<version>.zip``: everything needed to run the chapters without
  git — the chapter notebooks (stored without outputs), the ``mmcl`` package
  source with its shipped data, ``pyproject.toml``, ``requirements.txt``, the
  ``Makefile``, the licence, the citation file and a short README ("unzip,
  ``make lab``"); an instructor can upload the same zip to a JupyterHub;
* ``mmcl-<version>-py3-none-any.whl``: the package alone, built with
  ``python -m build``, for ``pip install`` into any Jupyter.

Both are copied to the root of the site (``html_extra_path``), next to the
PDF of the whole book that ``make pdf`` prints there (``book/_ext/print_pdf.py``).
The pages link them, and ``downloads.js`` adds the three to the download menu
of every page.

Run as a script (``python book/_ext/downloads.py OUTDIR``) it writes the two
files into ``OUTDIR``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "book" / "_generated"
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", "_build", ".venv", "_generated"}

BUNDLE_README = """\
# Multimodal Contrastive Learning, Linearly: the course bundle (version {version})

This folder holds everything needed to run the book's chapters: the notebooks
in `book/`, the `mmcl` package they import (in `mmcl/`, with its data), and
the project files that install it.

## Run the chapters

You need Python 3.10 or newer and `make`.

    make lab

creates a virtual environment in `.venv` (a few minutes, the first time),
installs `mmcl` with everything the book uses, and opens JupyterLab on the
chapters. Open a chapter and run all cells; the explorers are live there.

Without `make`:

    python -m venv .venv
    .venv/bin/pip install -e ".[lab]"
    .venv/bin/jupyter lab book

On a JupyterHub, upload this zip, unzip it in a terminal (`unzip
mmcl-course-{version}.zip`), run `pip install --user ./mmcl-course-{version}`
and open the notebooks in `book/`.

## Licence

The code is under the MIT licence and the text and figures under CC BY 4.0;
see `LICENSE`. Cite the book with `CITATION.cff`.
"""


def version(root: Path = ROOT) -> str:
    """The package version, read from pyproject.toml."""
    text = (root / "pyproject.toml").read_text()
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def _chapter_notebooks(root: Path) -> list[Path]:
    toc = (root / "_toc.yml").read_text()
    names = re.findall(r"file:\s*(\S+)", toc)
    return [root / f"{name}.ipynb" for name in names if (root / f"{name}.ipynb").exists()]


def _package_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in (root / "mmcl").rglob("*")
        if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"
    )


def build_bundle(outdir: Path, root: Path = ROOT) -> Path:
    """Write ``mmcl-course-<version>.zip`` into ``outdir`` and return its path."""
    v = version(root)
    top = f"mmcl-course-{v}"
    path = Path(outdir) / f"{top}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    files = _chapter_notebooks(root) + _package_files(root)
    files += [
        root / name
        for name in (
            "pyproject.toml",
            "requirements.txt",
            "Makefile",
            "LICENSE",
            "CITATION.cff",
            "README.md",
        )
        if (root / name).exists()
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for file in files:
            arcname = f"{top}/{file.relative_to(root)}"
            if file.name == "README.md":
                zf.writestr(f"{top}/README-project.md", file.read_text())
                continue
            zf.write(file, arcname)
        zf.writestr(f"{top}/README.md", BUNDLE_README.format(version=v))
    return path


def build_wheel(outdir: Path, root: Path = ROOT) -> Path:
    """Build the ``mmcl`` wheel with ``python -m build`` into ``outdir`` and return its path."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", tmp, str(root)],
            check=True,
            capture_output=True,
            text=True,
        )
        (wheel,) = Path(tmp).glob("mmcl-*.whl")
        target = outdir / wheel.name
        target.write_bytes(wheel.read_bytes())
    return target


#: The PDF of the whole book, at the root of the site (written by print_pdf.py).
PDF_NAME = "mmcl-book.pdf"


def download_files(root: Path = ROOT) -> dict[str, str]:
    """Label -> file name (at the root of the site) of each download."""
    v = version(root)
    return {
        "Course bundle (.zip)": f"mmcl-course-{v}.zip",
        "Package mmcl (.whl)": f"mmcl-{v}-py3-none-any.whl",
        "Whole book (.pdf)": PDF_NAME,
    }


def _generate(app):
    if app.builder.format != "html":
        return
    GENERATED.mkdir(parents=True, exist_ok=True)
    for old in GENERATED.glob("*"):
        old.unlink()
    build_bundle(GENERATED)
    build_wheel(GENERATED)


def _add_extra_path(app, config):
    config.html_extra_path = [*config.html_extra_path, str(GENERATED)]
    GENERATED.mkdir(parents=True, exist_ok=True)


def setup(app):
    import json

    app.connect("config-inited", _add_extra_path)
    app.connect("builder-inited", _generate)
    app.add_js_file(None, body=f"window.MMCL_DOWNLOADS = {json.dumps(download_files())};")
    app.add_js_file("downloads.js")
    app.add_css_file("print.css", media="print")
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else GENERATED
    print(build_bundle(out))
    print(build_wheel(out))
