"""The committed benchmark results as tables: one renderer for the README and the docs.

The ``results.json`` of each run is committed in ``benchmarks/results/``, copied
there from the run's ``--out`` (``COMMITTED_RUNS``):

- ``images.json``: ``python -m benchmarks``, the default run;
- ``quick.json``: ``python -m benchmarks --quick``, the README's first command;
- ``tabular.json``: ``python -m benchmarks --suite tabular``;
- ``tabular_holdout.json``: ``python -m benchmarks --suite tabular --tables holdout``;
- ``tabular_seed1.json`` ... ``tabular_holdout_seed2.json``: the two tabular runs again
  with ``--seed 1`` and ``--seed 2`` (``SEED_RUNS``), whose summaries the
  ``tabular_seeds`` section sets beside the seed-0 runs'.

``python -m benchmarks.render`` rewrites each section of the README between
``<!-- results:NAME:begin -->`` and ``<!-- results:NAME:end -->`` (NAME among
``SECTIONS``) from those files; with ``--check`` it only compares, prints a diff and
exits 1 where the README differs, as ``tests/test_benchmarks.py`` does. An absent
file renders as a line saying so. Every number, ratio and duration comes from the
files, through this code; none is typed by hand.

The documentation's ``benchmark-results`` directive (``docs/_ext/``) renders the
same files through the same functions, into reST. Each function writes through a
*writer*: ``text(value)`` escapes text, ``code(value)`` quotes code, ``table(headings,
rows, numeric)`` and ``folded(summary, lines)`` return lines. :class:`Markdown` is the
README's; the docs have their own.
"""

