"""Command line entry point: ``python -m benchmarks``.

Two suites: ``images`` (the default: digits, manifolds, MNIST; this module) and
``tabular`` (real tables, ``python -m benchmarks --suite tabular``; see
``benchmarks.tabular``). Their shared options are ``benchmarks.cli``'s, and both
measure each run through ``benchmarks.measure.measure_run``.

Protocol: every method is fitted on a data set's training split and measured on its
held-out test split, the same split for every method, at several code sizes. Fit time
is the median over ``--repeats`` fits; transform speed is the median over as many
passes over the test set. A benchmark measures and reports; it does not fail on time.
Torch and BLAS run on one thread unless ``--threads`` says otherwise (see
``metrics.limited_threads``).
"""

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks import anomaly, metrics, tabular, verdict
from benchmarks.cli import (
    add_suite_argument,
    add_threads_argument,
    check_threads,
    command_line,
    run_settings,
    suite_of,
)
from benchmarks.datasets import (
    DATASET_LOADERS,
    Dataset,
    DatasetError,
    load_dataset,
    load_user_data,
)
from benchmarks.measure import Fitted, RunResult, measure_run
from benchmarks.methods import METHODS, Method, get_method, quick_note
from benchmarks.plots import make_all_plots
from benchmarks.render import expected_duration
from benchmarks.report import FIELDS, Terminal, quick_heading, write_csv, write_json

DEFAULT_DATASETS = ["digits", "swiss_roll", "s_curve", "mnist10k"]
DEFAULT_N_COMPONENTS = [2, 8, 32]
DEFAULT_REPEATS = 3
QUICK_REPEATS = 1


def benchmark_method(
    dataset: Dataset,
    method: Method,
    n_components: int,
    *,
    repeats: int,
    quick: bool,
    random_state: int,
) -> RunResult:
    """Fit one method on the training split and measure it on the test split.

    ``benchmarks.measure.measure_run`` measures what both suites do, with the fits'
    peak memory; ``_image_measures`` adds this suite's own.
    """
    record = dict.fromkeys(FIELDS)
    record.update(dataset=dataset.name, method=method.name, n_components=n_components)
    result = measure_run(
        dataset,
        method,
        n_components,
        record,
        quick=quick,
        random_state=random_state,
        repeats=repeats,
        peak_memory=True,
        more=partial(_image_measures, random_state=random_state),
    )
    if result.failed:
        tqdm.write(
            f"{dataset.name} {method.name} {n_components}: {record['note']}", file=sys.stderr
        )
    return result


def _image_measures(fitted: Fitted, result: RunResult, *, random_state: int):
    """The images suite's own measures: transform speed, the codes' quality, plots' data.

    The test rows' transform speed; the accuracy of classifiers on the codes where
    the data set has labels; the trustworthiness of 2-D codes; and, for the plots,
    the reconstructions of a few test rows and the 2-D codes.
    """
    dataset, record = fitted.dataset, result.record
    record["transform_rows_per_s"] = dataset.n_test / fitted.transform_seconds
    if fitted.X_reconstructed is not None:
        result.reconstructed_examples = fitted.X_reconstructed[dataset.example_indices()]
    codes_test = fitted.codes_test
    if dataset.y_train is not None:
        codes_train = fitted.estimator.transform(dataset.X_train)
        codes_and_labels = (codes_train, dataset.y_train, codes_test, dataset.y_test)
        record.update(
            logreg_accuracy=metrics.logistic_regression_accuracy(*codes_and_labels),
            knn_accuracy=metrics.knn_accuracy(*codes_and_labels),
        )
    if record["n_components"] == 2:
        record["trustworthiness"] = metrics.trustworthiness_score(
            dataset.X_test, codes_test, random_state=random_state
        )
        result.test_codes = np.asarray(codes_test)


def run_benchmarks(
    datasets, methods, n_components_list, *, repeats, quick, random_state
) -> list[RunResult]:
    """Run every (data set, method, code size), with a progress bar on stderr."""
    runs = [
        (dataset, method, n_components)
        for dataset in datasets
        for method in methods
        for n_components in n_components_list
    ]
    results = []
    with tqdm(runs, file=sys.stderr, unit="run", dynamic_ncols=True) as progress:
        for dataset, method, n_components in progress:
            progress.set_postfix_str(f"{dataset.name} {method.name} {n_components}")
            results.append(
                benchmark_method(
                    dataset,
                    method,
                    n_components,
                    repeats=repeats,
                    quick=quick,
                    random_state=random_state,
                )
            )
    return results


def _dataset_sizes(datasets) -> dict:
    return {
        dataset.name: {
            "n_train": dataset.n_train,
            "n_test": dataset.n_test,
            "n_features": dataset.n_features,
            "image_shape": dataset.image_shape,
        }
        for dataset in datasets
    }


