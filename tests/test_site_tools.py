"""The site's own tools in book/_ext: downloads, launch buttons and the install cell."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import downloads  # noqa: E402
import launch  # noqa: E402


def test_bundle_holds_the_chapters_the_package_and_the_project_files(tmp_path):
    path = downloads.build_bundle(tmp_path)
    version = downloads.version()
    assert path.name == f"mmcl-course-{version}.zip"
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        readme = zf.read(f"mmcl-course-{version}/README.md").decode()
    top = f"mmcl-course-{version}/"
    for chapter in launch.chapters():
        assert top + str(chapter.relative_to(ROOT)) in names
    for name in ("pyproject.toml", "requirements.txt", "Makefile", "LICENSE", "mmcl/__init__.py"):
        assert top + name in names
    assert not any("__pycache__" in n or ".ipynb_checkpoints" in n for n in names)
    assert "make lab" in readme and version in readme
    for nb in (n for n in names if n.endswith(".ipynb")):
        with zipfile.ZipFile(path) as zf:
            cells = json.loads(zf.read(nb))["cells"]
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code")


def test_download_names_follow_the_version():
    files = downloads.download_files()
    version = downloads.version()
    assert files["Course bundle (.zip)"] == f"mmcl-course-{version}.zip"
    assert files["Package mmcl (.whl)"] == f"mmcl-{version}-py3-none-any.whl"


def test_pages_link_the_downloads_of_this_version():
    files = downloads.download_files().values()
    for page in ("intro.md", "run.md"):
        text = (ROOT / "book" / page).read_text()
        for name in files:
            assert name in text, f"book/{page} does not link {name}"


def test_every_chapter_starts_with_the_install_cell():
    expected = launch.install_cell(*launch.repository())
    for path in launch.chapters():
        cell = launch.first_code_cell(json.loads(path.read_text()))
        assert cell is not None, path
        tags = cell.get("metadata", {}).get("tags", [])
        assert (
            "".join(cell["source"]) == expected and launch.TAG in tags and "remove-cell" in tags
        ), f"{path.name}: run `.venv/bin/python book/_ext/launch.py` to write the install cell"


def test_install_cell_names_the_repository_only_when_there_is_one():
    assert "git+" not in launch.install_cell("")
    assert "<" not in launch.install_cell("")  # no placeholder
    cell = launch.install_cell("https://github.com/org/book/", "stable")
    assert '"mmcl @ git+https://github.com/org/book@stable"' in cell


def test_launch_buttons_only_with_a_repository():
    def configured(url):
        options = {
            "launch_buttons": {
                "binderhub_url": "https://mybinder.org",
                "colab_url": "https://colab.research.google.com",
                "notebook_interface": "jupyterlab",
            }
        }
        if url:
            options["repository_url"] = url
        config = SimpleNamespace(html_theme_options=options)
        launch._drop_launch_buttons_without_repository(None, config)
        return config.html_theme_options["launch_buttons"]

    assert configured("") == {"notebook_interface": "jupyterlab"}
    assert configured("https://github.com/org/book")["binderhub_url"] == "https://mybinder.org"
