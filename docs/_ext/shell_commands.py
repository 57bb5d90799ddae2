"""Sphinx extension: a warning where a command's ``--option`` was typeset as a dash.

reST's smart quotes turn ``--`` in running text into an en dash, so that
``python -m benchmarks --quick`` written as text reads ``python -m benchmarks –quick``,
which a shell does not accept once pasted. Code (``literal`` and literal blocks) keeps
its hyphens. After each page is read, every piece of running text in which a dash
opens a word is reported; the build treats warnings as errors. Plain Python but for
:func:`setup`, so ``tests/test_docs.py`` tests :func:`lost_options` on reST that
docutils renders with the smart quotes on.
"""

import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

# An en or em dash that opens a word ("–quick", "—out"): ``--`` or ``---`` that smart
# quotes typeset. A dash between words or numbers ("1–2", "PCA–VAE") is punctuation.
LOST_OPTION = re.compile(r"(?<![\w\-–—])[–—](?=[A-Za-z])[\w\-.=/]*")

# Text inside these is shown as written: smart quotes leave it alone.
VERBATIM = (nodes.FixedTextElement, nodes.literal, nodes.math, nodes.raw)


def _is_verbatim(node):
    parent = node.parent
    while parent is not None:
        if isinstance(parent, VERBATIM):
            return True
        parent = parent.parent
    return False


def lost_options(doctree):
    """``(node, word)`` for each word of running text that opens with a dash, in order."""
    found = []
    for node in doctree.findall(nodes.Text):
        if _is_verbatim(node):
            continue
        found.extend((node, match.group()) for match in LOST_OPTION.finditer(str(node)))
    return found


def _warn_lost_options(app, doctree):
    for node, word in lost_options(doctree):
        location = node.parent if node.parent is not None else node
        logger.warning(
            "%r: a command's option typeset as a dash; write the command as code "
            "(``...`` or a literal block) so that it keeps its two hyphens",
            word,
            location=location,
        )


def setup(app):
    app.connect("doctree-read", _warn_lost_options)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
