"""The documentation's API reference and its benchmark tables, without building it."""

import argparse
import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from docutils import nodes

import sk_autoencoder
from benchmarks import render, tabular_verdict
from benchmarks.cli import run_settings
from benchmarks.report import write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = REPO_ROOT / "docs"
# Folders of generated pages, and the build's.
GENERATED_DIRS = ("_build", "auto_examples", "generated", "gen_modules")


def _load_extension_module(name):
    """A module of ``docs/_ext/``, which is no package."""
    path = DOCS_DIR / "_ext" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark_tables = _load_extension_module("benchmark_tables")
shell_commands = _load_extension_module("shell_commands")


def _record(dataset, method, n_components, error, **fields):
    return {
        "dataset": dataset,
        "method": method,
        "n_components": n_components,
        "sq_error_per_sample": error,
        **fields,
    }


def _rows(lines, first_cell):
    """Each table row whose first cell is ``first_cell``, as its list of cells."""
    rows, row = [], None
    for line in lines:
        if line.startswith("   * - "):
            row = [line[len("   * - ") :]]
            rows.append(row)
        elif line.startswith("     - ") and row is not None:
            row.append(line[len("     - ") :])
    return [row for row in rows if row[0] == first_cell]


def test_api_reference_lists_every_public_name():
    api = (DOCS_DIR / "api.rst").read_text()
    listed = re.findall(r"^   (\w+)$", api, flags=re.MULTILINE)
    assert sorted(listed) == sorted(sk_autoencoder.__all__)


def _write_results(path, records, summary=None, **settings):
    argv = ["--suite", "tabular"] if settings.get("suite") == "tabular" else []
    args = argparse.Namespace(quick=False, seed=0, threads=1)
    sections = {} if summary is None else {"summary": summary}
    write_json(records, path, {**settings, **run_settings(argv, args, 42.0)}, **sections)


def test_benchmark_tables_absent_file_gives_a_line_saying_so(tmp_path):
    lines = benchmark_tables.results_lines("quick", tmp_path, tmp_path)

    assert lines[0] == (
        f"No quick run results yet: ``{tmp_path / 'quick.json'}``, the ``results.json`` of "
        "``python -m benchmarks --quick``, is not committed."
    )


def test_benchmark_tables_render_the_readme_tables(tmp_path):
    records = [
        _record("digits", "PCA", 2, 40.0, r2=0.5, note=None),
        _record("digits", "AE deep", 2, 20.0, r2=0.75, note=None),
        _record("digits", "AE vanilla", 2, 44.0, r2=0.45, note="slow *fit* of a_b_"),
    ]
    path = tmp_path / "images.json"
    _write_results(path, records, suite="images")

    lines = benchmark_tables.results_lines("images", tmp_path, tmp_path)

    text = "\n".join(lines)
    assert lines[0] == "Rendered from ``images.json``."
    # The README's cells (benchmarks.render), ratio to PCA's error included.
    markdown = render.section_lines("images", tmp_path)
    readme_rows = [line.split("|")[1:-1] for line in markdown if line.startswith("| AE ")]
    readme_cells = [[cell.strip() for cell in row] for row in readme_rows]
    assert [row[:4] for row in readme_cells] == [
        ["AE deep", "2", "20.00", "0.500"],
        ["AE vanilla", "2", "44.00", "1.100"],
    ]
    assert _rows(lines, "AE deep") == [readme_cells[0]]
    # Text from the file is escaped, so that it cannot break the reST around it.
    assert r"Notes: AE vanilla at code 2 (slow \*fit\* of a\_b\_)." in lines
    assert "<details><summary>Settings of the run</summary>" in text
    assert "- command: ``python -m benchmarks``" in lines


