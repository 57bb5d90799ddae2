"""The committed benchmark results as tables: one renderer for the README and the docs.

The ``results.json`` of each run is committed in ``benchmarks/results/``, copied
there from the run's ``--out`` (``COMMITTED_RUNS``):

- ``images.json``: ``python -m benchmarks``, the default run;
- ``quick.json``: ``python -m benchmarks --quick``, the README's first command;
- ``tabular.json``: ``python -m benchmarks --suite tabular``;
- ``tabular_holdout.json``: ``python -m benchmarks --suite tabular --tables holdout``;
- ``tabular_seed1.json`` ... ``tabular_holdout_seed4.json``: the two tabular runs again
  with ``--seed 1`` to ``--seed 4`` (``SEED_RUNS``), whose summaries the
  ``tabular_seeds`` section sets beside the seed-0 runs'.

``python -m benchmarks.render`` rewrites each section of the README between
``<!-- results:NAME:begin -->`` and ``<!-- results:NAME:end -->`` (NAME among
``README_SECTIONS``: the quick run's duration and the headline table) from those
files, and draws the figures of ``COMMITTED_FIGURES`` into ``docs/images/`` from
them, each PNG recording the digests of the results file and of
``benchmarks/plots.py`` it was drawn from. With ``--check`` it only compares,
prints a diff and exits 1 where the README or a figure differs, as
``tests/test_benchmarks.py`` does. An absent file renders as a line saying so.
Every number, ratio and duration comes from the files, through this code; none is
typed by hand.

The documentation's ``benchmark-results`` directive (``docs/_ext/``) renders the
full tables (NAME among ``SECTIONS``) from the same files through the same
functions, into reST. Each function writes through a *writer* (see
``benchmarks.report``): :class:`Markdown` is the README's; the docs have their own.
"""

