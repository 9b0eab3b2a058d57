"""Check the built website in a real browser (headless Chromium).

Run after the strict build (``make browser``, part of ``make test``)::

    .venv/bin/python tests/browser_check.py [_build/html]

The site is served over http on 127.0.0.1 and opened with the Python
``playwright`` package driving the system's Chromium (``/usr/bin/chromium``,
or the path in the environment variable ``CHROMIUM``); no browser is
downloaded. The check fails unless

* every page in ``_toc.yml`` is reached by following links from the landing
  page, and every page reached
* has MathJax typeset all of its math: each Sphinx math element holds a
  MathJax container, there are no MathJax error nodes, and no raw TeX is
  left in the visible text outside math and code (``$``, ``\\(``, ``\\[``,
  ``\\frac``, ``\\mathbb``, ``\\begin{``, ``^{``, ``_{``);
* has every image loaded (non-zero natural width) and described by alt text
  (at least two words: a figure displayed a second time by a cell, outside
  its ``glue:figure``, carries only its file name), and every raster image
  of the text column at least ``MIN_FIGURE_PX`` pixels wide (sharp figures);
* lays out at ``WIDE`` and ``NARROW`` viewport widths without clipping: the
  page is never wider than the viewport; at the wide width every display
  equation, table and code block fits the text column; at the narrow width
  one that does not fit scrolls inside its own box (``overflow-x: auto``),
  which itself fits the page;
* numbers its figures, tables, theorems and exercises with the chapter
  (``Fig. 2.3``, ``Theorem 1.2``);
* logs no console error and no uncaught exception, has no failed request and
  no response with status >= 400, and requests nothing from another host
  (the site must work offline: no CDN);
* every notebook page offers its ``.ipynb`` for download, and the file served
  is a notebook;
* the search page returns at least one result for "contrastive".

Before it checks the site, it runs itself on a small site with one fault of
each kind (``BROKEN_SITE``) and stops if it misses any, so the check itself
is tested. It prints what it checked (pages, images, equations) and its
timings. The
file is not collected by ``pytest tests`` (its name does not start with
``test_``): it needs the built site.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEARCH_TERM = "contrastive"
#: Viewport widths (CSS pixels) at which every page's layout is checked: a laptop, a phone.
WIDE, NARROW = 1300, 400
#: Smallest natural width (pixels) of a raster image in the text column.
MIN_FIGURE_PX = 1000
#: Text that must not be visible outside math and code: TeX that MathJax did not typeset.
RAW_TEX = ["$", "\\(", "\\[", "\\frac", "\\mathbb", "\\begin{", "^{", "_{"]

#: Console messages that are proven harmless and cannot be fixed at their
#: cause, by exact text. Empty: every error seen so far was fixed at its cause
#: (favicon: ``html.favicon``, and ``favicon.ico`` at the site root for the
#: redirect page ``index.html``; "Got invalid theme mode": ``html_context.default_mode``;
#: "Identifier 'THEBE_JS_URL' has already been declared": ``book/_ext/site_fixes.py``).
ALLOWED_CONSOLE_ERRORS: frozenset[str] = frozenset()

# Runs in the page: wait for MathJax, then count math, errors, raw TeX and images.
PAGE_PROBE = """
async ([RAW_TEX, MIN_FIGURE_PX]) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  const mathEls = [...document.querySelectorAll('.math')];
  const untypeset = mathEls.filter(el => !el.querySelector('mjx-container'))
                           .map(el => el.textContent.slice(0, 80));
  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'TEXTAREA', 'MJX-CONTAINER', 'MJX-ASSISTIVE-MML']);
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let p = node.parentElement; p; p = p.parentElement) {
        if (skip.has(p.tagName)) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent;
    const token = RAW_TEX.find(tok => t.includes(tok));
    if (token) raw.push([token, t.trim().slice(0, 80)]);
  }
  const column = document.querySelector('article') || document.body;
  return {
    mathjax: !!window.MathJax && !!window.MathJax.startup,
    equations: document.querySelectorAll('mjx-container').length,
    mathElements: mathEls.length,
    untypeset: untypeset,
    errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    raw: raw,
    images: imgs.length,
    broken: imgs.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.getAttribute('src')),
    noAlt: imgs.filter(img => !img.closest('.navbar-brand, .logo')
                              && !/[a-z]{3,}\\s+[a-z]{3,}/i.test(img.getAttribute('alt') || ''))
               .map(img => img.getAttribute('src')),
    small: [...column.querySelectorAll('img')]
      .filter(img => img.naturalWidth > 0 && img.naturalWidth < MIN_FIGURE_PX
                     && !/[.]svg([?#]|$)/i.test(img.getAttribute('src') || ''))
      .map(img => [img.getAttribute('src').slice(0, 80), img.naturalWidth]),
    numbers: [...document.querySelectorAll('.caption-number')]
      .map(el => el.textContent.trim()),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    external: [...document.querySelectorAll('script[src], link[href]')]
      .filter(e => !['canonical', 'prev', 'next', 'index', 'search'].includes(e.rel))
      .map(e => e.src || e.href).filter(u => /^https?:/.test(u) && !u.startsWith(location.origin)),
  };
}
"""

# Runs in the page at one viewport width: what does not fit, and where it would scroll.
LAYOUT_PROBE = """
() => {
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const name = el => el.tagName.toLowerCase() + ': '
    + (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
  const items = [];
  for (const el of document.querySelectorAll('mjx-container[display="true"], table, pre')) {
    if (el.parentElement.closest('table, pre, mjx-container')) continue;  // nested
    if (!el.getClientRects().length) continue;  // not displayed (a folded solution)
    // The box that scrolls: the element itself or a wrapper around it alone.
    let box = null;
    for (let e = el, i = 0; e && i < 3; e = e.parentElement, i++) {
      if (scrolls(e)) { box = e; break; }
      if (e !== el && e.children.length > 1) break;
    }
    let need, room;
    if (box) {
      [need, room] = [box.scrollWidth, box.clientWidth];
    } else if (el.scrollWidth > el.clientWidth + 1) {  // content spills out or is clipped
      [need, room] = [el.scrollWidth, el.clientWidth];
    } else {  // the element itself is wider than its container
      [need, room] = [el.getBoundingClientRect().width, el.parentElement.clientWidth];
    }
    if (need > room + 1) {
      items.push({what: name(el), need: Math.round(need), room: Math.round(room),
                  scrolls: !!box,
                  boxRight: Math.round((box || el).getBoundingClientRect().right)});
    }
  }
  return {page: document.documentElement.scrollWidth, viewport: window.innerWidth, items};
}
"""


def layout_problems(layout: dict, width: int) -> list[str]:
    """Messages for one page at one viewport width, from LAYOUT_PROBE."""
    found = []
    if layout["page"] > layout["viewport"] + 1:
        found.append(
            f"at {width} px the page is {layout['page']} px wide (wider than the viewport)"
        )
    for item in layout["items"]:
        where = f"at {width} px, {item['what']!r} needs {item['need']} px of {item['room']} px"
        if width >= WIDE:
            found.append(f"does not fit the text column {where}")
        elif not item["scrolls"]:
            found.append(f"overflows its container (clipped or widening the page) {where}")
        elif item["boxRight"] > layout["viewport"] + 1:
            found.append(f"scroll box wider than the page {where}")
    return found


def chromium_path() -> str:
    """The system Chromium, or exit with a message saying how to install it."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        sys.exit(
            "Chromium not found. Install Debian's package (as root: "
            "`apt-get update && apt-get install -y chromium`) or set CHROMIUM=/path/to/chromium."
        )
    return path


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Site paths (``book/intro.html``, ...) of every page listed in the TOC."""
    import yaml

    data = yaml.safe_load(toc.read_text())
    files = [data["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            for part in e.get("parts", []) if "parts" in e else []:
                walk(part.get("chapters"))

    walk(data.get("chapters"))
    for part in data.get("parts", []):
        walk(part.get("chapters"))
    return [str(Path(f).with_suffix("")) + ".html" for f in files]


def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 in a daemon thread; returns (server, base url)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, *args, **kwargs):
            # Recorded here too: the browser's own requests (favicon.ico) raise no page event.
            self.server.errors.append(f"{code} {self.path}")
            super().send_error(code, *args, **kwargs)

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser moved on
                super().handle_error(request, client_address)

    handler = functools.partial(Quiet, directory=str(directory))
    server = Server(("127.0.0.1", 0), handler)
    server.errors = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class Checker:
    """Visits pages with one browser page and collects problems per URL."""

    def __init__(self, browser, base: str):
        self.base, self.problems, self.url = base, [], None
        self.page = browser.new_page(viewport={"width": WIDE, "height": 900})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.fail(f"uncaught exception: {exc}"))
        self.page.on(
            "requestfailed", lambda req: self.fail(f"request failed: {req.url} ({req.failure})")
        )
        self.page.on("response", self._response)
        self.page.on("request", self._request)

    def fail(self, message: str) -> None:
        self.problems.append(f"{self.url}: {message}")  # "url: " prefixes count failed checks

    def _console(self, msg) -> None:
        if msg.type == "error" and msg.text not in ALLOWED_CONSOLE_ERRORS:
            where = msg.location.get("url") or "?"
            self.fail(f"console error: {msg.text} (at {where})")

    def _response(self, resp) -> None:
        if resp.status >= 400:
            self.fail(f"HTTP {resp.status} for {resp.url}")

    def _request(self, req) -> None:
        if not req.url.startswith(self.base) and not req.url.startswith(
            ("data:", "blob:", "about:")
        ):
            self.fail(f"request to another host (the site must work offline): {req.url}")

    def visit(self, url: str) -> dict:
        self.url = url
        self.page.goto(url, wait_until="load")
        # index.html is a redirect (meta refresh): wait until the real page has loaded.
        self.page.wait_for_function(
            "() => document.body && !document.querySelector('meta[http-equiv=Refresh]')"
        )
        self.page.wait_for_load_state("load")
        self.url = self.page.url
        info = self.page.evaluate(PAGE_PROBE, [RAW_TEX, MIN_FIGURE_PX])
        for width in (WIDE, NARROW):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.wait_for_timeout(50)  # let the layout settle
            for problem in layout_problems(self.page.evaluate(LAYOUT_PROBE), width):
                self.fail(problem)
        self.page.set_viewport_size({"width": WIDE, "height": 900})
        # Let late requests (favicon, fonts) finish: leaving the page would abort them.
        self.page.wait_for_load_state("networkidle")
        if info["mathElements"] and not info["mathjax"]:
            self.fail(f"{info['mathElements']} math elements but MathJax did not load")
        for text in info["untypeset"]:
            self.fail(f"math not typeset: {text!r}")
        if info["errors"]:
            self.fail(f"{info['errors']} MathJax error nodes")
        for token, text in info["raw"]:
            self.fail(f"raw TeX ({token}) left in the text: {text!r}")
        for src, px in info["small"]:
            self.fail(f"figure image only {px} px wide (at least {MIN_FIGURE_PX}): {src}")
        for number in info["numbers"]:
            if not re.fullmatch(r"\S+\.? \d+\.\d+\.?", number):
                self.fail(f"number without its chapter: {number!r} (expected e.g. 'Fig. 2.3')")
        for url in info["external"]:
            self.fail(f"asset from another host (the site must work offline): {url}")
        for src in info["broken"]:
            self.fail(f"image did not load: {src}")
        for src in info["noAlt"]:
            self.fail(f"image without alt text (a figure shown twice, or missing :alt:): {src}")
        return info


def internal_html(base: str, href: str) -> str | None:
    """Normalised URL of an internal HTML page, or None."""
    url = urldefrag(href)[0]
    if not url.startswith(base):
        return None
    path = urlsplit(url).path
    if path.endswith("/"):
        url += "index.html"
    elif not path.endswith(".html"):
        return None
    return url.split("?")[0]


def check_downloads(checker: Checker, base: str, build: Path, page_url: str) -> int:
    """The download button of a notebook page must serve its ``.ipynb``."""
    rel = urlsplit(page_url).path.lstrip("/")
    if not (build / "_sources" / Path(rel).with_suffix(".ipynb")).exists():
        return 0  # not a notebook page
    checker.url = page_url
    hrefs = checker.page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.href)")
    if not hrefs:
        checker.fail("no .ipynb download link")
        return 0
    resp = checker.page.request.get(hrefs[0])
    try:
        nb = json.loads(resp.body())
        ok = resp.status == 200 and isinstance(nb.get("cells"), list)
    except ValueError:
        ok = False
    if not ok:
        checker.fail(f"download link {hrefs[0]} does not serve a notebook")
    return int(ok)


def check_search(checker: Checker, base: str) -> int:
    """Number of results the search page shows for SEARCH_TERM."""
    url = f"{base}search.html?q={SEARCH_TERM}"
    checker.url = url
    response = checker.page.goto(url, wait_until="load")
    if response is None or response.status >= 400:
        checker.fail("no search page")
        return 0
    try:  # results are shown one by one; the summary line comes when all are in
        checker.page.wait_for_function(
            "() => (document.querySelector('#search-results p.search-summary') || {}).textContent"
            " && !/Searching|Preparing/.test(document.querySelector('#search-results h2').textContent)",
            timeout=20_000,
        )
    except Exception:  # playwright's TimeoutError: reported below
        pass
    n = checker.page.locator("#search-results ul.search li").count()
    if n < 1:
        checker.fail(f'search for "{SEARCH_TERM}" returned no result')
    return n


def check_site(build: Path, toc: Path) -> tuple[dict, list[str]]:
    """Crawl the site from its landing page; returns (counts, problems)."""
    from playwright.sync_api import sync_playwright

    server, base = serve(build)
    counts = dict(pages=0, images=0, equations=0, downloads=0, search_results=0)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            checker = Checker(browser, base)
            start = base + "index.html"
            seen, queue = {start}, deque([start])
            while queue:
                url = queue.popleft()
                info = checker.visit(url)
                final = internal_html(base, checker.page.url) or url
                seen.add(final)
                counts["pages"] += 1
                counts["images"] += info["images"]
                counts["equations"] += info["equations"]
                counts["downloads"] += check_downloads(checker, base, build, final)
                for href in info["links"]:
                    link = internal_html(base, href)
                    if link and link not in seen and not link.startswith(base + "_"):
                        seen.add(link)
                        queue.append(link)
            checker.url = "TOC"
            for rel in toc_pages(toc):
                if base + rel not in seen:
                    checker.fail(f"{rel} is in _toc.yml but not reachable from the landing page")
            counts["search_results"] = check_search(checker, base)
            browser.close()
    finally:
        server.shutdown()
    checker.url = "server"
    for error in server.errors:
        checker.fail(f"HTTP {error}")
    return counts, [p.replace(base, "/") for p in checker.problems]


# A small site with one fault of each kind the check must catch.
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
BROKEN_SITE = {
    "index.html": '<meta http-equiv="Refresh" content="0; url=book/intro.html" />',
    "book/intro.html": (
        "<html><head><title>t</title><link rel='icon' href='data:,'></head><body>"
        "<p><span class='math'>\\(x^2\\)</span> and $$y$$</p>"
        "<a href='page.html'>next</a> <a href='layout.html'>layout</a></body></html>"
    ),
    "book/layout.html": (
        "<html><head><title>t</title><link rel='icon' href='data:,'></head><body><article>"
        "<div style='width:300px'><mjx-container display='true'>"
        "<span style='display:inline-block;width:900px'>a wide equation</span>"
        "</mjx-container></div>"
        "<pre style='overflow:hidden;width:200px'>" + "clipped_code " * 30 + "</pre>"
        "<div style='overflow-x:auto;width:600px'><table style='width:900px'>"
        "<tr><td>a table that scrolls in a box wider than a phone</td></tr></table></div>"
        "<table style='width:1400px'><tr><td>a table that widens the page</td></tr></table>"
        "<p>Raw \\frac{a}{b} left by a broken role.</p>"
        f"<img src='{TINY_PNG}' alt='a tiny figure'>"
        "<figure><figcaption><span class='caption-number'>Fig. 3 </span>x</figcaption></figure>"
        "</article></body></html>"
    ),
    "book/page.html": (
        "<html><head><title>t</title>"  # no icon link: the browser asks for /favicon.ico
        "<script src='http://127.0.0.2:9/cdn.js'></script></head><body>"
        "<img src='missing.png' alt='x'><script>console.error('boom')</script></body></html>"
    ),
}
BROKEN_TOC = (
    "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/page\n  - file: book/orphan\n"
)
EXPECTED_FAULTS = {  # fault -> text that must appear in some problem
    "math without MathJax": "MathJax did not load",
    "untypeset math": "math not typeset",
    "raw TeX": "raw TeX ($) left",
    "raw TeX command": "raw TeX (\\frac) left",
    "equation too wide at the wide width": "does not fit the text column at 1300 px, 'mjx-container",
    "equation clipped at the narrow width": (
        "overflows its container (clipped or widening the page) at 400 px, 'mjx-container"
    ),
    "code block clipped": "overflows its container (clipped or widening the page) at 400 px, 'pre",
    "table that widens the page": "at 1300 px the page is",
    "scroll box wider than a phone": "scroll box wider than the page at 400 px, 'table",
    "blurry figure": "figure image only 1 px wide",
    "number without the chapter": "number without its chapter: 'Fig. 3'",
    "broken image": "image did not load",
    "image without alt text": "image without alt text",
    "HTTP error": "HTTP 404",
    "missing favicon": "server: HTTP 404 /favicon.ico",
    "console error": "console error: boom",
    "CDN request": "request to another host",
    "CDN asset tag": "asset from another host",
    "unreachable TOC page": "book/orphan.html is in _toc.yml but not reachable",
    "search": "no search page",
}


def self_test() -> list[str]:
    """Run the check on BROKEN_SITE; returns the faults it failed to catch."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for rel, html in BROKEN_SITE.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(html)
        (tmp / "_toc.yml").write_text(BROKEN_TOC)
        _, problems = check_site(tmp, tmp / "_toc.yml")
    return [
        fault for fault, text in EXPECTED_FAULTS.items() if not any(text in p for p in problems)
    ]


def main(build: Path, toc: Path = ROOT / "_toc.yml") -> int:
    t0 = time.perf_counter()
    missed = self_test()
    if missed:
        print(f"FAIL the browser check no longer detects: {', '.join(missed)}")
        return 1
    print(
        f"self-test: the check catches all {len(EXPECTED_FAULTS)} kinds of fault on a broken site "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    if not (build / "index.html").exists():
        sys.exit(f"{build}/index.html not found: build the book first (make site).")
    t0 = time.perf_counter()
    counts, problems = check_site(build, toc)
    elapsed = time.perf_counter() - t0
    print(
        f"browser check of {build}: {counts['pages']} pages, {counts['images']} images, "
        f"{counts['equations']} equations typeset, {counts['downloads']} notebook downloads, "
        f"{counts['search_results']} search results for '{SEARCH_TERM}' ({elapsed:.1f} s)"
    )
    for p in problems:
        print("FAIL", p)
    # One check per page, plus TOC reachability and search.
    failed = len({p.split(": ", 1)[0] for p in problems})
    print(f"browser: {counts['pages'] + 2 - failed} passed, {failed} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument(
        "--toc", type=Path, default=ROOT / "_toc.yml", help="the TOC the site was built with"
    )
    args = parser.parse_args()
    sys.exit(main(args.build.resolve(), args.toc))
