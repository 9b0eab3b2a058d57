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
    {"mmcl.solvers", "mmcl.batched", "mmcl.cca", "mmcl.metrics", "mmcl.baselines", "mmcl.matching"},
    {"mmcl.spikes", "mmcl.candidates", "mmcl.yardsticks"},
    {"mmcl.pseudo_pairs", "mmcl.unpaired", "mmcl.paper_baseline", "mmcl.cleaning"},
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


#: Grades an exercise title must carry, e.g. "The price of a pair (derivation)".
GRADES = ("warm-up", "derivation", "computation", "open")
MIN_EXERCISES = 6
#: Visible code (cells not tagged with one of HIDDEN_CODE) fits the page at 1300 px.
MAX_CODE_COLUMNS = 88
HIDDEN_CODE = {"remove-input", "remove-cell", "hide-input"}
EXERCISE = re.compile(
    r"^(`{3,}|:{3,})\{exercise(?:-start)?\}[ \t]*(?P<title>[^\n]*)\n(?P<options>(?::[^\n]*\n)*)"
    r"(?P<body>.*?)^\1",
    re.M | re.S,
)


def _markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def furniture_problems(nb: dict) -> list[str]:
    """What a chapter lacks of the furniture every chapter has (README, "Adding a chapter"):
    learning objectives, prerequisites, a "What the paper shows / what this chapter adds"
    admonition, a theorem with a proof, key takeaways, at least MIN_EXERCISES labelled
    exercises whose titles carry a grade, each with a dropdown solution (one worked by hand
    on a 2 x 2 or 3 x 3 case, one "change the code"), and references."""
    text = _markdown(nb)
    problems = []
    required = {
        "a 'Learning objectives' admonition": r"\{admonition\}[ \t]*Learning objectives",
        "prerequisites (an admonition, heading or bold 'Prerequisites')": (
            r"\{admonition\}[ \t]*Prerequisites|^#+[ \t]*Prerequisites|\*\*Prerequisites"
        ),
        "a 'What the paper shows / what this chapter adds' admonition": (
            r"\{admonition\}[ \t]*What the paper shows\s*/\s*what this chapter adds"
        ),
        "a 'Key takeaways' section": r"^#+[ \t]*Key takeaways",
        "a 'References' section": r"^#+[ \t]*References",
    }
    for what, pattern in required.items():
        if not re.search(pattern, text, re.I | re.M):
            problems.append(f"missing {what}")
    if "{prf:theorem}" not in text or "{prf:proof}" not in text:
        problems.append("no theorem with a proof ({prf:theorem} and {prf:proof})")
    exercises = []
    for m in EXERCISE.finditer(text):
        label = re.search(r"^:label:[ \t]*(\S+)", m.group("options"), re.M)
        exercises.append((m.group("title").strip(), label and label.group(1), m.group("body")))
    if len(exercises) < MIN_EXERCISES:
        problems.append(f"{len(exercises)} exercises (at least {MIN_EXERCISES} expected)")
    for title, label, _ in exercises:
        if not label:
            problems.append(f"exercise {title!r} has no :label:")
            continue
        if not re.search(rf"\b({'|'.join(GRADES)})\b", title, re.I):
            problems.append(
                f"exercise {label}: title {title!r} carries no grade ({', '.join(GRADES)})"
            )
        sol = re.search(
            rf"^(`{{3,}}|:{{3,}})\{{solution(?:-start)?\}}[ \t]*{re.escape(label)}[ \t]*\n"
            r"((?::[^\n]*\n)*)",
            text,
            re.M,
        )
        if not sol:
            problems.append(f"exercise {label} has no solution")
        elif not re.search(r"^:class:.*\bdropdown\b", sol.group(2), re.M):
            problems.append(f"the solution of exercise {label} is not a dropdown")
    whole = [f"{title}\n{body}" for title, _, body in exercises]
    if exercises and not any(
        re.search(r"by hand", e, re.I) and re.search(r"\b([23]) ?(x|\\times) ?\1\b", e)
        for e in whole
    ):
        problems.append("no exercise worked by hand on a 2 x 2 or 3 x 3 case")
    if exercises and not any(re.search(r"change the code", e, re.I) for e in whole):
        problems.append("no 'change the code' exercise")
    return problems


