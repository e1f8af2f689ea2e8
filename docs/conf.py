"""Sphinx configuration of the skwavpool documentation.

Build from the repository root (the examples are run; under a minute on 2 cores):
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""

from pathlib import Path

import torch

import skwavpool

# The examples train tiny networks on 8x8 images: a second torch thread gains
# nothing there, and on a busy machine threads waiting for each other made
# the build many times slower (minutes instead of seconds).
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parent.parent

project = "skwavpool"
author = "the skwavpool developers"
copyright = "2026, the skwavpool developers"
version = release = skwavpool.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"skwavpool {release}"

# One page per public name, generated from the docstrings (into generated/).
autosummary_generate = True
# The class template lists the members itself; numpydoc's own member tables
# would point at pages that are not generated.
numpydoc_show_class_members = False
# Every docstring is checked as it is rendered, and a failed check is a
# warning (an error with -W). Left out are checks for a style the project does
# not follow, not for errors: optional sections (extended summary, See Also,
# Examples on methods and constants), arguments and results described in the
# summary of small helpers and forward() rather than in sections (PR01, RT01;
# PR01 also takes a NamedTuple's fields, listed as Attributes, for
# parameters), named results such as "self : HaarMRDTransformer" (RT02, RT03),
# summaries starting with a noun (SS05 takes "Images ..." for a verb), and the
# `#:` comments that document constants (GL02, SS06).
numpydoc_validation_checks = {
    "all",
    *("ES01", "SA01", "EX01", "PR01", "RT01", "RT02", "RT03", "SS05", "GL02", "SS06"),
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    # "Examples using ..." on the API pages, and links from the example code
    # to them.
    "doc_module": ("skwavpool",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skwavpool": None},
    # Only what the examples print, not the repr of each block's last value
    # (a stray "<matplotlib.legend.Legend at ...>").
    "capture_repr": (),
    # A failing example fails the build rather than showing a traceback.
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
}

# The benchmarks page is built from the files in benchmarks/results, where
# the benchmark scripts write their tables. Each is included when present and
# replaced by a pointer otherwise, so the build neither warns nor needs a
# benchmark run.
RESULTS = ROOT / "benchmarks" / "results"
# benchmarks/paper_table.py writes a table and a figure per protocol, B's with the suffix "_B".
PAPER_RESULTS = {
    protocol: (RESULTS / f"paper_table{suffix}.md", RESULTS / f"accuracy_vs_params{suffix}.png")
    for protocol, suffix in (("A", ""), ("B", "_B"))
}
# Placeholder of benchmarks.md -> (file, heading offset under the page's sections, what writes it).
INCLUDED_RESULTS = {
    "{{ speed }}": (RESULTS / "speed.md", 1, "`benchmarks/bench_*.py`"),
    "{{ tuning }}": (RESULTS / "tuning.md", 2, "a tuning search"),
    "{{ tuning_B }}": (RESULTS / "tuning_B.md", 2, "a tuning search"),
    "{{ regression }}": (RESULTS / "regression.md", 2, "`benchmarks/regression.py`"),
    "{{ same_recipe }}": (RESULTS / "same_recipe.md", 2, "`python -m benchmarks.same_recipe`"),
    "{{ same_recipe_diagnosis }}": (RESULTS / "same_recipe_diagnosis.md", 3,
                                    "`python -m benchmarks.same_recipe_diagnosis`"),
    "{{ regression_search }}": (RESULTS / "regression_search.md", 2, "`benchmarks/regression.py --search`"),
}
# Figures shown after a placeholder's table: placeholder -> (figure, caption).
FIGURES = {
    "{{ regression }}": (RESULTS / "regression.png", "Predicted against true targets, first seed."),
    "{{ same_recipe }}": (RESULTS / "same_recipe.png", "Test accuracy against fit time, mean and sd over seeds."),
}


def _include(path, heading_offset):
    return f"```{{include}} ../benchmarks/results/{path.name}\n:heading-offset: {heading_offset}\n```\n\n"


def _missing(what, writer):
    return f"```{{note}}\nNo {what} yet: {writer} writes them to `benchmarks/results/`.\n```\n\n"


def _benchmark_sections():
    """The text for each placeholder of benchmarks.md."""
    paper = ""
    for protocol, (table, figure) in PAPER_RESULTS.items():
        if table.is_file():
            # The table's "# Protocol" heading goes under the page's "## Accuracy" section.
            paper += _include(table, 2)
        if figure.is_file():
            paper += (
                f"```{{figure}} ../benchmarks/results/{figure.name}\n:alt: accuracy against trainable "
                f"parameters\n\nAccuracy against trainable parameters, protocol {protocol}.\n```\n\n"
            )
    sections = {"{{ paper_table }}": paper or _missing("results", "`python benchmarks/paper_table.py`")}
    for placeholder, (path, offset, writer) in INCLUDED_RESULTS.items():
        sections[placeholder] = _include(path, offset) if path.is_file() else _missing(path.stem, writer)
        figure, caption = FIGURES.get(placeholder, (None, None))
        if figure is not None and figure.is_file():
            sections[placeholder] += (
                f"```{{figure}} ../benchmarks/results/{figure.name}\n:alt: {caption}\n\n{caption}\n```\n\n"
            )
    return sections


def _fill_benchmarks(app, docname, source):
    if docname != "benchmarks":
        return
    # A dependency that does not exist marks the page outdated on every build,
    # so a table written since the last build is picked up.
    paths = (
        *(path for pair in PAPER_RESULTS.values() for path in pair),
        *(v[0] for v in INCLUDED_RESULTS.values()),
        *(v[0] for v in FIGURES.values()),
    )
    for path in paths:
        app.env.note_dependency(str(path))
    for placeholder, text in _benchmark_sections().items():
        source[0] = source[0].replace(placeholder, text)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document the members of a class that skwavpool defines, inherited or
    not (``fit`` comes from a private base class), and leave out those that
    scikit-learn, torch or ``tuple`` define: their docstrings are documented
    with those libraries and refer to pages that are not here."""
    if what == "class":
        module = getattr(getattr(obj, "fget", obj), "__module__", None) or ""
        if not module.startswith("skwavpool"):
            return True
    return None


def setup(app):
    app.connect("source-read", _fill_benchmarks)
    app.connect("autodoc-skip-member", _skip_foreign_members)
