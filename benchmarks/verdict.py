"""The verdict of an images-suite run against PCA, for the terminal, the files and the README.

Each run's held-out error over PCA's at the same data set and code size
(``ratio_to_pca``), the tables of a run, one per data set, and the summary: per
data set and over all of them, how many autoencoder runs lie above
``WORSE_THAN_PCA`` times PCA's error, and their median ratio. ``python -m
benchmarks`` prints these lines and writes them to ``results.md`` and
``results.json``; ``benchmarks.render`` renders the committed results through the
same functions, so the terminal and the README cannot disagree.

Each function that returns lines writes through a *writer* (see
``benchmarks.report.Markdown``): ``text(value)``, ``code(value)``,
``table(headings, rows, numeric)`` and ``folded(summary, lines)``.
"""

import math

import numpy as np

from benchmarks.report import (
    count_text,
    error_ratio,
    format_error,
    format_ratio,
    format_significant,
    format_three_decimals,
    table_lines,
)

# An autoencoder above this multiple of PCA's held-out error counts as worse than PCA.
WORSE_THAN_PCA = 1.02
# The methods of ``benchmarks.methods`` that are sk_autoencoder's estimators.
AUTOENCODER_PREFIXES = ("AE", "Conv AE", "VAE")
# The ``dataset`` of the summary's last entry, over every data set.
ALL_DATASETS = "all data sets"

# The columns of a data set's table: at most 100 characters wide in a terminal.
IMAGES_COLUMNS = {
    "method": ("method", str),
    "n_components": ("code", str),
    "sq_error_per_sample": ("held-out error", format_error),
    "ratio_to_pca": ("vs PCA", format_ratio),
    "r2": ("R²", format_three_decimals),
    "fit_seconds": ("fit s", format_significant),
    "knn_accuracy": ("5-NN", format_three_decimals),
    "trustworthiness": ("trust.", format_three_decimals),
}
IMAGES_TEXT_FIELDS = ("method",)

SUMMARY_COLUMNS = {
    "dataset": ("data set", str),
    "autoencoder_runs": ("runs", str),
    "above_pca": (f"> {WORSE_THAN_PCA}x", str),
    "median_ratio": ("median", format_ratio),
    "highest": ("highest", str),
}
SUMMARY_TEXT_FIELDS = ("dataset", "highest")

RATIO_MEANING = (
    "vs PCA: the held-out error over PCA's at the same data set and code size "
    "(below 1: better than PCA)"
)
COLUMNS_MEANING = (
    "held-out error: squared error per held-out row, summed over features; "
    f"{RATIO_MEANING}; R²: of the held-out reconstruction; fit s: median seconds per fit; "
    "5-NN: accuracy of 5 nearest neighbours on the codes; trust.: trustworthiness "
    "of the 2-D map"
)
SUMMARY_MEANING = (
    f"runs: the autoencoder runs; > {WORSE_THAN_PCA}x: how many of them have a held-out "
    f"error above {WORSE_THAN_PCA} times PCA's; median, highest: their ratios to PCA's error"
)


def with_ratios_to_pca(records) -> list[dict]:
    """The records, each with ``ratio_to_pca``: its error over PCA's, same data set and code.

    The ratio is computed from the errors, so that a file whose NaN errors were
    stored as null gives the summary the run printed.
    """
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


def is_autoencoder(record) -> bool:
    return record["method"].startswith(AUTOENCODER_PREFIXES)


def is_skipped(record) -> bool:
    return (record.get("note") or "").startswith("skipped")


def has_ratio(record) -> bool:
    """Whether the record has a ratio to PCA to compare: not missing, not NaN."""
    ratio = record.get("ratio_to_pca")
    return ratio is not None and not math.isnan(ratio)


def _summary_entry(dataset, records):
    autoencoders = [r for r in records if is_autoencoder(r) and not is_skipped(r)]
    compared = [r for r in autoencoders if has_ratio(r)]
    entry = {
        "dataset": dataset,
        "autoencoder_runs": len(compared),
        "above_pca": sum(r["ratio_to_pca"] > WORSE_THAN_PCA for r in compared),
        "median_ratio": None,
        "highest_ratio": None,
        "highest_method": None,
        "highest_dataset": None,
        "highest_n_components": None,
        "without_error": len(autoencoders) - len(compared),
    }
    if compared:
        ratios = [r["ratio_to_pca"] for r in compared]
        highest = compared[int(np.argmax(ratios))]
        entry.update(
            median_ratio=float(np.median(ratios)),
            highest_ratio=highest["ratio_to_pca"],
            highest_method=highest["method"],
            highest_dataset=highest["dataset"],
            highest_n_components=highest["n_components"],
        )
    return entry


def summarize(records) -> list[dict]:
    """One entry per data set, in order, then one over all of them (``ALL_DATASETS``).

    ``records`` carry ``ratio_to_pca`` (:func:`with_ratios_to_pca`). Autoencoder
    runs without a ratio (failed, or a NaN error) are counted apart, in
    ``without_error``.
    """
    names = list(dict.fromkeys(record["dataset"] for record in records))
    entries = [
        _summary_entry(name, [record for record in records if record["dataset"] == name])
        for name in names
    ]
    return [*entries, _summary_entry(ALL_DATASETS, records)]


