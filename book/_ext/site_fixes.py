"""Sphinx fixes for the book's website (a local extension, see ``_config.yml``).

1. Sphinx 7.4 registers a script added by an extension after the builder has
   started twice: once as given (``filename=None`` for an inline script) and
   once more from the registry as ``filename=''``
   (``StandaloneHTMLBuilder.prepare_writing``). The two copies compare unequal,
   so every page carried sphinx-thebe's inline ``const THEBE_JS_URL = ...``
   twice and the browser logged "Identifier 'THEBE_JS_URL' has already been
   declared". The duplicate inline scripts are removed from each page before
   it is rendered.
2. Docstrings of ``mmcl`` name the chapter that introduces each function
   ("Introduced in the chapter *From contrastive loss to SVD*"). On the API
   page that title becomes a link to the chapter, using the title -> document
   map ``mmcl_chapters`` of ``_config.yml``. A title missing from the map is a
   warning (so a typo fails the strict build); a chapter not built yet stays
   plain text.
"""

from __future__ import annotations

import re

from sphinx.util import logging

logger = logging.getLogger(__name__)
CHAPTER = re.compile(r"the\s+chapter\s+\*([^*]+)\*")


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
    chapters = app.config.mmcl_chapters

    def link(match):
        title = " ".join(match.group(1).split())
        doc = chapters.get(title)
        if doc is None:
            logger.warning(f"{name}: docstring names an unknown chapter {title!r} "
                           f"(known: {sorted(chapters)}); add it to mmcl_chapters in _config.yml")
            return match.group(0)
        if doc not in app.env.found_docs:
            return match.group(0)
        return f"the chapter :doc:`{title} </{doc}>`"

    text = "\n".join(lines)
    new = CHAPTER.sub(link, text)
    if new != text:
        lines[:] = new.split("\n")


def setup(app):
    app.add_config_value("mmcl_chapters", {}, "env")
    app.connect("html-page-context", _dedupe_inline_scripts)
    app.connect("autodoc-process-docstring", _link_chapters)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