def test_benchmark_tables_output_is_valid_rest(tmp_path):
    core = pytest.importorskip("docutils.core")
    records = [
        _record("digits", "PCA", 2, 40.0),
        _record("digits", "AE", 2, 20.0, note="*x*"),
    ]
    _write_results(tmp_path / "images.json", records, suite="images", n_components=[2, 8])
    tabular_records = [
        _record("wine", "PCA", 2, 3.0, protocol="raw", n_samples=178, n_features=13),
        _record("wine", "AE", 2, 2.7, protocol="raw", n_samples=178, n_features=13),
    ]
    for record in tabular_records:
        record.update(fit_seconds=0.5, score=None, note=None)
    tabular_verdict.add_comparisons(tabular_records)
    summary = tabular_verdict.summarize(tabular_records)
    _write_results(tmp_path / "tabular.json", tabular_records, summary, suite="tabular")

    sources = {
        name: "\n".join(benchmark_tables.results_lines(name, tmp_path, tmp_path))
        for name in render.SECTIONS
    }
    for source in sources.values():
        # Any docutils warning is an error here, as in the documentation build.
        core.publish_doctree(source, settings_overrides={"halt_level": 2, "report_level": 2})
    assert _rows(sources["tabular"].split("\n"), "raw")[0][1:3] == ["0/1", "0.900"]  # the summary


def test_benchmark_tables_reject_an_unknown_section(tmp_path):
    with pytest.raises(KeyError, match="none of durations, images, quick, tabular"):
        benchmark_tables.results_lines("default", tmp_path, tmp_path)


def _doctree(source, strict=True):
    """``source`` read as Sphinx reads a page: smart quotes on.

    ``strict``: any docutils warning is an error, as in the documentation build.
    Pages with Sphinx's own roles and directives are read with ``strict=False``.
    """
    core = pytest.importorskip("docutils.core")
    level = 2 if strict else 5
    overrides = {"smart_quotes": True, "halt_level": level, "report_level": level}
    return core.publish_doctree(source, settings_overrides=overrides)


def _committed_commands():
    """The command of each committed benchmark run, as its results file records it."""
    commands = {}
    for run in render.COMMITTED_RUNS.values():
        content = render.load_results(render.RESULTS_DIR / run.file)
        if content is not None:
            commands[run.name] = (content.get("settings") or {}).get("command") or run.command
    return commands


def test_shell_commands_finds_options_that_smart_quotes_turned_into_dashes():
    as_text = _doctree("Run python -m benchmarks --suite tabular --n-jobs 2, pages 1--2.")
    as_code = _doctree("Run ``python -m benchmarks --suite tabular``.\n\n::\n\n   a --b\n")

    assert [word for _, word in shell_commands.lost_options(as_text)] == ["–suite", "–n-jobs"]
    assert shell_commands.lost_options(as_code) == []


def test_benchmark_tables_show_every_command_with_its_two_hyphens():
    commands = _committed_commands()
    assert commands, "no committed results file to render"
    for name in render.SECTIONS:
        lines = benchmark_tables.results_lines(name, render.RESULTS_DIR, REPO_ROOT)
        doctree = _doctree("\n".join(lines))

        lost = [word for _, word in shell_commands.lost_options(doctree)]
        assert lost == [], f"{name}: options typeset as dashes: {lost}"
        code = {node.astext() for node in doctree.findall(nodes.literal)}
        shown = {run: command for run, command in commands.items() if name in (run, "durations")}
        assert set(shown.values()) <= code, f"{name}: commands not shown as code"


def _documentation_pages():
    pages = [
        path
        for path in DOCS_DIR.rglob("*.rst")
        if not set(path.relative_to(DOCS_DIR).parts) & set(GENERATED_DIRS)
    ]
    assert pages
    return pages


def test_documentation_pages_write_commands_as_code():
    for path in _documentation_pages():
        doctree = _doctree(path.read_text(), strict=False)
        lost = [word for _, word in shell_commands.lost_options(doctree)]
        assert lost == [], f"{path.relative_to(REPO_ROOT)}: options typeset as dashes: {lost}"


# The benchmarks page at 1280 px: the theme's article column, 60em less its padding
# (the page has no right sidebar, conf.py), as headless Chromium measures it.
BENCHMARKS_COLUMN_PX = 896
BASE_FONT_PX = 16
# Widths in em of the glyphs of DejaVu Sans, the widest of the usual sans-serif
# fonts, rounded up; headings are bold, a tenth wider.
NARROW_GLYPHS = set(" .,:;'!|il()[]/")
WIDE_GLYPHS = set("mwMW%—>")


def _text_width_em(text, bold=False):
    widths = (
        0.35
        if glyph in NARROW_GLYPHS
        else 1.0
        if glyph in WIDE_GLYPHS
        else 0.75
        if glyph.isupper()
        else 0.65
        for glyph in text
    )
    return sum(widths) * (1.1 if bold else 1.0)


