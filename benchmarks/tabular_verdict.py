"""The verdict of a tabular-suite run against PCA, for the terminal, the files and the README.

Each record's held-out error over PCA's at the same (table, protocol, code size)
(``ratio_to_pca``) and, for the VAE, how far its held-out ELBO lies below probabilistic
PCA's log-likelihood (``gap_to_ppca``); the summary per protocol: how often, and by
how much, the autoencoders lose to PCA; and both as the cells of tables.
``python -m benchmarks --suite tabular`` (``benchmarks.tabular``) prints these tables
and writes the summary to ``results.json``; ``benchmarks.render`` renders the
committed results through the same functions, so the terminal and the README cannot
disagree. This module reads records only: rendering needs no runner.
"""

import numpy as np

from benchmarks.report import error_ratio, format_error, format_ratio, format_significant
from benchmarks.verdict import WORSE_THAN_PCA

# Thresholds of the summary: an autoencoder worse than WORSE_THAN_PCA times PCA's
# error (the images suite's, benchmarks.verdict), a VAE whose ELBO is below PPCA's
# log-likelihood by more than this fraction.
BELOW_PPCA = 0.01


def failed(record) -> bool:
    """Whether the record's method raised (skipped runs have a note too)."""
    return record["note"] is not None and record["note"].startswith("failed")


def configuration_key(record) -> tuple:
    """``(dataset, protocol, n_components)``: the records that PCA's is compared with."""
    return record["dataset"], record["protocol"], record["n_components"]


def add_comparisons(records: list[dict]):
    """Set each record's ``ratio_to_pca`` and, for the VAE, ``gap_to_ppca``, in place.

    Both compare with PCA's record of the same (table, protocol, code size). A
    PCA error of exactly 0 gives an infinite ratio (null in JSON) unless the
    method's error is 0 as well.
    """
    pca = {configuration_key(r): r for r in records if r["method"] == "PCA"}
    for record in records:
        reference = pca.get(configuration_key(record))
        if reference is None:
            continue
        record["ratio_to_pca"] = error_ratio(
            record["sq_error_per_sample"], reference["sq_error_per_sample"]
        )
        score, pca_score = record["score"], reference["score"]
        if record["method"] != "PCA" and score is not None and pca_score is not None:
            record["gap_to_ppca"] = (pca_score - score) / abs(pca_score)


def _worst_first(values):
    """Values as floats, NaN (a diverged fit) counted as infinitely bad."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(values), np.inf, values)


def summarize(records: list[dict]) -> list[dict]:
    """One record per protocol: how often, and by how much, the autoencoders lose to PCA."""
    summary = []
    for protocol in dict.fromkeys(r["protocol"] for r in records):
        in_protocol = [r for r in records if r["protocol"] == protocol]
        autoencoder = [r for r in in_protocol if r["method"] == "AE"]
        compared = [r for r in autoencoder if r["ratio_to_pca"] is not None]
        ratios = _worst_first([r["ratio_to_pca"] for r in compared])
        vae = [r for r in in_protocol if r["method"] == "VAE" and r["gap_to_ppca"] is not None]
        gaps = _worst_first([r["gap_to_ppca"] for r in vae])
        timed = [r for r in in_protocol if r["fit_seconds"] is not None]
        worst = compared[int(np.argmax(ratios))] if compared else None
        slowest = max(timed, key=lambda r: r["fit_seconds"], default=None)
        summary.append(
            {
                "protocol": protocol,
                "ae_configurations": len(compared),
                "ae_failed": sum(map(failed, autoencoder)),
                "ae_worse_than_pca": int(np.sum(ratios > WORSE_THAN_PCA)),
                "median_ae_ratio": float(np.median(ratios)) if compared else None,
                "worst_ae_ratio": float(ratios.max()) if compared else None,
                "worst_ae_configuration": _describe(worst),
                "vae_configurations": len(vae),
                "vae_below_ppca": int(np.sum(gaps > BELOW_PPCA)),
                "slowest_fit_seconds": None if slowest is None else slowest["fit_seconds"],
                "slowest_fit_configuration": _describe(slowest, method=True),
            }
        )
    return summary


def _describe(record, method=False):
    if record is None:
        return None
    where = f"{record['dataset']}, code {record['n_components']}"
    return f"{record['method']}, {where}" if method else where


def _gap(value):
    return f"{value:+.1%}"


def _text(value, width=60):
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# The left-aligned columns of the two tables; the others hold numbers.
CONFIGURATION_TEXT_FIELDS = ("dataset", "protocol", "note")
SUMMARY_TEXT_FIELDS = ("protocol",)


def configuration_rows(records: list[dict], method_names) -> tuple[list[dict], dict]:
    """Rows of the stdout table, one per (table, protocol, code size), and its columns."""
    columns = {
        "dataset": ("dataset", str),
        "protocol": ("protocol", str),
        "n_samples": ("n", str),
        "n_features": ("d", str),
        "n_components": ("code", str),
        "pca_error": ("PCA sq err/row", format_error),
    }
    if "AE" in method_names:
        columns["ae_ratio"] = ("AE/PCA", format_ratio)
    if "VAE" in method_names:
        columns["vae_gap"] = ("VAE gap to PPCA", _gap)
    for name in method_names:
        if name != "PCA":
            columns[f"{name}_fit_seconds"] = (f"{name} fit s", format_significant)
    columns["note"] = ("note", _text)

    rows = {}
    for record in records:
        row = rows.setdefault(
            configuration_key(record),
            {field: record[field] for field in ("dataset", "protocol", "n_components")}
            | {"n_samples": record["n_samples"], "n_features": record["n_features"]},
        )
        method = record["method"]
        if method == "PCA":
            row["pca_error"] = record["sq_error_per_sample"]
        if method == "AE":
            row["ae_ratio"] = record["ratio_to_pca"]
        if method == "VAE":
            row["vae_gap"] = record["gap_to_ppca"]
        row[f"{method}_fit_seconds"] = record["fit_seconds"]
        if record["note"] is not None:
            notes = [row["note"]] if row.get("note") else []
            row["note"] = "; ".join([*notes, f"{method} {record['note']}"])
    return list(rows.values()), columns


SUMMARY_COLUMNS = {
    "protocol": ("protocol", str),
    "ae_worse": (f"AE > {WORSE_THAN_PCA}x PCA", str),
    "median_ae_ratio": ("median AE/PCA", format_ratio),
    "worst_ae": ("worst AE/PCA", str),
    "vae_below": (f"VAE > {BELOW_PPCA:.0%} below PPCA", str),
    "slowest": ("slowest fit", str),
}


def summary_rows(summary: list[dict]) -> list[dict]:
    """The summary's records as the cells of its stdout table."""
    rows = []
    for entry in summary:
        worst, slowest = entry["worst_ae_ratio"], entry["slowest_fit_seconds"]
        failed = f" ({entry['ae_failed']} failed)" if entry["ae_failed"] else ""
        rows.append(
            {
                "protocol": entry["protocol"],
                "ae_worse": f"{entry['ae_worse_than_pca']}/{entry['ae_configurations']}{failed}",
                "median_ae_ratio": entry["median_ae_ratio"],
                "worst_ae": None
                if worst is None
                else f"{format_ratio(worst)} ({entry['worst_ae_configuration']})",
                "vae_below": f"{entry['vae_below_ppca']}/{entry['vae_configurations']}",
                "slowest": None
                if slowest is None
                else f"{format_significant(slowest)} s ({entry['slowest_fit_configuration']})",
            }
        )
    return rows