def _highest_text(entry, name_dataset):
    where = f" on {entry['highest_dataset']}" if name_dataset else ""
    return (
        f"{entry['highest_method']}{where}, code {entry['highest_n_components']}, "
        f"{format_ratio(entry['highest_ratio'])}x"
    )


def summary_text(entry) -> str:
    """A summary entry as a sentence: "autoencoders above 1.02x PCA's ... in 1 of 4 runs, ..."."""
    if not entry["autoencoder_runs"]:
        return "no autoencoder run to compare with PCA"
    name_dataset = entry["dataset"] == ALL_DATASETS
    text = (
        f"autoencoders above {WORSE_THAN_PCA}x PCA's held-out error in {entry['above_pca']} "
        f"of {count_text(entry['autoencoder_runs'], 'run')}, median "
        f"{format_ratio(entry['median_ratio'])}x (highest: {_highest_text(entry, name_dataset)})"
    )
    n_without = entry["without_error"]
    return text + (f"; {count_text(n_without, 'run')} without an error" if n_without else "")


def summary_rows(summary) -> list[dict]:
    """The summary's entries as the cells of its table."""
    rows = []
    for entry in summary:
        without = f" ({entry['without_error']} without an error)" if entry["without_error"] else ""
        highest = None
        if entry["autoencoder_runs"]:
            where = f"{entry['highest_method']}, code {entry['highest_n_components']}"
            if entry["dataset"] == ALL_DATASETS:
                where = f"{entry['highest_method']} on {entry['highest_dataset']}, "
                where += f"code {entry['highest_n_components']}"
            highest = f"{format_ratio(entry['highest_ratio'])} ({where})"
        rows.append(
            {
                "dataset": entry["dataset"],
                "autoencoder_runs": str(entry["autoencoder_runs"]) + without,
                "above_pca": str(entry["above_pca"]),
                "median_ratio": entry["median_ratio"],
                "highest": highest,
            }
        )
    return rows


def summary_lines(summary, fmt) -> list[str]:
    """The verdict: a table of the summary, one row per data set and one over all."""
    lines = [fmt.text(f"Verdict against PCA, per data set and over all ({SUMMARY_MEANING}):"), ""]
    lines += table_lines(summary_rows(summary), SUMMARY_COLUMNS, SUMMARY_TEXT_FIELDS, fmt)
    overall = summary[-1]
    return [*lines, fmt.text(f"Overall: {summary_text(overall)}."), ""]


def _notes_text(records, all_methods, prefix) -> str:
    """``records`` sharing notes, as "Not run: every method at code 32 (reason); ..."."""
    by_note = {}
    for record in records:
        note = record["note"].removeprefix("skipped: ")
        by_note.setdefault(note, []).append(record)
    parts = []
    for note, runs in by_note.items():
        methods = list(dict.fromkeys(record["method"] for record in runs))
        codes = ", ".join(str(code) for code in dict.fromkeys(r["n_components"] for r in runs))
        who = "every method" if set(methods) == set(all_methods) else ", ".join(methods)
        parts.append(f"{who} at code {codes} ({note})")
    return f"{prefix}: " + "; ".join(parts) + "."


def _dataset_sizes(name, datasets) -> str:
    sizes = (datasets or {}).get(name)
    if not sizes:
        return ""
    return (
        f"{sizes['n_train']:,} training and {sizes['n_test']:,} held-out rows, "
        f"{count_text(sizes['n_features'], 'feature')}; "
    )


def dataset_lines(records, datasets, fmt, headline=False) -> list[str]:
    """The table of one data set's records (with ``ratio_to_pca``), open or folded.

    ``datasets`` is the settings' ``{name: {"n_train": ..., ...}}``. Skipped runs
    and notes (no ``inverse_transform``, an error) are lines under the table.
    """
    name = records[0]["dataset"]
    shown = [record for record in records if not is_skipped(record)]
    lines = table_lines(shown, IMAGES_COLUMNS, IMAGES_TEXT_FIELDS, fmt) if shown else []
    all_methods = [record["method"] for record in records]
    noted = [record for record in shown if record.get("note")]
    if noted:
        lines += [fmt.text(_notes_text(noted, all_methods, "Notes")), ""]
    skipped = [record for record in records if is_skipped(record)]
    if skipped:
        lines += [fmt.text(_notes_text(skipped, all_methods, "Not run")), ""]
    (entry, _) = summarize(records)
    summary = _dataset_sizes(name, datasets) + summary_text(entry)
    if headline:
        return [f"**{fmt.text(name)}**: {fmt.text(summary)}.", "", *lines]
    return fmt.folded(f"{name}: {summary}", lines)


def run_lines(records, datasets, fmt, headline=None) -> list[str]:
    """A table per data set, then the verdict; the data set ``headline`` stands open."""
    lines = [fmt.text(f"{COLUMNS_MEANING}."), ""]
    for name in dict.fromkeys(record["dataset"] for record in records):
        subset = [record for record in records if record["dataset"] == name]
        lines += dataset_lines(subset, datasets, fmt, headline=name == headline)
    return lines + summary_lines(summarize(records), fmt)
