"""Print the built website into one PDF of the whole book (``make pdf``).

Every page of ``_toc.yml`` is opened, in order, in the headless Chromium that
the browser test drives (no browser is downloaded), MathJax is allowed to
finish, and the page is printed with the theme's print style (no navigation,
collapsed solutions stay collapsed). The pages are joined with ``pypdf`` into
``_build/html/mmcl-book.pdf``, which the site links from the introduction and
the download menu. Usage::

    .venv/bin/python book/_ext/print_pdf.py [_build/html]

Why this route and not LaTeX: the PDF then shows exactly what the website
shows (the same MathJax, figures and theorem boxes) and needs nothing beyond
the Chromium that the tests already use, where a LaTeX build would need a TeX
distribution of several hundred megabytes and a second set of styles.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from browser_check import CHROMIUM_ARGS, chromium_path, serve, toc_pages  # noqa: E402

PDF_NAME = "mmcl-book.pdf"
READY = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
}
"""


def print_book(site: Path) -> Path:
    """Print every page of the site into ``site / PDF_NAME``; return its path."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    server, base = serve(site)
    writer = PdfWriter()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            for path in toc_pages():
                page.goto(base + path, wait_until="load")
                page.evaluate(READY)
                pdf = page.pdf(
                    format="A4",
                    print_background=True,
                    outline=True,
                    margin={
                        "top": "15mm",
                        "bottom": "15mm",
                        "left": "14mm",
                        "right": "14mm",
                    },
                )
                for sheet in PdfReader(io.BytesIO(pdf)).pages:
                    writer.add_page(sheet)
            browser.close()
    finally:
        server.shutdown()
    target = site / PDF_NAME
    with open(target, "wb") as f:
        writer.write(f)
    return target


if __name__ == "__main__":
    start = time.perf_counter()
    out = print_book(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html"))
    print(
        f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - start:.0f} s"
    )
