"""Sphinx configuration of the sk_autoencoder documentation.

Build from the repository root (warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

``SK_AUTOENCODER_EXAMPLES_QUICK=1`` runs the gallery's examples with tiny settings
(seconds each, figures meaningless), as CI does.
"""

import http.client
import os
import shutil
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

DOCS_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOCS_DIR.parent
BUILD_DIR = DOCS_DIR / "_build"
sys.path.insert(0, str(REPO_ROOT))  # the package, when it is not installed
sys.path.insert(0, str(DOCS_DIR / "_ext"))

import sk_autoencoder  # noqa: E402

logger = logging.getLogger(__name__)

project = "sk_autoencoder"
author = "sk_autoencoder developers"
copyright = "sk_autoencoder developers"
release = sk_autoencoder.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "benchmark_results",
    "anomaly_results",
    "shell_commands",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
default_role = "literal"
add_module_names = False
toc_object_entries_show_parents = "hide"  # "fit()" in a page's table of contents

# -- API reference ------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # the numpydoc sections give the types
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False
# The types in "name : type" lines become links where a name is known ("ndarray",
# "int", "RandomState"); the words below stay text. Other words become code, and a
# name ending in "_" ("n_features_in_") must: as text, reST reads it as a link.
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "RandomState": "numpy.random.RandomState",
    "torch.device": "torch.device",
    "skorch.NeuralNet": "skorch.net.NeuralNet",
    # numpydoc's own aliases show the target's name, "numpy:array_like".
    "array-like": ":term:`array-like <numpy:array_like>`",
}
numpydoc_xref_ignore = {
    "of",
    "or",
    "and",
    "shape",
    "default",
    "optional",
    "instance",
    "instances",
    "like",
    "pairs",
    "sparse",
    "matrix",
    "path-like",
    "objects",
    "n_samples",
    "n_features",
    "n_components",
    "n_features_new",
    "n_outputs",
    "n_units",
}

# numpydoc checks every docstring it renders; a failed check is a warning. Methods
# need no examples, extended summary or See Also (scikit-learn's rule), and returns
# are named ("self : object"), as in scikit-learn.
numpydoc_validation_checks = {"all", "ES01", "EX01", "SA01", "RT02"}
# Inherited from scikit-learn: not ours to fix.
INHERITED_FROM_SKLEARN = {
    rf"\.{name}$"
    for name in (
        "fit_transform",
        "get_feature_names_out",
        "get_metadata_routing",
        "get_params",
        "set_output",
        "set_params",
    )
}

numpydoc_validation_exclude = INHERITED_FROM_SKLEARN


# -- Example gallery ----------------------------------------------------------------
EXAMPLES_QUICK = os.environ.get("SK_AUTOENCODER_EXAMPLES_QUICK", "") not in ("", "0")
GALLERY_DIR = DOCS_DIR / "auto_examples"
# Empty: the examples write no PNG files and leave their figures open, for
# sphinx-gallery's matplotlib scraper to capture.
os.environ["SK_AUTOENCODER_EXAMPLES_OUT"] = ""


def _forget_examples_run_in_other_mode():
    """Rerun every example when the mode changed since the last build.

    sphinx-gallery reruns an example only when its source changed, so a full
    build after a quick one would otherwise keep the quick run's figures.
    """
    mode = "quick" if EXAMPLES_QUICK else "full"
    marker = GALLERY_DIR / ".examples_mode"
    if marker.exists() and marker.read_text() != mode:
        shutil.rmtree(GALLERY_DIR)
    GALLERY_DIR.mkdir(exist_ok=True)
    marker.write_text(mode)


_forget_examples_run_in_other_mode()