import argparse
import difflib
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks import plots, verdict
from benchmarks.report import (
    Markdown,
    count_text,
    format_error,
    format_ratio,
    format_significant,
    measurements_text,
    quick_heading,
    table_lines,
)
from benchmarks.tabular_verdict import (
    CONFIGURATION_TEXT_FIELDS,
    SUMMARY_COLUMNS,
    SUMMARY_TEXT_FIELDS,
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
OTHER_SEEDS = (1, 2, 3, 4)
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
# ``python -m benchmarks.training_cost``: default fits, and the fixed 100 epochs
# of the package before its training budget (``--max-iter 100`` at commit f47dbc6).
TRAINING_COST_FILES = ("training_cost.json", "training_cost_reference.json")
# Benchmarks that write a list of measurements, each shown as one row.
MEASUREMENT_FILES = {
    "perf": ("perf.json", "python -m benchmarks.perf"),
    "search": ("search.json", "python -m benchmarks.search"),
    "memory": ("memory.json", "python -m benchmarks.perf --only fit-memory"),
    "paired": ("paired.json", "python -m benchmarks.paired"),
    "transfer": ("transfer.json", "python -m benchmarks.transfer"),
}
SECTIONS = ("durations", *COMMITTED_RUNS, "tabular_seeds", "training_cost", *MEASUREMENT_FILES)

# The images suite's data set whose table stands open; the others' are folded.
HEADLINE_DATASET = "mnist10k"
# The sections that only the README has (the documentation renders the others).
README_SECTIONS = ("quick_duration", "headline")
# The libraries whose versions the README names beside a run.
MACHINE_PACKAGES = ("torch", "scikit-learn", "skorch")
# The method of ``benchmarks.methods`` that is ``AutoencoderTransformer()``, defaults and all.
DEFAULT_AUTOENCODER = "AE deep"


def load_results(path) -> dict | None:
    """What ``benchmarks.report.write_json`` wrote at ``path``; None where there is no file."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def display_path(path) -> str:
    """``path`` relative to the repository where it lies inside it."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


def measured_on_text(settings) -> str:
    """Where a benchmark measured: "measured on 2 CPU cores (AMD EPYC)", as its file records."""
    cores = settings.get("cpu_count")
    text = "measured" + (f" on {count_text(cores, 'CPU core')}" if cores else "")
    return text + (f" ({settings['cpu']})" if settings.get("cpu") else "")


def duration_text(settings) -> str:
    """How long the run took, and where: "207 s measured on 2 CPU cores, one thread ..."."""
    seconds = settings.get("duration_seconds")
    if seconds is None:
        return "no duration recorded"
    text = f"{seconds:,.0f} s"
    if seconds >= 120:
        text += f" (about {seconds / 60:.0f} minutes)"
    text += " " + measured_on_text(settings)
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


def machine_text(settings) -> str:
    """Where the run ran: "Linux-6.1-x86_64, Python 3.11.7, torch 2.13.0+cpu, ..."."""
    versions = settings.get("versions") or {}
    parts = [settings.get("platform"), settings.get("python") and f"Python {settings['python']}"]
    parts += [f"{name} {versions[name]}" for name in MACHINE_PACKAGES if versions.get(name)]
    return ", ".join(part for part in parts if part) or "no machine recorded"


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


def _caption(run, settings, fmt, description) -> list[str]:
    date = (settings.get("date") or "")[:10]
    where = f"{_command(run, settings, fmt)}, {fmt.code(run.file)}" + (f", {date}" if date else "")
    lines = [f"**{run.label.capitalize()}** ({where}): {description}", ""]
    if settings.get("quick"):
        note = quick_heading(settings.get("quick_note") or "quick").strip()
        lines += [f"*{fmt.text(note)}*", ""]
    return lines


def images_lines(content, run, fmt, headline=HEADLINE_DATASET) -> list[str]:
    """An images-suite results file: a table per data set, then the verdict against PCA.

    The table of the data set ``headline`` stands open, the others are folded.
    """
    settings = content.get("settings") or {}
    records = verdict.with_ratios_to_pca(content.get("results") or [])
    overall = verdict.summarize(records)[-1]
    lines = _caption(run, settings, fmt, f"{fmt.text(verdict.summary_text(overall))}.")
    return lines + verdict.run_lines(records, settings.get("datasets"), fmt, headline)


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
        f"{count_text(n_tables, 'table')}, scaled (a StandardScaler in front) and raw; "
        f"AE/PCA: the autoencoder's held-out error over PCA's; VAE gap to PPCA: how far "
        "the VAE's held-out ELBO lies below probabilistic PCA's log-likelihood.",
    )
    summary = summary_rows(content.get("summary") or [])
    lines += table_lines(summary, SUMMARY_COLUMNS, SUMMARY_TEXT_FIELDS, fmt)
    not_loaded = settings.get("not_loaded") or {}
    if not_loaded:
        reasons = "; ".join(f"{name} ({reason})" for name, reason in not_loaded.items())
        lines += [fmt.text(f"Not run: {reasons}."), ""]
    method_names = settings.get("methods") or list(dict.fromkeys(r["method"] for r in records))
    rows, columns = configuration_rows(records, method_names)
    table = table_lines(rows, columns, CONFIGURATION_TEXT_FIELDS, fmt)
    return lines + fmt.folded(f"Every configuration: {count_text(len(rows), 'row')}", table)


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
    return lines + table_lines(rows, SEED_COLUMNS, ("tables", *SUMMARY_TEXT_FIELDS), fmt)


# ---------------------------------------------------------------------------
# The README's own sections: the quick run's duration and the headline
# ---------------------------------------------------------------------------


def quick_duration_lines(results_dir, fmt) -> list[str]:
    """One line: how long the committed quick run took, and where."""
    run = COMMITTED_RUNS["quick"]
    path = Path(results_dir) / run.file
    content = load_results(path)
    if content is None:
        return [f"Not measured yet: {fmt.code(display_path(path))} is not committed.", ""]
    settings = content.get("settings") or {}
    took = fmt.text(f"The committed {run.label} took {duration_text(settings)}")
    return [f"{took} ({fmt.code(display_path(path))}).", ""]


HEADLINE_COLUMNS = {
    "dataset": ("data set", str),
    "n_components": ("code", str),
    "pca_error": ("PCA held-out error", format_error),
    "default_ratio": ("default AE vs PCA", format_ratio),
    "default_fit_seconds": ("its fit s", format_significant),
    "best": ("best autoencoder vs PCA", str),
}
HEADLINE_TEXT_FIELDS = ("dataset", "best")