def _benchmark_table_style():
    """Font size and cell padding (px) of ``table.benchmark-table`` in custom.css."""
    css = (DOCS_DIR / "_static" / "custom.css").read_text()
    rules = re.findall(r"table\.benchmark-table[^{]*\{[^}]*\}", css)
    assert not any("nowrap" in rule for rule in rules), "cells must wrap between words"
    font = re.search(r"table\.benchmark-table \{\s*font-size: ([\d.]+)em;", css)
    padding = re.search(r"table\.benchmark-table th \{[^}]*padding: [\d.]+rem ([\d.]+)rem;", css)
    return float(font.group(1)) * BASE_FONT_PX, float(padding.group(1)) * BASE_FONT_PX


def _narrowest_width_px(rows, font_px, padding_px):
    """How narrow a browser can lay out a table: each column as wide as its widest word.

    Headings and text wrap between words (custom.css); a number is one word.
    """
    width = 0.0
    for column in zip(*rows, strict=True):
        words = [(word, index == 0) for index, cell in enumerate(column) for word in cell.split()]
        width += max(_text_width_em(word, bold) for word, bold in words) * font_px
        width += 2 * padding_px
    return width


def test_benchmark_tables_fit_the_column_at_1280_px():
    font_px, padding_px = _benchmark_table_style()
    n_tables = 0
    for name in render.SECTIONS:
        lines = benchmark_tables.results_lines(name, render.RESULTS_DIR, REPO_ROOT)
        for table in _doctree("\n".join(lines)).findall(nodes.table):
            rows = [
                [entry.astext() for entry in row.findall(nodes.entry)]
                for row in table.findall(nodes.row)
            ]
            width = _narrowest_width_px(rows, font_px, padding_px)
            assert width <= BENCHMARKS_COLUMN_PX, (
                f"{name}: a table of {len(rows[0])} columns ({', '.join(rows[0])}) needs "
                f"{width:.0f} px, the column at 1280 px is {BENCHMARKS_COLUMN_PX} px"
            )
            n_tables += 1
    assert n_tables > 0


# Characters of code that a code block holds at 1280 px (custom.css): 91 in a page's
# column, 86 in an API page's, which indents a docstring's examples.
CODE_LINE_LENGTH = 88
DOCSTRING_CODE_LINE_LENGTH = 80


def _code_blocks(doctree):
    """The literal and doctest blocks of a page, not those of docutils' own messages."""
    for block in doctree.findall(nodes.FixedTextElement):
        is_code = isinstance(block, (nodes.literal_block, nodes.doctest_block))
        if is_code and not isinstance(block.parent, nodes.system_message):
            yield block


def test_documentation_code_lines_fit_the_column():
    for path in _documentation_pages():
        for block in _code_blocks(_doctree(path.read_text(), strict=False)):
            long_lines = [
                line for line in block.astext().splitlines() if len(line) > CODE_LINE_LENGTH
            ]
            assert long_lines == [], f"{path.relative_to(REPO_ROOT)}: lines over {CODE_LINE_LENGTH}"


def _public_docstrings():
    """``(name, docstring)`` of each public name and of its public methods."""
    for name in sk_autoencoder.__all__:
        obj = getattr(sk_autoencoder, name)
        yield name, inspect.getdoc(obj) or ""
        if inspect.isclass(obj):
            for member, value in inspect.getmembers(obj, callable):
                if not member.startswith("_"):
                    yield f"{name}.{member}", inspect.getdoc(value) or ""


def test_docstring_examples_fit_the_api_page_column():
    for name, docstring in _public_docstrings():
        code = [line for line in docstring.splitlines() if line.startswith((">>>", "..."))]
        long_lines = [line for line in code if len(line) > DOCSTRING_CODE_LINE_LENGTH]
        assert long_lines == [], f"{name}: example lines over {DOCSTRING_CODE_LINE_LENGTH}"


def test_documentation_pages_have_no_lettered_lists():
    # An author's initials opening a line ("D. P. Kingma") read as list markers.
    for path in _documentation_pages():
        for enumerated in _doctree(path.read_text(), strict=False).findall(nodes.enumerated_list):
            assert "alpha" not in enumerated["enumtype"], (
                f"{path.relative_to(REPO_ROOT)}: a lettered list at {enumerated.astext()[:40]!r}"
            )
