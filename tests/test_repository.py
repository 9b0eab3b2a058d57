"""Repository hygiene: notebooks are stored clean and every page is in the book."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {
    ".venv",
    "_build",
    ".ipynb_checkpoints",
    ".git",
    ".jupyter_cache",
    "jupyter_execute",
    "node_modules",
}


def repo_notebooks() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("*.ipynb") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)
    )


def toc_files() -> set[str]:
    """Files listed in _toc.yml (root, chapters, sections, parts), without suffix."""
    data = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = {data["root"]}

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.add(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in data.items() if k != "root"})
    return {str(Path(f).with_suffix("")) for f in found}


def book_pages() -> list[Path]:
    book = ROOT / "book"
    return sorted(
        p
        for p in book.rglob("*")
        if p.suffix in {".ipynb", ".md"}
        and not {"_ext", "_static"} & set(p.relative_to(book).parts)
        and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
    )


def dirty_cells(nb: dict) -> list[int]:
    """Indices of code cells that carry outputs or an execution count."""
    return [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def test_dirty_cells_detects_outputs_and_counts():
    clean = {
        "cell_type": "code",
        "source": "1",
        "outputs": [],
        "execution_count": None,
        "metadata": {},
    }
    counted = {**clean, "execution_count": 3}
    output = {**clean, "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}]}
    text = {"cell_type": "markdown", "source": "x", "metadata": {}}
    assert dirty_cells({"cells": [text, clean, counted, output]}) == [2, 3]


@pytest.mark.parametrize("path", repo_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = dirty_cells(nb)
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or execution counts; clear them with "
        f"`.venv/bin/jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)}`"
    )
    assert "widgets" not in nb.get("metadata", {}), (
        f"{path.name}: saved widget state in the notebook metadata"
    )


def test_every_book_page_is_in_the_toc():
    listed = toc_files()
    missing = [
        str(p.relative_to(ROOT))
        for p in book_pages()
        if str(p.relative_to(ROOT).with_suffix("")) not in listed
    ]
    assert not missing, f"pages in book/ missing from _toc.yml (they would not be built): {missing}"


def test_every_toc_entry_exists():
    missing = [
        f
        for f in toc_files()
        if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))
    ]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_toc_reader_sees_the_chapters():
    # The checks above are only as good as toc_files(): it must find nested entries.
    assert "book/intro" in toc_files() and "book/notation" in toc_files()


def test_api_page_documents_every_public_name():
    import mmcl

    page = (ROOT / "book" / "api.md").read_text()
    missing = [
        name for name in mmcl.__all__ if not re.search(rf"::\s+mmcl\.{name}\s*$", page, re.M)
    ]
    assert not missing, (
        f"public names of mmcl missing from book/api.md (add an autodoc entry): {missing}"
    )


CHAPTER_REF = re.compile(r"\bchapter\s+`(\w+)`")


def _public_objects():
    """Every public name of mmcl and of its chapter modules (experiments, figures)."""
    import importlib

    import mmcl

    objects = {f"mmcl.{name}": getattr(mmcl, name) for name in mmcl.__all__}
    for package in ("experiments", "figures"):
        for path in sorted((ROOT / "mmcl" / package).glob("[!_]*.py")):
            module = importlib.import_module(f"mmcl.{package}.{path.stem}")
            for name in getattr(module, "__all__", []):
                objects[f"{module.__name__}.{name}"] = getattr(module, name)
    return objects


def test_public_docstrings_name_their_chapter():
    """Each public docstring names the chapter that introduces it by document name (a link on the
    API page); the name must be a chapter of the book."""
    import inspect

    chapters = {Path(f).name for f in toc_files()}
    bad = {}
    for name, obj in _public_objects().items():
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        found = CHAPTER_REF.findall(inspect.getdoc(obj) or "")
        if not found or any(doc not in chapters for doc in found):
            bad[name] = found
    assert not bad, f"docstrings must say 'Introduced in the chapter `<document>`': {bad}"


def test_chapter_references_in_the_package_are_documents_of_the_book():
    chapters = {Path(f).name for f in toc_files()}
    found = {
        doc
        for path in (ROOT / "mmcl").rglob("*.py")
        for doc in CHAPTER_REF.findall(path.read_text())
    }
    assert found and found <= chapters, (
        f"unknown chapters named in mmcl: {sorted(found - chapters)}"
    )


MAX_MODULE_LINES = 450


def test_no_module_is_too_long():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "mmcl").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by concept): {long}"


#: Layers of the package; a module may import only from its own layer or a lower one.
LAYERS = [
    {"mmcl._checks", "mmcl._threads", "mmcl.book"},
    {"mmcl.bases", "mmcl.data", "mmcl.datasets", "mmcl.losses"},
    {"mmcl.solvers", "mmcl.cca", "mmcl.metrics", "mmcl.baselines", "mmcl.matching"},
    {"mmcl.spikes", "mmcl.candidates", "mmcl.yardsticks"},
    {"mmcl.pseudo_pairs", "mmcl.unpaired", "mmcl.paper_baseline"},
    {"mmcl.experiments"},
    {"mmcl.figures.style"},
    {"mmcl.widgets"},
    {"mmcl.figures"},
]


def _layer(module: str) -> int:
    best = None
    for i, group in enumerate(LAYERS):
        for prefix in group:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (i, len(prefix))
    if best is None:
        raise AssertionError(f"{module} is in no layer of LAYERS: add it")
    return best[0]


def _internal_imports(path: Path) -> set[str]:
    """Modules of mmcl imported by the file (absolute names), at any depth of the code."""
    import ast

    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            found.update(n if _is_module(n) else target for n in names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m == "mmcl" or m.startswith("mmcl.")}


def _is_module(name: str) -> bool:
    parts = name.split(".")
    return (
        ROOT.joinpath(*parts).with_suffix(".py").exists()
        or (ROOT.joinpath(*parts) / "__init__.py").exists()
    )


def test_imports_go_downwards_and_have_no_cycles():
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / "mmcl").rglob("*.py")
    }
    graph, upward = {}, []
    for name, path in modules.items():
        if name == "mmcl":
            continue  # the package root re-exports everything
        deps = {d for d in _internal_imports(path) if d != "mmcl" and d != name}
        graph[name] = deps
        for dep in deps:
            is_parent_package = name.startswith(dep + ".")
            if _layer(dep) > _layer(name) and not is_parent_package:
                upward.append(f"{name} -> {dep}")
    assert not upward, f"imports that go upwards: {upward}"
    # No cycles (a package's __init__ importing its own submodules is not a cycle).
    state = {}

    def visit(node, stack):
        state[node] = 1
        for dep in graph.get(node, ()):
            if dep.startswith(node + ".") or node.startswith(dep + "."):
                continue
            if state.get(dep) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(stack + [node, dep])}")
            if dep in graph and not state.get(dep):
                visit(dep, stack + [node])
        state[node] = 2

    for node in graph:
        if not state.get(node):
            visit(node, [])


FIGURE = re.compile(r"```\{glue:figure\}[ \t]*(\S*)\n(.*?)\n```", re.S)
STYLE_CODE = re.compile(r"rcParams|plt\.style|sns\.set|set_palette|mpl\.rc\(|matplotlib\.rc\(")


def figure_problems(nb: dict) -> list[str]:
    """Glued figures need a name, alt text and a caption; style code goes in mmcl.figures.style."""
    problems = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and STYLE_CODE.search(src):
            problems.append(
                f"style code in a notebook cell (move it to mmcl/figures/style.py): {src[:60]!r}"
            )
        if cell["cell_type"] != "markdown":
            continue
        for key, body in FIGURE.findall(src):
            options = dict(re.findall(r"^:(\w+):[ \t]*(.*)$", body, re.M))
            caption = "\n".join(
                line for line in body.splitlines() if not line.startswith(":")
            ).strip()
            if not key:
                problems.append("glue:figure without a glue key")
            if len(options.get("alt", "").split()) < 4:
                problems.append(f"{key}: alt text missing or shorter than four words")
            if not options.get("name"):
                problems.append(f"{key}: no :name: (figures are referenced with {{numref}})")
            if len(caption.split()) < 4:
                problems.append(f"{key}: caption missing or shorter than four words")
    return problems


def test_figure_problems_are_detected():
    ok = (
        "```{glue:figure} fig-a\n:name: fig-a\n:alt: A line falling to zero.\n\n"
        "The loss against the step.\n```"
    )
    bad = "```{glue:figure} fig-b\n:name: fig-b\n\n```"
    style = "plt.rcParams['lines.linewidth'] = 3"
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ok + "\n\n" + bad},
            {"cell_type": "code", "source": style},
        ]
    }
    found = figure_problems(nb)
    assert len(found) == 3 and any("alt" in p for p in found) and any("caption" in p for p in found)
    assert any("style code" in p for p in found)


@pytest.mark.parametrize(
    "path", [p for p in book_pages() if p.suffix == ".ipynb"], ids=lambda p: p.name
)
def test_figures_have_alt_text_and_captions(path):
    problems = figure_problems(json.loads(path.read_text()))
    assert not problems, f"{path.name}: {problems}"


def widget_problems(nb: dict) -> list[str]:
    """Live widgets stay out of the static site; each explorer has a glued static view."""
    problems, live, static = [], 0, 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if ".widget()" in src:
            live += 1
            if "remove-output" not in cell.get("metadata", {}).get("tags", []):
                problems.append(f"cell {i} shows a live widget but is not tagged remove-output")
        if re.search(
            r"\bexplorer\w*\.figure\(|\.figure\(\)", src
        ):  # the static view, glued for the site
            static += 1
    if live and not static:
        problems.append("an explorer is shown live but its default view is never glued as a figure")
    return problems


def test_widget_problems_are_detected():
    live = {
        "cell_type": "code",
        "source": "explorer = mmcl.figures.x.explorer()\nexplorer.widget()",
        "metadata": {},
    }
    tagged = {**live, "metadata": {"tags": ["remove-output"]}}
    static = {
        "cell_type": "code",
        "source": 'glue("fig-x", explorer.figure(), display=False)',
        "metadata": {},
    }
    assert len(widget_problems({"cells": [live]})) == 2
    assert widget_problems({"cells": [tagged, static]}) == []


@pytest.mark.parametrize(
    "path", [p for p in book_pages() if p.suffix == ".ipynb"], ids=lambda p: p.name
)
def test_explorers_have_static_views(path):
    problems = widget_problems(json.loads(path.read_text()))
    assert not problems, f"{path.name}: {problems}"


def apparatus_problems(nb: dict) -> list[str]:
    """A chapter has objectives, key takeaways, a theorem with proof, >= 3 exercises with
    dropdown solutions."""
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    problems = []
    if not re.search(r"learning objectives", text, re.I):
        problems.append("no learning objectives")
    if not re.search(r"^#+\s*key takeaways", text, re.I | re.M):
        problems.append("no 'Key takeaways' section")
    if "{prf:theorem}" not in text or "{prf:proof}" not in text:
        problems.append("no theorem with a proof")
    labels = re.findall(r"`{3,}\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)", text)
    if len(labels) < 3:
        problems.append(f"{len(labels)} labelled exercises (at least 3 expected)")
    for label in labels:
        m = re.search(
            rf"`{{3,}}\{{solution(?:-start)?\}}\s*{re.escape(label)}\s*\n((?::[^\n]*\n)*)", text
        )
        if not m:
            problems.append(f"exercise {label} has no solution")
        elif ":class: dropdown" not in m.group(1):
            problems.append(f"the solution of {label} is not a dropdown")
    return problems


def test_apparatus_problems_are_detected():
    good = (
        "**Learning objectives.** ...\n```{prf:theorem} T\n```\n```{prf:proof}\n```\n"
        "## Key takeaways\n"
        + "".join(
            f"```{{exercise}} E{i}\n:label: ex-{i}\nQ\n```\n"
            f"```{{solution}} ex-{i}\n:class: dropdown\nA\n```\n"
            for i in range(3)
        )
    )
    assert apparatus_problems({"cells": [{"cell_type": "markdown", "source": good}]}) == []
    bad = good.replace(":class: dropdown\nA", "A", 1).replace("## Key takeaways", "")
    assert len(apparatus_problems({"cells": [{"cell_type": "markdown", "source": bad}]})) == 2


@pytest.mark.parametrize(
    "path", [p for p in book_pages() if p.suffix == ".ipynb"], ids=lambda p: p.name
)
def test_chapter_has_teaching_apparatus(path):
    problems = apparatus_problems(json.loads(path.read_text()))
    assert not problems, f"{path.name}: {problems}"


def test_chapters_are_notebooks_with_a_title():
    """Every chapter named by the package is a notebook of the book with a level-1 title."""
    for doc in sorted({Path(f).name for f in toc_files()}):
        path = ROOT / "book" / f"{doc}.ipynb"
        if not path.exists():
            continue
        first = next(
            c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"
        )
        assert re.search(r"^#\s+\S", "".join(first["source"]), re.M), f"{doc} has no title"