def headline_rows(records) -> list[dict]:
    """One row per (data set, code size) where PCA ran: PCA's error, the default AE's, the best.

    ``records`` carry ``ratio_to_pca`` (:func:`verdict.with_ratios_to_pca`).
    """
    rows = []
    keys = dict.fromkeys((r["dataset"], r["n_components"]) for r in records)
    for dataset, n_components in keys:
        group = [r for r in records if (r["dataset"], r["n_components"]) == (dataset, n_components)]
        by_method = {r["method"]: r for r in group}
        pca = by_method.get("PCA")
        if pca is None or pca.get("sq_error_per_sample") is None:
            continue
        default = by_method.get(DEFAULT_AUTOENCODER) or {}
        compared = [r for r in group if verdict.is_autoencoder(r) and verdict.has_ratio(r)]
        best = min(compared, key=lambda r: r["ratio_to_pca"], default=None)
        rows.append(
            {
                "dataset": dataset,
                "n_components": n_components,
                "pca_error": pca["sq_error_per_sample"],
                "default_ratio": default.get("ratio_to_pca"),
                "default_fit_seconds": default.get("fit_seconds"),
                "best": None
                if best is None
                else f"{format_ratio(best['ratio_to_pca'])} ({best['method']})",
            }
        )
    return rows


def _tabular_headline(run, results_dir, fmt) -> str:
    """A line of a tabular run's summary: per protocol, how often the AE loses to PCA."""
    path = Path(results_dir) / run.file
    content = load_results(path)
    if content is None:
        return f"- {run.label.capitalize()}: {fmt.code(display_path(path))} is not committed."
    n_tables = len({record["dataset"] for record in content.get("results") or []})
    parts = []
    for entry in content.get("summary") or []:
        part = (
            f"{entry['protocol']}: {entry['ae_worse_than_pca']} of {entry['ae_configurations']} "
            f"above {verdict.WORSE_THAN_PCA}x PCA's held-out error"
        )
        if entry["median_ae_ratio"] is not None:
            part += f", median {format_ratio(entry['median_ae_ratio'])}x"
        if entry["worst_ae_ratio"] is not None and entry["ae_worse_than_pca"]:
            part += f", worst {format_ratio(entry['worst_ae_ratio'])}x"
            part += f" ({entry['worst_ae_configuration']})"
        parts.append(part)
    tables = TABULAR_RUN_TABLES.get(run.name)
    which = {"development": "the defaults were tuned on", "holdout": "no default was tuned on"}
    what = count_text(n_tables, "table") + (f" {which[tables]}" if tables in which else "")
    return f"- {fmt.code(run.command)} ({fmt.text(what)}): {fmt.text('; '.join(parts))}."


def headline_lines(results_dir, fmt) -> list[str]:
    """The README's headline: the default run per data set and code size, and the verdicts."""
    run = COMMITTED_RUNS["images"]
    path = Path(results_dir) / run.file
    content = load_results(path)
    if content is None:
        return run_lines(run, results_dir, fmt)
    settings = content.get("settings") or {}
    records = verdict.with_ratios_to_pca(content.get("results") or [])
    n_autoencoders = len({r["method"] for r in records if verdict.is_autoencoder(r)})
    lines = _caption(
        run,
        settings,
        fmt,
        "PCA's held-out squared error per sample; vs PCA: an autoencoder's held-out error "
        "over PCA's at the same code size (below 1: better than PCA); default AE: "
        f"{fmt.code('AutoencoderTransformer(n_components=code)')}, every other parameter at "
        f"its default; best: the lowest ratio of the {n_autoencoders} autoencoders run.",
    )
    lines += table_lines(headline_rows(records), HEADLINE_COLUMNS, HEADLINE_TEXT_FIELDS, fmt)
    overall = verdict.summarize(records)[-1]
    lines += [f"Over the whole run: {fmt.text(verdict.summary_text(overall))}.", ""]
    lines += [fmt.text(f"The run took {duration_text(settings)}; {machine_text(settings)}."), ""]
    tabular_runs = [COMMITTED_RUNS[name] for name in TABULAR_RUN_TABLES]
    lead = (
        "The tabular suite: the default AE against PCA on real tables, with a "
        "StandardScaler in front (scaled) and without (raw):"
    )
    lines += [fmt.text(lead), ""]
    return lines + [_tabular_headline(r, results_dir, fmt) for r in tabular_runs] + [""]


# ---------------------------------------------------------------------------
# Figures drawn from the committed results
# ---------------------------------------------------------------------------

IMAGES_DIR = REPO_ROOT / "docs" / "images"
# The PNG text chunk that records what a committed figure was drawn from.
SOURCE_KEY = "Source"


