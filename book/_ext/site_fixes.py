"""Sphinx fixes for the book's website (a local extension, see ``_config.yml``).

Sphinx 7.4 registers a script added by an extension after the builder has
started twice: once as given (``filename=None`` for an inline script) and once
more from the registry as ``filename=''`` (``StandaloneHTMLBuilder.prepare_writing``).
The two copies compare unequal, so every page carried sphinx-thebe's inline
``const THEBE_JS_URL = ...`` twice and the browser logged
"Identifier 'THEBE_JS_URL' has already been declared". This extension removes
the duplicate inline scripts from each page before it is rendered.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", _dedupe_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