import argparse
import difflib
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.report import (
    error_ratio,
    format_error,
    format_ratio,
    format_significant,
    format_three_decimals,
    markdown_grid,
    quick_heading,
    table_cells,
)
from benchmarks.tabular import (
    CONFIGURATION_TEXT_FIELDS,
    SUMMARY_COLUMNS,
    SUMMARY_TEXT_FIELDS,
    WORSE_THAN_PCA,
    configuration_rows,
    summary_rows,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
README = REPO_ROOT / "README.md"


@dataclass(frozen=True)
class CommittedRun:
    """A run whose results file is committed: ``RESULTS_DIR / file`` is its ``results.json``."""

    name: str
    file: str
    command: str
    label: str


COMMITTED_RUNS = {
    run.name: run
    for run in (
        CommittedRun("images", "images.json", "python -m benchmarks", "default run"),
        CommittedRun("quick", "quick.json", "python -m benchmarks --quick", "quick run"),
        CommittedRun(
            "tabular", "tabular.json", "python -m benchmarks --suite tabular", "tabular suite"
        ),
        CommittedRun(
            "tabular_holdout",
            "tabular_holdout.json",
            "python -m benchmarks --suite tabular --tables holdout",
            "tabular suite on the held-out tables",
        ),
    )
}
# The list of tables (``--tables``) each tabular run ran.
TABULAR_RUN_TABLES = {"tabular": "development", "tabular_holdout": "holdout"}
# The tabular runs again with other seeds. The seed draws, among the rest, which
# tenth of the training rows the PCA floor holds out; on small tables that draw can
# decide whether a network is kept, so a summary of one seed is one draw.
OTHER_SEEDS = (1, 2)
SEED_RUNS = {
    name: [
        CommittedRun(
            f"{name}_seed{seed}",
            f"{name}_seed{seed}.json",
            f"{COMMITTED_RUNS[name].command} --seed {seed}",
            f"{COMMITTED_RUNS[name].label}, seed {seed}",
        )
        for seed in OTHER_SEEDS
    ]
    for name in TABULAR_RUN_TABLES
}
SECTIONS = ("durations", *COMMITTED_RUNS, "tabular_seeds")

# The images suite's data set whose table stands open; the others' are folded.
HEADLINE_DATASET = "mnist10k"
# The methods of ``benchmarks.methods`` that are sk_autoencoder's estimators.
AUTOENCODER_PREFIXES = ("AE", "Conv AE", "VAE")

# The columns of an images-suite table, one per data set; "vs PCA" is computed here.
IMAGES_COLUMNS = {
    "method": ("method", str),
    "n_components": ("code", str),
    "sq_error_per_sample": ("held-out sq. error", format_error),
    "ratio_to_pca": ("vs PCA", format_ratio),
    "r2": ("R²", format_three_decimals),
    "fit_seconds": ("fit s", format_significant),
    "knn_accuracy": ("5-NN acc.", format_three_decimals),
    "trustworthiness": ("trust. (2-D)", format_three_decimals),
}
IMAGES_TEXT_FIELDS = ("method", "note")


class Markdown:
    """The README's writer: GitHub markdown."""

    def text(self, value) -> str:
        """``value`` as literal text: markdown's special characters escaped."""
        text = re.sub(r"([\\`*|<\[\]])", r"\\\1", str(value))
        # GitHub reads "_" inside a word (s_curve) as text; only at its edges as emphasis.
        return re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", text)

    def code(self, value) -> str:
        return f"`{value}`"

    def table(self, headings, rows, numeric) -> list[str]:
        cells = [[self.text(cell) for cell in row] for row in rows]
        grid = markdown_grid([self.text(heading) for heading in headings], cells, numeric)
        return [*grid.split("\n"), ""]

    def folded(self, summary, lines) -> list[str]:
        """``lines`` under a line ``summary`` that unfolds them."""
        summary = html.escape(summary, quote=False)
        return [f"<details><summary>{summary}</summary>", "", *lines, "</details>", ""]


def load_results(path) -> dict | None:
    """What ``benchmarks.report.write_json`` wrote at ``path``; None where there is no file."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def display_path(path) -> str:
    """``path`` relative to the repository where it lies inside it."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def _table(records, columns, text_fields, fmt) -> list[str]:
    numeric = [field not in text_fields for field in columns]
    headings = [heading for heading, _ in columns.values()]
    return fmt.table(headings, table_cells(records, columns), numeric)


def _count(n, word):
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


def duration_text(settings) -> str:
    """How long the run took, and where: "207 s measured on 2 CPU cores, one thread ..."."""
    seconds = settings.get("duration_seconds")
    if seconds is None:
        return "no duration recorded"
    text = f"{seconds:,.0f} s"
    if seconds >= 120:
        text += f" (about {seconds / 60:.0f} minutes)"
    cores = settings.get("cpu_count")
    text += " measured" + (f" on {_count(cores, 'CPU core')}" if cores else "")
    threads = settings.get("threads")
    if threads is None:
        text += ", the libraries' default threads"
    else:
        text += f", {'one thread' if threads == 1 else f'{threads} threads'} for torch and BLAS"
    n_jobs = settings.get("n_jobs")
    if n_jobs not in (None, 1):
        text += f" in each of {n_jobs} joblib workers"
    date = (settings.get("date") or "")[:10]
    return text + (f", on {date}" if date else "")


def _command(run, settings, fmt) -> str:
    return fmt.code(settings.get("command") or run.command)


def durations_lines(results_dir, fmt) -> list[str]:
    """A line per committed run: its command and how long it took, from its file."""
    items = []
    for run in COMMITTED_RUNS.values():
        path = Path(results_dir) / run.file
        content = load_results(path)
        if content is None:
            measured = f"not measured yet ({fmt.code(display_path(path))} is not committed)"
            items.append(f"- {run.label.capitalize()}, {fmt.code(run.command)}: {measured}")
            continue
        settings = content.get("settings") or {}
        when = fmt.text(duration_text(settings))
        items.append(f"- {run.label.capitalize()}, {_command(run, settings, fmt)}: {when}")
    return ["Measured run durations, from the committed results files:", "", *items, ""]


def expected_duration(quick: bool, results_dir=RESULTS_DIR) -> str:
    """What the committed run of the same kind took, for the start of a run."""
    run = COMMITTED_RUNS["quick" if quick else "images"]
    path = Path(results_dir) / run.file
    content = load_results(path)
    if content is None:
        return f"No expected duration: {display_path(path)} is not committed yet."
    settings = content.get("settings") or {}
    return f"The committed {run.label} ({run.command}) took {duration_text(settings)}."


# ---------------------------------------------------------------------------
# The images suite
# ---------------------------------------------------------------------------


def with_ratios_to_pca(records) -> list[dict]:
    """The records, each with ``ratio_to_pca``: its error over PCA's, same data set and code."""
    pca_errors = {
        (record["dataset"], record["n_components"]): record.get("sq_error_per_sample")
        for record in records
        if record["method"] == "PCA"
    }
    return [
        record
        | {
            "ratio_to_pca": error_ratio(
                record.get("sq_error_per_sample"),
                pca_errors.get((record["dataset"], record["n_components"])),
            )
        }
        for record in records
    ]


def _is_autoencoder(record):
    return record["method"].startswith(AUTOENCODER_PREFIXES)


def _skipped(record):
    return (record.get("note") or "").startswith("skipped")


def autoencoder_summary(records, name_dataset=True) -> str:
    """How many autoencoder runs have an error above ``WORSE_THAN_PCA`` times PCA's.

    ``records`` carry ``ratio_to_pca`` (:func:`with_ratios_to_pca`). A run without
    a ratio (failed, or a NaN error, which JSON stores as null) is counted apart.
    ``name_dataset`` names the data set of the highest ratio.
    """
    autoencoders = [r for r in records if _is_autoencoder(r) and not _skipped(r)]
    compared = [r for r in autoencoders if r["ratio_to_pca"] is not None]
    if not compared:
        return "no autoencoder run to compare with PCA"
    n_worse = sum(r["ratio_to_pca"] > WORSE_THAN_PCA for r in compared)
    text = (
        f"autoencoders above {WORSE_THAN_PCA}x PCA's held-out error in {n_worse} of "
        f"{_count(len(compared), 'run')}"
    )
    highest = compared[int(np.argmax([r["ratio_to_pca"] for r in compared]))]
    where = f" on {highest['dataset']}" if name_dataset else ""
    text += (
        f" (highest: {highest['method']}{where}, code {highest['n_components']}, "
        f"{format_ratio(highest['ratio_to_pca'])}x)"
    )
    n_without = len(autoencoders) - len(compared)
    return text + (f"; {_count(n_without, 'run')} without an error" if n_without else "")


def _skipped_text(skipped, all_methods) -> str:
    by_reason = {}
    for record in skipped:
        by_reason.setdefault(record["note"].removeprefix("skipped: "), []).append(record)
    parts = []
    for reason, runs in by_reason.items():
        methods = list(dict.fromkeys(record["method"] for record in runs))
        codes = ", ".join(str(code) for code in dict.fromkeys(r["n_components"] for r in runs))
        who = "every method" if set(methods) == set(all_methods) else ", ".join(methods)
        parts.append(f"{who} at code {codes} ({reason})")
    return "Not run: " + "; ".join(parts) + "."


def _dataset_sizes(name, settings) -> str:
    sizes = (settings.get("datasets") or {}).get(name)
    if not sizes:
        return ""
    return (
        f"{sizes['n_train']:,} training and {sizes['n_test']:,} held-out rows, "
        f"{_count(sizes['n_features'], 'feature')}; "
    )


def images_dataset_lines(records, settings, fmt, headline) -> list[str]:
    """The table of one data set's records (with ``ratio_to_pca``), open or folded."""
    name = records[0]["dataset"]
    shown = [record for record in records if not _skipped(record)]
    columns = dict(IMAGES_COLUMNS)
    if any(record.get("note") for record in shown):
        columns["note"] = ("note", str)
    lines = _table(shown, columns, IMAGES_TEXT_FIELDS, fmt) if shown else []
    skipped = [record for record in records if _skipped(record)]
    if skipped:
        all_methods = [record["method"] for record in records]
        lines += [fmt.text(_skipped_text(skipped, all_methods)), ""]
    summary = _dataset_sizes(name, settings) + autoencoder_summary(records, name_dataset=False)
    if headline:
        return [f"**{fmt.text(name)}**: {fmt.text(summary)}.", "", *lines]
    return fmt.folded(f"{name}: {summary}", lines)


def _caption(run, settings, fmt, description) -> list[str]:
    date = (settings.get("date") or "")[:10]
    where = f"{_command(run, settings, fmt)}, {fmt.code(run.file)}" + (f", {date}" if date else "")
    lines = [f"**{run.label.capitalize()}** ({where}): {description}", ""]
    if settings.get("quick"):
        note = quick_heading(settings.get("quick_note") or "quick").strip()
        lines += [f"*{fmt.text(note)}*", ""]
    return lines


def images_lines(content, run, fmt, headline=HEADLINE_DATASET) -> list[str]:
    """An images-suite results file: a summary, then a table per data set.

    The table of the data set ``headline`` stands open, the others are folded.
    """
    settings = content.get("settings") or {}
    records = with_ratios_to_pca(content.get("results") or [])
    lines = _caption(
        run,
        settings,
        fmt,
        "held-out squared error per sample, summed over features; vs PCA: that error "
        "over PCA's at the same data set and code size (below 1: better than PCA); "
        f"{fmt.text(autoencoder_summary(records))}.",
    )
    for name in dict.fromkeys(record["dataset"] for record in records):
        subset = [record for record in records if record["dataset"] == name]
        lines += images_dataset_lines(subset, settings, fmt, headline=name == headline)
    return lines


# ---------------------------------------------------------------------------
# The tabular suite
# ---------------------------------------------------------------------------


def tabular_lines(content, run, fmt) -> list[str]:
    """A tabular-suite results file: its summary per protocol, then every configuration."""
    settings = content.get("settings") or {}
    records = content.get("results") or []
    n_tables = len({record["dataset"] for record in records})
    lines = _caption(
        run,
        settings,
        fmt,
        f"{_count(n_tables, 'table')}, scaled (a StandardScaler in front) and raw; "
        f"AE/PCA: the autoencoder's held-out error over PCA's; VAE gap to PPCA: how far "
        "the VAE's held-out ELBO lies below probabilistic PCA's log-likelihood.",
    )
    summary = summary_rows(content.get("summary") or [])
    lines += _table(summary, SUMMARY_COLUMNS, SUMMARY_TEXT_FIELDS, fmt)
    not_loaded = settings.get("not_loaded") or {}
    if not_loaded:
        reasons = "; ".join(f"{name} ({reason})" for name, reason in not_loaded.items())
        lines += [fmt.text(f"Not run: {reasons}."), ""]
    method_names = settings.get("methods") or list(dict.fromkeys(r["method"] for r in records))
    rows, columns = configuration_rows(records, method_names)
    table = _table(rows, columns, CONFIGURATION_TEXT_FIELDS, fmt)
    return lines + fmt.folded(f"Every configuration: {_count(len(rows), 'row')}", table)


SEED_COLUMNS = {
    "tables": ("tables", str),
    "seed": ("seed", str),
    **{field: column for field, column in SUMMARY_COLUMNS.items() if field != "slowest"},
}


def _seed_runs():
    """``(tables, run)`` of each tabular run and then of its other seeds."""
    for name, others in SEED_RUNS.items():
        for run in (COMMITTED_RUNS[name], *others):
            yield TABULAR_RUN_TABLES[name], run


def seed_runs_paths(results_dir) -> list[Path]:
    """The files of the ``tabular_seeds`` section: each tabular run, then its other seeds."""
    return [Path(results_dir) / run.file for _, run in _seed_runs()]


def tabular_seeds_lines(results_dir, fmt) -> list[str]:
    """The tabular runs' summaries, one row per list of tables, seed and protocol."""
    rows, missing = [], []
    for tables, run in _seed_runs():
        path = Path(results_dir) / run.file
        content = load_results(path)
        if content is None:
            missing.append(fmt.code(display_path(path)))
            continue
        seed = (content.get("settings") or {}).get("seed")
        for row in summary_rows(content.get("summary") or []):
            rows.append({"tables": tables, "seed": seed, **row})
    seeds = ", ".join(str(seed) for seed in (0, *OTHER_SEEDS))
    lines = [
        f"**The tabular suite with seeds {seeds}** ({fmt.code('--seed')}, the methods' "
        f"{fmt.code('random_state')}, which draws the networks' start, their batches and "
        "the tenth of the training rows that the PCA floor holds out; tables, splits and "
        "PCA stay the same): each run's summary. Seed 0 is the runs above.",
        "",
    ]
    if missing:
        lines += [f"Not committed yet: {', '.join(missing)}.", ""]
    if not rows:
        return lines
    return lines + _table(rows, SEED_COLUMNS, ("tables", *SUMMARY_TEXT_FIELDS), fmt)


# ---------------------------------------------------------------------------
# Sections and the README
# ---------------------------------------------------------------------------


def run_lines(run, results_dir, fmt) -> list[str]:
    """A committed run's section: its file rendered, or a line saying that it is absent."""
    path = Path(results_dir) / run.file
    content = load_results(path)
    if content is None:
        return [
            f"No {run.label} results yet: {fmt.code(display_path(path))}, the "
            f"{fmt.code('results.json')} of {fmt.code(run.command)}, is not committed.",
            "",
        ]
    if (content.get("settings") or {}).get("suite") == "tabular":
        return tabular_lines(content, run, fmt)
    return images_lines(content, run, fmt)


def section_lines(name, results_dir=RESULTS_DIR, fmt=None) -> list[str]:
    """The lines of the section ``name`` (one of ``SECTIONS``)."""
    fmt = Markdown() if fmt is None else fmt
    if name == "durations":
        return durations_lines(results_dir, fmt)
    if name == "tabular_seeds":
        return tabular_seeds_lines(results_dir, fmt)
    return run_lines(COMMITTED_RUNS[name], results_dir, fmt)


def markers(name) -> tuple[str, str]:
    return f"<!-- results:{name}:begin -->", f"<!-- results:{name}:end -->"


def render_readme(text, results_dir=RESULTS_DIR) -> str:
    """``text`` with every section between markers rendered anew from ``results_dir``.

    Raises ``ValueError`` naming a section whose pair of markers is not there exactly once.
    """
    for name in SECTIONS:
        begin, end = markers(name)
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), flags=re.DOTALL)
        found = list(pattern.finditer(text))
        if len(found) != 1:
            raise ValueError(f"{len(found)} sections between {begin} and {end}, expected 1")
        body = "\n".join(section_lines(name, results_dir)).strip("\n")
        start, stop = found[0].span()
        text = f"{text[:start]}{begin}\n\n{body}\n\n{end}{text[stop:]}"
    return text


def main(argv=None) -> int:
    """Rewrite (or, with ``--check``, compare) the README's results sections."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.render",
        description="Render the README's benchmark tables from the committed results files.",
    )
    parser.add_argument(
        "--readme", type=Path, default=README, help="the README (default: the repository's)"
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help="the committed results files (default: benchmarks/results/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; print a diff and exit 1 if the README differs from the files",
    )
    args = parser.parse_args(argv)
    text = args.readme.read_text()
    try:
        rendered = render_readme(text, args.results_dir)
    except ValueError as exc:
        print(f"error: {args.readme}: {exc}", file=sys.stderr)
        return 2
    if rendered == text:
        print(f"{args.readme} is up to date with {args.results_dir}.", file=sys.stderr)
        return 0
    if args.check:
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                f"{args.readme} (as it is)",
                f"{args.readme} (rendered from {args.results_dir})",
            )
        )
        print(
            f"{args.readme} differs from what {args.results_dir} renders; "
            "run python -m benchmarks.render to update it.",
            file=sys.stderr,
        )
        return 1
    args.readme.write_text(rendered)
    print(f"Rewrote the results sections of {args.readme}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