@dataclass(frozen=True)
class CommittedFigure:
    """A PNG in ``IMAGES_DIR`` drawn by ``plot(records, path, note, metadata)`` from a run."""

    file: str
    run: str
    plot: object


COMMITTED_FIGURES = (
    CommittedFigure("benchmark_error_vs_code_size.png", "images", plots.plot_error_vs_code_size),
    CommittedFigure("benchmark_error_vs_fit_time.png", "images", plots.plot_error_vs_fit_time),
)


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def figure_source(figure, results_dir=RESULTS_DIR) -> str | None:
    """What ``figure`` is drawn from: the results file's and the plotting code's digests.

    None when the results file is not committed.
    """
    path = Path(results_dir) / COMMITTED_RUNS[figure.run].file
    if not path.exists():
        return None
    return f"{path.name} sha256:{_sha256(path)}; plots.py sha256:{_sha256(plots.__file__)}"


def recorded_source(path) -> str | None:
    """The source that the PNG at ``path`` records, or None (no file, or none recorded)."""
    from PIL import Image

    if not Path(path).exists():
        return None
    with Image.open(path) as image:
        return getattr(image, "text", {}).get(SOURCE_KEY)


def draw_figure(figure, results_dir=RESULTS_DIR, images_dir=IMAGES_DIR) -> Path | None:
    """Draw ``figure`` from its committed results file; None when that file is absent."""
    source = figure_source(figure, results_dir)
    if source is None:
        return None
    content = load_results(Path(results_dir) / COMMITTED_RUNS[figure.run].file)
    note = (content.get("settings") or {}).get("quick_note")
    path = Path(images_dir) / figure.file
    return figure.plot(content.get("results") or [], path, note, metadata={SOURCE_KEY: source})


def stale_figures(results_dir=RESULTS_DIR, images_dir=IMAGES_DIR) -> list[CommittedFigure]:
    """The figures whose PNG was not drawn from the current results file and plotting code."""
    return [
        figure
        for figure in COMMITTED_FIGURES
        if recorded_source(Path(images_dir) / figure.file) != figure_source(figure, results_dir)
    ]


def training_cost_paths(results_dir) -> list[Path]:
    """The files of the ``training_cost`` section: default fits, then the reference."""
    return [Path(results_dir) / file for file in TRAINING_COST_FILES]


TRAINING_COST_COLUMNS = {
    "data": ("data", str),
    "n_components": ("code", str),
    "random_state": ("seed", str),
    "fit_seconds": ("fit s", format_significant),
    "passes": ("passes", format_significant),
    "ratio_to_pca": ("vs PCA", format_ratio),
    "reference_fit_seconds": ("100 epochs: fit s", format_significant),
    "reference_ratio_to_pca": ("100 epochs: vs PCA", format_ratio),
    "ratio_to_reference": ("error vs 100 epochs", format_ratio),
}


def _case(record):
    return record["data"], record["n_components"], record["random_state"]


def training_cost_lines(results_dir, fmt) -> list[str]:
    """Each default fit of ``training_cost.json`` beside the same case's 100-epoch fit."""
    default_path, reference_path = training_cost_paths(results_dir)
    default, reference = load_results(default_path), load_results(reference_path)
    if default is None:
        return [f"No training-cost results yet: {fmt.code(display_path(default_path))}.", ""]
    references = {_case(record): record for record in (reference or {}).get("results", [])}
    rows = []
    for record in default["results"]:
        row = dict(record)
        match = references.get(_case(record))
        if match is not None:
            row["reference_fit_seconds"] = match["fit_seconds"]
            row["reference_ratio_to_pca"] = match["ratio_to_pca"]
            row["ratio_to_reference"] = record["error"] / match["error"]
        rows.append(row)
    settings = default.get("settings") or {}
    lines = [
        f"Default fits ({fmt.code('python -m benchmarks.training_cost')}, "
        f"{settings.get('torch_threads', '?')} torch thread) and the fixed 100 epochs of "
        'the package before its budget on the same case; "vs PCA" is the held-out '
        "error over PCA's, \"error vs 100 epochs\" the default's held-out error over "
        "the 100-epoch fit's.",
        "",
    ]
    lines += table_lines(rows, TRAINING_COST_COLUMNS, ("data",), fmt)
    lines += _machine_lines(default, fmt)
    note = ((reference or {}).get("settings") or {}).get("note")
    return lines + ([f"The 100-epoch fits: {note}", ""] if note else [])


