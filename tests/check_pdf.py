"""Check the PDF of the whole book (part of ``make test``, after ``make pdf``)::

    .venv/bin/python tests/check_pdf.py [_build/html/mmcl-book.pdf]

It must exist, have at least 40 pages, contain the title of every chapter in
the table of contents (in order), and show no raw TeX: no TeX command or
delimiter may survive in the extracted text (MathJax typesets every formula
before the page is printed). The file is not collected by ``pytest``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import launch  # noqa: E402

MIN_PAGES = 40
RAW_TEX = re.compile(
    r"\\(frac|mathbb|mathcal|operatorname|begin|end|sum|sqrt|left|right|top)\b"
    r"|\$\$|\\\(|\\\["
)


def chapter_titles() -> list[str]:
    """Level-1 titles of the notebooks listed in _toc.yml, in reading order."""
    titles = []
    for path in launch.chapters():
        cells = json.loads(path.read_text())["cells"]
        first = next(c for c in cells if c["cell_type"] == "markdown")
        titles.append(re.search(r"^#\s+(.+)$", "".join(first["source"]), re.M).group(1))
    return titles


def check(pdf: Path) -> None:
    from pypdf import PdfReader

    if not pdf.exists():
        sys.exit(f"{pdf} is missing: run make pdf")
    reader = PdfReader(pdf)
    pages = [page.extract_text() or "" for page in reader.pages]
    text = " ".join(" ".join(pages).split())
    problems = []
    if len(pages) < MIN_PAGES:
        problems.append(f"only {len(pages)} pages (at least {MIN_PAGES} expected)")
    position = 0
    for title in chapter_titles():
        found = text.find(" ".join(title.split()), position)
        if found < 0:
            problems.append(f"chapter title {title!r} not found (in table-of-contents order)")
        else:
            position = found
    for number, page in enumerate(pages, 1):
        for match in RAW_TEX.finditer(page):
            start = max(0, match.start() - 40)
            problems.append(f"raw TeX on page {number}: ...{page[start : match.end() + 40]!r}")
    if problems:
        sys.exit("PDF check failed:\n  " + "\n  ".join(problems[:20]))
    size = pdf.stat().st_size / 2**20
    print(
        f"PDF check: {len(pages)} pages, {len(chapter_titles())} chapter titles in order, "
        f"no raw TeX ({size:.1f} MiB)"
    )


if __name__ == "__main__":
    check(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "html" / "mmcl-book.pdf")