def _good_chapter() -> str:
    grades = ["warm-up", "derivation", "computation", "open", "derivation", "computation"]
    exercises = "".join(
        f"```{{exercise}} E{i} ({grade})\n:label: ex-{i}\nQ\n```\n"
        f"```{{solution}} ex-{i}\n:class: dropdown\nA\n```\n"
        for i, grade in enumerate(grades)
    )
    exercises = exercises.replace("\nQ\n", "\nSolve a 2 x 2 case by hand.\n", 1)
    exercises = exercises.replace("E5 (computation)", "Change the code (computation)")
    return (
        "```{admonition} Learning objectives\n```\n```{admonition} Prerequisites\n```\n"
        "```{admonition} What the paper shows / what this chapter adds\n```\n"
        "```{prf:theorem} T\n```\n```{prf:proof}\n```\n## Key takeaways\n"
        + exercises
        + "## References\n"
    )


def test_furniture_problems_are_detected():
    def found(text):
        return furniture_problems({"cells": [{"cell_type": "markdown", "source": text}]})

    good = _good_chapter()
    assert found(good) == []
    faults = {
        "missing a 'Learning objectives'": good.replace("Learning objectives", "Goals"),
        "missing prerequisites": good.replace("{admonition} Prerequisites", "{admonition} Before"),
        "missing a 'What the paper shows": good.replace("What the paper shows", "Paper"),
        "missing a 'Key takeaways'": good.replace("## Key takeaways", ""),
        "missing a 'References'": good.replace("## References", ""),
        "no theorem": good.replace("{prf:proof}", "{prf:remark}"),
        "5 exercises": good[: good.index("```{exercise} Change")] + "## References\n",
        "carries no grade": good.replace("E1 (derivation)", "E1"),
        "is not a dropdown": good.replace(":class: dropdown\nA", "A", 1),
        "ex-3 has no solution": good.replace("{solution} ex-3", "{note} ex-3"),
        "no exercise worked by hand": good.replace("by hand", "numerically"),
        "no 'change the code'": good.replace("Change the code", "E5"),
    }
    for message, text in faults.items():
        assert any(message in p for p in found(text)), (message, found(text))


