"""Sphinx configuration for the sklearn-scann documentation."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import sys
from pathlib import Path

import sklearn_scann

# The gallery runs matplotlib without a screen.
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))

project = "sklearn-scann"
author = "the sklearn-scann developers"
copyright = "2026, the sklearn-scann developers"
release = sklearn_scann.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# scaling_distributed.rst is included by scaling.rst, not a page of its own.
exclude_patterns = ["_build", "scaling_distributed.rst"]
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"sklearn-scann {release}"
html_theme_options = {"navigation_with_keys": False}

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
# numpydoc renders the members table; autosummary would list them twice.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Warn (and so fail the -W build) on a docstring that breaks numpydoc's rules.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "SA04"}
numpydoc_xref_param_type = False

# No network on the build machines: intersphinx inventories are not fetched,
# so cross-references to other projects render as plain text.
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "abort_on_example_error": True,
    "min_reported_time": 1,
}