def _settings(argv, args, datasets, methods, repeats, note, duration_seconds):
    return {
        "suite": "images",
        "datasets": _dataset_sizes(datasets),
        "methods": [method.name for method in methods],
        "n_components": args.n_components,
        "repeats": repeats,
        "quick_note": note,
        **run_settings(argv, args, duration_seconds),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Compare autoencoders with PCA and other methods: held-out reconstruction "
            "error, speed, memory and the quality of the codes. Prints a table per data "
            "set and the verdict against PCA (each run's error over PCA's, how many "
            "autoencoder runs are above 1.02x PCA's, the median ratio), and writes them "
            "to results.md, with results.json, results.csv and PNG plots, in --out."
        ),
    )
    add_suite_argument(parser)
    parser.add_argument(
        "--datasets",
        "--dataset",
        nargs="+",
        metavar="NAME",
        help=(
            f"data sets among {', '.join(DATASET_LOADERS)} (default: "
            f"{' '.join(DEFAULT_DATASETS)}; only --data's file when --data is given). "
            "mnist784 and fashion_mnist784 download from OpenML."
        ),
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help=f"methods among {', '.join(METHODS)} (default: all)",
    )
    parser.add_argument(
        "--n-components",
        nargs="+",
        type=int,
        default=DEFAULT_N_COMPONENTS,
        metavar="K",
        help="code sizes (default: %(default)s); sizes >= n_features are skipped",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"fits per run, the median time is kept (default: {DEFAULT_REPEATS}, "
        f"{QUICK_REPEATS} with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one repeat and fewer training epochs for the neural methods",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("benchmark_results"),
        metavar="DIR",
        help="output directory (default: %(default)s)",
    )
    parser.add_argument(
        "--data", type=Path, metavar="FILE", help="your own data: a .npy or .csv matrix"
    )
    parser.add_argument(
        "--labels", type=Path, metavar="FILE", help="labels for --data, one per row"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random_state of the methods (default: %(default)s); data splits are fixed",
    )
    add_threads_argument(parser)
    return parser


def _select_methods(parser, names):
    if names is None:
        return list(METHODS.values())
    try:
        return [get_method(name) for name in names]
    except ValueError as exc:
        parser.error(str(exc))


def _load_datasets(args):
    names = args.datasets
    if names is None:
        names = [] if args.data is not None else DEFAULT_DATASETS
    datasets = [load_dataset(name) for name in names]
    if args.data is not None:
        datasets.append(load_user_data(args.data, args.labels))
    return datasets


def main(argv=None) -> int:
    """Run the benchmarks; return the exit status (1 if a method failed).

    ``--suite tabular`` hands the whole command line to ``benchmarks.tabular.main``.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    suite = suite_of(argv)
    if suite == "tabular":
        return tabular.main(argv)
    if suite == "anomaly":
        return anomaly.main(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.labels is not None and args.data is None:
        parser.error("--labels needs --data")
    if min(args.n_components) < 1:
        parser.error("--n-components must be positive")
    repeats = args.repeats
    if repeats is None:
        repeats = QUICK_REPEATS if args.quick else DEFAULT_REPEATS
    if repeats < 1:
        parser.error("--repeats must be positive")
    methods = _select_methods(parser, args.methods)
    check_threads(parser, args)
    with metrics.limited_threads(args.threads):
        return _run(argv, args, methods, repeats)


def _run(argv, args, methods, repeats):
    print(expected_duration(quick=args.quick), file=sys.stderr)
    start = time.perf_counter()
    try:
        datasets = _load_datasets(args)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = run_benchmarks(
        datasets,
        methods,
        args.n_components,
        repeats=repeats,
        quick=args.quick,
        random_state=args.seed,
    )
    records = verdict.with_ratios_to_pca([result.record for result in results])
    note = quick_note(conv=any(method.needs_images for method in methods)) if args.quick else None
    terminal = Terminal()
    lines = [quick_heading(note)] if note is not None else []
    lines += verdict.run_lines(records, _dataset_sizes(datasets), terminal)
    report = terminal.join(lines)
    print(report)

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(records, args.out / "results.csv")
    (args.out / "results.md").write_text(f"# {command_line(argv)}\n\n{report}\n")
    try:
        plot_paths = make_all_plots(datasets, results, args.out, note)
    finally:
        # Last, so that the duration is the whole run's; and even if a plot fails.
        duration_seconds = time.perf_counter() - start
        settings = _settings(argv, args, datasets, methods, repeats, note, duration_seconds)
        write_json(records, args.out / "results.json", settings, summary=verdict.summarize(records))
    print(
        f"Wrote results.md, results.json, results.csv and {len(plot_paths)} plots to {args.out} "
        f"in {duration_seconds:.0f} s.",
        file=sys.stderr,
    )
    return 1 if any(result.failed for result in results) else 0