def measurement_lines(name, results_dir, fmt) -> list[str]:
    """A measurements file (``MEASUREMENT_FILES``): a row per benchmark, its figures in words."""
    file, command = MEASUREMENT_FILES[name]
    path = Path(results_dir) / file
    content = load_results(path)
    if content is None:
        return [f"No {fmt.code(command)} results yet: {fmt.code(display_path(path))}.", ""]
    rows = [
        {"benchmark": result["benchmark"], "measurements": measurements_text(result)}
        for result in content["results"]
    ]
    columns = {"benchmark": ("benchmark", str), "measurements": ("measurements", str)}
    lines = table_lines(rows, columns, ("benchmark", "measurements"), fmt)
    return lines + _machine_lines(content, fmt)


def _machine_lines(content, fmt) -> list[str]:
    """A line naming the CPU a results file was measured on; none for files that do not say."""
    settings = content.get("settings") or {}
    if not settings.get("cpu"):
        return []
    measured = measured_on_text(settings)
    return [fmt.text(f"{measured[0].upper()}{measured[1:]}."), ""]


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
    """The lines of the section ``name`` (one of ``SECTIONS`` or ``README_SECTIONS``)."""
    fmt = Markdown() if fmt is None else fmt
    if name == "durations":
        return durations_lines(results_dir, fmt)
    if name == "tabular_seeds":
        return tabular_seeds_lines(results_dir, fmt)
    if name == "training_cost":
        return training_cost_lines(results_dir, fmt)
    if name in MEASUREMENT_FILES:
        return measurement_lines(name, results_dir, fmt)
    if name == "quick_duration":
        return quick_duration_lines(results_dir, fmt)
    if name == "headline":
        return headline_lines(results_dir, fmt)
    return run_lines(COMMITTED_RUNS[name], results_dir, fmt)


def markers(name) -> tuple[str, str]:
    return f"<!-- results:{name}:begin -->", f"<!-- results:{name}:end -->"


def render_readme(text, results_dir=RESULTS_DIR) -> str:
    """``text`` with every section between markers rendered anew from ``results_dir``.

    The README holds the sections of ``README_SECTIONS``; the documentation renders
    those of ``SECTIONS``. Raises ``ValueError`` naming a section whose pair of
    markers is not there exactly once.
    """
    for name in README_SECTIONS:
        begin, end = markers(name)
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), flags=re.DOTALL)
        found = list(pattern.finditer(text))
        if len(found) != 1:
            raise ValueError(f"{len(found)} sections between {begin} and {end}, expected 1")
        body = "\n".join(section_lines(name, results_dir)).strip("\n")
        start, stop = found[0].span()
        text = f"{text[:start]}{begin}\n\n{body}\n\n{end}{text[stop:]}"
    return text


def _check_or_draw_figures(args) -> int:
    stale = stale_figures(args.results_dir, args.images_dir)
    for figure in stale:
        path = display_path(Path(args.images_dir) / figure.file)
        if args.check:
            print(
                f"{path} was not drawn from {COMMITTED_RUNS[figure.run].file} and the current "
                "benchmarks/plots.py; run python -m benchmarks.render to draw it.",
                file=sys.stderr,
            )
        elif draw_figure(figure, args.results_dir, args.images_dir) is not None:
            print(f"Drew {path}.", file=sys.stderr)
    return 1 if stale and args.check else 0


def main(argv=None) -> int:
    """Rewrite (or, with ``--check``, compare) the README's results sections and figures."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.render",
        description=(
            "Render the README's benchmark tables, and draw the figures of docs/images/, "
            "from the committed results files."
        ),
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
        "--images-dir",
        type=Path,
        default=IMAGES_DIR,
        help="where the figures go (default: docs/images/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; print a diff and exit 1 if the README or a figure differs "
        "from what the files give",
    )
    args = parser.parse_args(argv)
    text = args.readme.read_text()
    try:
        rendered = render_readme(text, args.results_dir)
    except ValueError as exc:
        print(f"error: {args.readme}: {exc}", file=sys.stderr)
        return 2
    status = _check_or_draw_figures(args)
    if rendered == text:
        print(f"{args.readme} is up to date with {args.results_dir}.", file=sys.stderr)
        return status
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
    return status


if __name__ == "__main__":
    raise SystemExit(main())