def visible_code_problems(nb: dict) -> list[str]:
    """Lines over MAX_CODE_COLUMNS in visible code: code cells not tagged HIDDEN_CODE, and
    code shown in the text (fenced blocks, e.g. in solutions)."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"])
        if cell["cell_type"] == "code":
            if HIDDEN_CODE & set(cell.get("metadata", {}).get("tags", [])):
                continue
            lines = src.splitlines()
        elif cell["cell_type"] == "markdown":
            blocks = re.findall(r"^```(?:python|ipython3?)\n(.*?)^```", src, re.M | re.S)
            lines = "\n".join(blocks).splitlines()
        else:
            continue
        for line in lines:
            if len(line) > MAX_CODE_COLUMNS:
                problems.append(
                    f"cell {i}: a visible line of {len(line)} columns (at most "
                    f"{MAX_CODE_COLUMNS}; tag the cell remove-input if it is plumbing): "
                    f"{line.strip()[:60]!r}"
                )
    return problems


def test_visible_code_problems_are_detected():
    long = "x = " + "1 + " * 30 + "1"
    cells = [
        {"cell_type": "code", "source": long, "metadata": {}},
        {"cell_type": "code", "source": long, "metadata": {"tags": ["remove-input"]}},
        {"cell_type": "markdown", "source": f"Text\n```python\n{long}\n```\n" + long},
    ]
    found = visible_code_problems({"cells": cells})
    assert len(found) == 2 and found[0].startswith("cell 0") and found[1].startswith("cell 2")


GLUE_TEXT = re.compile(r"\{glue:text\}`([^`:]+)(:[^`]*)?`")
#: A glued float shown without a format spec may have at most this many significant digits.
MAX_UNFORMATTED_DIGITS = 4


def executed_notebook(path: Path) -> dict | None:
    """The notebook as the last build executed its current code (the build's jupyter-cache),
    or None."""
    cache_dir = ROOT / "_build" / ".jupyter_cache"
    if not cache_dir.exists():
        return None
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(cache_dir)
    try:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:  # the code changed since the last build
        return None
    return cache.get_cache_bundle(record.pk).nb


def glued_text(executed: dict) -> dict[str, str]:
    """Name -> text/plain of every value glued in an executed notebook."""
    found = {}
    for cell in executed["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            data = out.get("data", {})
            text = next((v for k, v in data.items() if k.endswith("text/plain")), None)
            if name and text is not None:
                found[name] = "".join(text)
    return found


def glue_format_problems(nb: dict, glued: dict[str, str]) -> list[str]:
    """``{glue:text}`name``` without a format spec whose glued value is a float with more
    than MAX_UNFORMATTED_DIGITS significant digits (it would print as 0.123456789012)."""
    problems = []
    for name, spec in GLUE_TEXT.findall(_markdown(nb)):
        value = glued.get(name)
        if spec or value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        digits = len(re.sub(r"^[-+0.]*|e.*$|\.", "", f"{number!r}".lower()))
        if not number.is_integer() and digits > MAX_UNFORMATTED_DIGITS:
            problems.append(
                f"{{glue:text}}`{name}` shows {value} without a format spec "
                f"(write {{glue:text}}`{name}:.2f` or similar)"
            )
    return problems


def test_glue_format_problems_are_detected():
    nb = {
        "cells": [
            {
                "cell_type": "markdown",
                "source": "{glue:text}`a`, {glue:text}`b:.2f`, {glue:text}`c`, {glue:text}`d`",
            }
        ]
    }
    glued = {"a": "0.123456789012", "b": "0.123456789012", "c": "200", "d": "0.25"}
    assert [p.split("`")[1] for p in glue_format_problems(nb, glued)] == ["a"]


CHAPTERS = [p for p in book_pages() if p.suffix == ".ipynb"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_the_furniture(path):
    problems = furniture_problems(json.loads(path.read_text()))
    assert not problems, f"{path.name} lacks chapter furniture: " + "; ".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_visible_code_fits_the_page(path):
    problems = visible_code_problems(json.loads(path.read_text()))
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_glued_floats_are_formatted(path):
    executed = executed_notebook(path)
    if executed is None:
        pytest.skip(f"{path.name}: the build cache holds no run of its current code (make site)")
    problems = glue_format_problems(json.loads(path.read_text()), glued_text(executed))
    assert not problems, f"{path.name}: " + "; ".join(problems)


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


def test_chapters_are_numbered():
    """Every chapter notebook sits in a part of _toc.yml marked `numbered: true`, so its
    figures, theorems and exercises are numbered with the chapter (Fig. 2.3); the pages
    around the chapters (notation, API, ...) are not numbered."""
    data = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered, plain = set(), set()
    for part in data.get("parts", []):
        files = {str(Path(c["file"]).with_suffix("")) for c in part.get("chapters", [])}
        (numbered if part.get("numbered") else plain).update(files)
    chapters = {str(p.relative_to(ROOT).with_suffix("")) for p in CHAPTERS}
    assert chapters <= numbered, f"chapters outside the numbered part: {chapters - numbered}"
    assert not numbered - chapters, f"numbered pages that are not chapters: {numbered - chapters}"


#: Works the book names in its text, and the bibliography key a page naming them must cite.
NAMED_WORKS = {
    r"knockoff": "barber2015controlling",
    r"InfoNCE|contrastive predictive coding": "oord2018representation",
    r"Eckart.Young": "eckart1936approximation",
    r"modality gap": "liang2022mind",
    r"SigLIP": "zhai2023sigmoid",
    r"AdamW": "loshchilov2019decoupled",
    r"Davis.Kahan": "davis1970rotation",
    r"target.decoy": "elias2007target",
}
CITE = re.compile(r"\{cite:[pt]\}`([^`]*)`")


def _page_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        return _markdown(json.loads(path.read_text()))
    return path.read_text()


def citation_problems(text: str) -> list[str]:
    """Works named on a page (NAMED_WORKS) that the page does not cite."""
    cited = {key.strip() for keys in CITE.findall(text) for key in keys.split(",")}
    return [
        f"names {re.search(pattern, text, re.I).group(0)!r} but does not cite {key}"
        for pattern, key in NAMED_WORKS.items()
        if re.search(pattern, text, re.I) and key not in cited
    ]


def test_citation_problems_are_detected():
    assert citation_problems("The knockoff+ filter {cite:p}`barber2015controlling`.") == []
    assert citation_problems("As in the knockoff+ filter.") == [
        "names 'knockoff' but does not cite barber2015controlling"
    ]


@pytest.mark.parametrize("path", book_pages(), ids=lambda p: p.name)
def test_named_works_are_cited(path):
    problems = citation_problems(_page_text(path))
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_every_reference_is_cited_and_every_citation_exists():
    keys = set(re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M))
    cited = {
        key.strip()
        for path in book_pages()
        for keys_ in CITE.findall(_page_text(path))
        for key in keys_.split(",")
    }
    assert not cited - keys, f"cited but not in references.bib: {sorted(cited - keys)}"
    assert not keys - cited, (
        f"in references.bib but cited nowhere in the book (cite them or remove them): "
        f"{sorted(keys - cited)}"
    )