sphinx_gallery_conf = {
    # Relative to this folder: sphinx-gallery writes these paths into the
    # toctrees of the gallery's subsections, where absolute ones do not resolve.
    "examples_dirs": os.path.relpath(REPO_ROOT / "examples", DOCS_DIR),
    "gallery_dirs": os.path.relpath(GALLERY_DIR, DOCS_DIR),
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(__init__|_common)\.py",
    "within_subsection_order": "gallery_order.ReadingOrder",
    "doc_module": ("sk_autoencoder",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sk_autoencoder": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 10,
}

# -- Intersphinx --------------------------------------------------------------------
# A mapping whose inventory cannot be fetched makes Sphinx warn, and this build treats
# warnings as errors, offline too. Each inventory is fetched here, with a short
# timeout, into the build folder; only those fetched now or on an earlier build are
# mapped. References to the others render as plain text.
INTERSPHINX_URLS = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "sklearn": "https://scikit-learn.org/stable/",
    "skorch": "https://skorch.readthedocs.io/en/stable/",
    "torch": "https://docs.pytorch.org/docs/stable/",
}
INVENTORY_CACHE = BUILD_DIR / "intersphinx"


def _cached_inventory(name, url, timeout=3):
    """Path of ``name``'s inventory, fetched now or on an earlier build, else None."""
    path = INVENTORY_CACHE / f"{name}.inv"
    try:
        with urllib.request.urlopen(url + "objects.inv", timeout=timeout) as response:
            content = response.read()
    except (OSError, ValueError, http.client.HTTPException):
        content = b""
    if content.startswith(b"# Sphinx inventory version"):  # not a proxy's error page
        INVENTORY_CACHE.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return path if path.exists() else None


with ThreadPoolExecutor(max_workers=len(INTERSPHINX_URLS)) as _pool:
    _inventories = dict(
        zip(
            INTERSPHINX_URLS,
            _pool.map(_cached_inventory, INTERSPHINX_URLS, INTERSPHINX_URLS.values()),
            strict=True,
        )
    )
intersphinx_mapping = {
    name: (url, str(_inventories[name]))
    for name, url in INTERSPHINX_URLS.items()
    if _inventories[name] is not None
}

# -- HTML ---------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk_autoencoder {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    # The benchmark's wide tables get the width of the page's table of contents.
    "secondary_sidebar_items": {"**": ["page-toc"], "user_guide/benchmarks": []},
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "api": []}
if EXAMPLES_QUICK:
    html_theme_options["announcement"] = (
        "This build ran the examples in quick mode (SK_AUTOENCODER_EXAMPLES_QUICK=1): "
        "one epoch on a few hundred rows, so their figures and numbers are meaningless."
    )
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["custom.css"]


# -- References that intersphinx cannot resolve offline -----------------------------
def _unreachable_reference(app, env, node, contnode):
    """Render a reference into documentation out of reach as text, not a warning.

    Two kinds: references naming a project whose inventory could not be fetched
    (numpydoc's type links such as ``:term:`numpy:array_like```), and the
    ``:ref:`` and ``:term:`` links to scikit-learn's user guide and glossary
    inside the docstrings the estimators inherit from scikit-learn
    (``set_output``, ``get_metadata_routing``, a regressor's
    ``set_score_request``), which become a link to scikit-learn's documentation
    or glossary. Unresolved references anywhere else still warn.
    """
    project, _, target = node.get("reftarget", "").partition(":")
    if target and project in INTERSPHINX_URLS and project not in intersphinx_mapping:
        text = contnode.astext()
        if text.startswith(f"{project}:"):  # no title of its own: drop the prefix
            contnode = contnode.deepcopy()
            contnode.clear()
            contnode += nodes.Text(text[len(project) + 1 :])
        return contnode
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "term"):
        return None
    if "docstring of sklearn." not in (node.source or ""):
        return None
    title = contnode.astext()
    if title == node.get("reftarget"):  # a bare label: no readable title to show
        title = "scikit-learn's documentation"
    page = "glossary.html" if node.get("reftype") == "term" else ""
    return nodes.reference("", title, refuri=INTERSPHINX_URLS["sklearn"] + page, internal=False)


def setup(app):
    app.connect("missing-reference", _unreachable_reference)
