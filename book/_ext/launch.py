"""Launch buttons when the book is hosted, and the install cell of every chapter.

With ``repository.url`` set in ``_config.yml`` the chapter pages show the Binder
and Colab buttons configured under ``launch_buttons``. Without a URL the
providers are removed from the theme's options before the build, so no button
(and no placeholder) appears.

A notebook launched on Binder or Colab, or downloaded alone, must find
``mmcl``. The first code cell of every chapter (hidden on the website) is
:func:`install_cell`: a no-op where ``mmcl`` is importable; otherwise it
installs ``mmcl`` from the checkout it runs in (Binder, the course bundle) or,
when a repository URL is configured, from that repository (Colab). Run this
file as a script after changing the URL::

    .venv/bin/python book/_ext/launch.py     # rewrites the first cell of each chapter

and ``tests/test_repository.py`` checks that every chapter starts with the
cell for the configured URL.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = (
    "binderhub_url",
    "colab_url",
    "jupyterhub_url",
    "deepnote_url",
    "jupyterlite_url",
)
TAG = "mmcl-install"


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, branch)`` from ``_config.yml`` (the URL may be empty)."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config.get("repository") or {}
    return (repo.get("url") or "").strip(), (repo.get("branch") or "main").strip()


def install_cell(url: str = "", branch: str = "main") -> str:
    """Source of the first code cell of every chapter, for a repository ``url`` (or none)."""
    if url:
        fallback = f'"mmcl @ git+{url.rstrip("/")}@{branch}"'
        missing = ""
    else:
        fallback = "None"
        missing = (
            "    if source is None:\n"
            "        raise ImportError(\n"
            '            "mmcl is not installed: install the wheel or the course bundle "\n'
            "            \"offered on the book's website (see 'Run it yourself')\"\n"
            "        )\n"
        )
    return (
        "# Installs mmcl where it is missing (Binder, Colab); does nothing where it is installed.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "from pathlib import Path\n"
        "\n"
        'if importlib.util.find_spec("mmcl") is None:\n'
        "    here = Path.cwd().resolve()\n"
        '    roots = [p for p in (here, *here.parents) if (p / "mmcl" / "__init__.py").exists()]\n'
        f"    source = str(roots[0]) if roots else {fallback}\n"
        f"{missing}"
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def toc_files(root: Path = ROOT) -> list[str]:
    """Every ``file`` of ``_toc.yml`` (chapters, parts, sections), in reading order."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((root / "_toc.yml").read_text()))
    return found


def chapters(root: Path = ROOT) -> list[Path]:
    """Chapter notebooks listed in ``_toc.yml``, in reading order."""
    paths = [root / f"{name}.ipynb" for name in toc_files(root)]
    return [path for path in paths if path.exists()]


def first_code_cell(nb: dict) -> dict | None:
    return next((c for c in nb["cells"] if c["cell_type"] == "code"), None)


def sync(root: Path = ROOT) -> list[Path]:
    """Make the first code cell of every chapter the install cell; return the notebooks changed."""
    source = install_cell(*repository(root))
    changed = []
    for path in chapters(root):
        nb = json.loads(path.read_text())
        cell = first_code_cell(nb)
        lines = source.splitlines(keepends=True)
        if cell is not None and TAG in cell.get("metadata", {}).get("tags", []):
            if "".join(cell["source"]) == source:
                continue
            cell["source"] = lines
        else:
            new = {
                "cell_type": "code",
                "execution_count": None,
                "id": "mmcl-install",
                "metadata": {"tags": [TAG, "remove-cell"]},
                "outputs": [],
                "source": lines,
            }
            index = nb["cells"].index(cell) if cell is not None else len(nb["cells"])
            nb["cells"].insert(index, new)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        changed.append(path)
    return changed


def _drop_launch_buttons_without_repository(app, config):
    options = dict(config.html_theme_options or {})
    if options.get("repository_url"):
        return
    buttons = {k: v for k, v in (options.get("launch_buttons") or {}).items() if k not in PROVIDERS}
    options["launch_buttons"] = buttons
    config.html_theme_options = options


def setup(app):
    app.connect("config-inited", _drop_launch_buttons_without_repository)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    for path in sync(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT):
        print(f"updated {path}")
