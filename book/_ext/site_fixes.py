"""Sphinx fixes for the book's website (a local extension, see ``_config.yml``).

1. Sphinx 7.4 registers a script added by an extension after the builder has
   started twice: once as given (``filename=None`` for an inline script) and
   once more from the registry as ``filename=''``
   (``StandaloneHTMLBuilder.prepare_writing``). The two copies compare unequal,
   so every page carried sphinx-thebe's inline ``const THEBE_JS_URL = ...``
   twice and the browser logged "Identifier 'THEBE_JS_URL' has already been
   declared". The duplicate inline scripts are removed from each page before
   it is rendered.
2. Docstrings of ``mmcl`` name the chapter that introduces each function by
   its document name ("Introduced in the chapter `loss_to_svd`"). On the API
   page that name becomes a link to ``book/<name>``, shown with the chapter's
   title. A name that is not a document of the book is a warning, so a typo
   fails the strict build.
"""

from __future__ import annotations

import re

from sphinx.util import logging

logger = logging.getLogger(__name__)
CHAPTER = re.compile(r"\bchapter\s+`(\w+)`")


def _dedupe_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = (js.filename or "", tuple(sorted(js.attributes.items())))
        if not js.filename and key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique


def _link_chapters(app, what, name, obj, options, lines):
    def link(match):
        doc = f"book/{match.group(1)}"
        if doc not in app.env.found_docs:
            logger.warning(
                f"{name}: docstring names the chapter {match.group(1)!r}, but the book "
                f"has no document {doc}"
            )
            return match.group(0)
        return f"chapter :doc:`/{doc}`"

    text = "\n".join(lines)
    new = CHAPTER.sub(link, text)
    if new != text:
        lines[:] = new.split("\n")


def setup(app):
    app.connect("html-page-context", _dedupe_inline_scripts)
    app.connect("autodoc-process-docstring", _link_chapters)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
