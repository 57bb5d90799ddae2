"""Searching the code size: CodeSizeSearchCV against one fit, and against GridSearchCV.

Run with ``python -m benchmarks.search``. Every autoencoder has the estimator's
defaults (``AutoencoderTransformer(random_state=0)``), whatever they are when
it runs; ``--quick`` trains each for ``QUICK_EPOCHS`` epochs instead, to check
that the benchmark works, not to quote. torch and the BLAS pools run on
``--threads`` threads (default 1), in joblib's workers too. Nothing here fails
on time: it measures and reports, as a markdown table on stdout and JSON in
``--out`` (``search.json``, ``search_quick.json`` with ``--quick``).

- digits: ``load_digits``, ``make_pipeline(StandardScaler(), reducer,
  LogisticRegression(max_iter=2000))``, code sizes 4, 8, 16 and 32, 3 folds:
  CodeSizeSearchCV over the four sizes against CodeSizeSearchCV over 32 alone,
  GridSearchCV of the same pipeline over the four sizes, and PCA's
  GridSearchCV; the best cross-validated accuracy of each.
- digits-grid: scikit-learn's ``plot_digits_pipe.py`` grid with the
  autoencoder in PCA's place: code sizes 5, 15, 30, 45 and 60 times
  ``C=np.logspace(-4, 4, 4)``, 5 folds, ``LogisticRegression(max_iter=10000,
  tol=0.1)``: CodeSizeSearchCV with ``n_jobs=2`` against its search of the
  single size 60 and against ``n_jobs=1``, and PCA's GridSearchCV with
  ``n_jobs=2``.
- mnist: the MNIST-10k training rows, code sizes 2, 8, 16 and 32, 3 folds,
  scored by reconstruction: CodeSizeSearchCV against one fit of
  ``AutoencoderTransformer(n_components=32)`` per fold's training rows, and
  whether it picks the code size that fitting each size apart
  (``cross_val_score``, 12 fits; not with ``--quick``) picks.

``--busy-core`` keeps one core busy with a spinning process while it runs, as
another user's job would.
"""

import argparse
import json
import multiprocessing
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from joblib import parallel_config
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from benchmarks.cli import machine_settings
from benchmarks.datasets import load_mnist10k
from benchmarks.metrics import limited_threads, warm_up_torch
from benchmarks.report import markdown_grid, measurements_text, quick_heading
from sk_autoencoder import AutoencoderTransformer, CodeSizeSearchCV

QUICK_EPOCHS = 2
RESULTS_DIR = Path(__file__).parent / "results"

DIGITS_CODE_SIZES = [4, 8, 16, 32]
# scikit-learn's examples/compose/plot_digits_pipe.py.
GRID_CODE_SIZES = [5, 15, 30, 45, 60]
GRID_C = np.logspace(-4, 4, 4)
MNIST_CODE_SIZES = [2, 8, 16, 32]


def autoencoder(quick, **params):
    """The default autoencoder (``random_state=0``), trained briefly with ``quick``."""
    estimator = AutoencoderTransformer(random_state=0, **params)
    if quick:
        estimator.set_params(max_iter=QUICK_EPOCHS)
    return estimator


def timed(function):
    """``function()`` and its wall-clock seconds."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def _worker_threads():
    # Imports the package in the worker, as any search would, and says how many
    # threads torch has there.
    import sk_autoencoder  # noqa: F401

    return torch.get_num_threads()


def start_workers(n_jobs):
    """Start joblib's worker processes (and their import of torch) before any timing.

    joblib keeps them between calls, as a session running more than one search
    would. Returns torch's thread count in each worker.
    """
    return sorted(set(Parallel(n_jobs=n_jobs)(delayed(_worker_threads)() for _ in range(n_jobs))))


def _plain(params):
    """Parameters as JSON numbers: numpy scalars as Python ones."""
    return {
        name: value.item() if isinstance(value, np.generic) else value
        for name, value in params.items()
    }


def _mean_scores(search, key):
    """``{code size: mean test score}``, the best over the other parameters for each size."""
    results = search.cv_results_
    sizes = np.asarray(results[f"param_{key}"], dtype=int)
    return {
        int(size): float(results["mean_test_score"][sizes == size].max())
        for size in np.unique(sizes)
    }


def bench_digits(quick):
    """Four code sizes at the cost of one, on digits, against GridSearchCV and PCA."""
    X, y = load_digits(return_X_y=True)

    def pipeline(reducer):
        return make_pipeline(StandardScaler(), reducer, LogisticRegression(max_iter=2000))

    network = pipeline(autoencoder(quick))
    key = "autoencodertransformer__n_components"
    search, search_seconds = timed(
        lambda: CodeSizeSearchCV(network, DIGITS_CODE_SIZES, cv=3).fit(X, y)
    )
    single, single_seconds = timed(lambda: CodeSizeSearchCV(network, [32], cv=3).fit(X, y))
    grid, grid_seconds = timed(
        lambda: GridSearchCV(network, {key: DIGITS_CODE_SIZES}, cv=3).fit(X, y)
    )
    pca, pca_seconds = timed(
        lambda: GridSearchCV(
            pipeline(PCA(random_state=0)), {"pca__n_components": DIGITS_CODE_SIZES}, cv=3
        ).fit(X, y)
    )
    return {
        "benchmark": f"digits: {len(DIGITS_CODE_SIZES)} code sizes, 3 folds",
        "search_seconds": search_seconds,
        "single_size_seconds": single_seconds,
        "search_to_single_size": search_seconds / single_seconds,
        "grid_search_seconds": grid_seconds,
        "grid_search_to_search": grid_seconds / search_seconds,
        "pca_grid_search_seconds": pca_seconds,
        "search_to_pca": search_seconds / pca_seconds,
        "search_best_n_components": search.best_params_[key],
        "search_best_accuracy": search.best_score_,
        "search_accuracy_by_size": _mean_scores(search, key),
        "single_size_accuracy": single.best_score_,
        "grid_search_best_n_components": grid.best_params_[key],
        "grid_search_best_accuracy": grid.best_score_,
        "grid_search_accuracy_by_size": _mean_scores(grid, key),
        "pca_best_n_components": pca.best_params_["pca__n_components"],
        "pca_best_accuracy": pca.best_score_,
        "search_at_least_pca": bool(search.best_score_ >= pca.best_score_),
    }


def bench_digits_grid(quick):
    """scikit-learn's 5 x 4 digits grid: one fit per fold, with one and two jobs."""
    X, y = load_digits(return_X_y=True)

    def pipeline(reducer):
        return Pipeline(
            [
                ("scaler", StandardScaler()),
                ("reducer", reducer),
                ("logistic", LogisticRegression(max_iter=10000, tol=0.1)),
            ]
        )

    network = pipeline(autoencoder(quick))
    grid = {"logistic__C": GRID_C}

    def search(code_sizes, n_jobs):
        return CodeSizeSearchCV(network, code_sizes, param_grid=grid, n_jobs=n_jobs).fit(X, y)

    two_jobs, two_jobs_seconds = timed(lambda: search(GRID_CODE_SIZES, 2))
    _, single_seconds = timed(lambda: search([max(GRID_CODE_SIZES)], 2))
    _, one_job_seconds = timed(lambda: search(GRID_CODE_SIZES, 1))
    pca, pca_seconds = timed(
        lambda: GridSearchCV(
            pipeline(PCA(random_state=0)),
            {"reducer__n_components": GRID_CODE_SIZES, **grid},
            n_jobs=2,
        ).fit(X, y)
    )
    key = "reducer__n_components"
    return {
        "benchmark": "digits grid: 5 code sizes x 4 C, 5 folds",
        "candidates": len(two_jobs.cv_results_["params"]),
        "autoencoder_fits": two_jobs.n_splits_ + 1,
        "n_jobs_2_seconds": two_jobs_seconds,
        "single_size_n_jobs_2_seconds": single_seconds,
        "search_to_single_size": two_jobs_seconds / single_seconds,
        "n_jobs_1_seconds": one_job_seconds,
        "speedup_of_2_jobs": one_job_seconds / two_jobs_seconds,
        "pca_grid_search_n_jobs_2_seconds": pca_seconds,
        "search_to_pca": two_jobs_seconds / pca_seconds,
        "search_best_params": _plain(two_jobs.best_params_),
        "search_best_accuracy": two_jobs.best_score_,
        "pca_best_params": _plain(pca.best_params_),
        "pca_best_accuracy": pca.best_score_,
        "search_at_least_pca": bool(two_jobs.best_score_ >= pca.best_score_),
        "search_accuracy_by_size": _mean_scores(two_jobs, key),
    }


def bench_mnist(quick):
    """Four code sizes by reconstruction on MNIST-10k: the search against one fit per fold."""
    X = load_mnist10k().X_train
    folds = KFold(3)
    search, search_seconds = timed(
        lambda: CodeSizeSearchCV(autoencoder(quick), MNIST_CODE_SIZES, cv=folds).fit(X)
    )
    widest = max(MNIST_CODE_SIZES)

    def one_fit_per_fold():
        for train, _ in folds.split(X):
            autoencoder(quick, n_components=widest).fit(X[train])

    _, fits_seconds = timed(one_fit_per_fold)
    cv_seconds = search_seconds - search.refit_time_
    errors = {size: -score for size, score in _mean_scores(search, "n_components").items()}
    result = {
        "benchmark": "MNIST-10k: 4 code sizes by reconstruction, 3 folds",
        "search_seconds": search_seconds,
        "search_refit_seconds": search.refit_time_,
        "search_cv_seconds": cv_seconds,
        "one_fit_per_fold_seconds": fits_seconds,
        "search_cv_to_one_fit_per_fold": cv_seconds / fits_seconds,
        "search_best_n_components": search.best_params_["n_components"],
        "search_error_by_size": errors,
    }
    if quick:
        return result

    def separate_fits():
        return {
            size: -float(cross_val_score(autoencoder(quick, n_components=size), X, cv=folds).mean())
            for size in MNIST_CODE_SIZES
        }

    separate, separate_seconds = timed(separate_fits)
    best_separate = min(separate, key=separate.get)
    result.update(
        separate_fits_seconds=separate_seconds,
        separate_fits_to_search_cv=separate_seconds / cv_seconds,
        separate_best_n_components=best_separate,
        separate_error_by_size=separate,
        # What the ordering costs at each size: its error over that of a
        # network fitted for that size alone.
        search_to_separate_error=[errors[size] / separate[size] for size in MNIST_CODE_SIZES],
        same_choice=search.best_params_["n_components"] == best_separate,
    )
    return result


BENCHMARKS = {"digits": bench_digits, "digits-grid": bench_digits_grid, "mnist": bench_mnist}


def _spin():
    while True:
        pass


def _print_table(results, quick):
    rows = [[result["benchmark"], measurements_text(result)] for result in results]
    if quick:
        print(quick_heading(f"quick: {QUICK_EPOCHS} epochs"))
    print(markdown_grid(["benchmark", "measurements"], rows, numeric=[False, False]))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.search", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"train {QUICK_EPOCHS} epochs; skip the separate fits"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable), one of: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--busy-core", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help=f"default: {RESULTS_DIR}")
    args = parser.parse_args(argv)
    selected = [name for name in BENCHMARKS if not args.only or name in args.only]
    spinner = None
    if args.busy_core:
        spinner = multiprocessing.Process(target=_spin, daemon=True)
        spinner.start()
    start = time.perf_counter()
    results = []
    try:
        # Workers get as many threads as this process: one by default, which
        # cannot collapse on a busy machine.
        with (
            limited_threads(args.threads),
            parallel_config("loky", inner_max_num_threads=args.threads),
        ):
            warm_up_torch()
            worker_threads = start_workers(2)
            for name in tqdm(selected, desc="search", unit="benchmark", file=sys.stderr):
                tqdm.write(f"running: {name}", file=sys.stderr)
                results.append(BENCHMARKS[name](args.quick))
    finally:
        if spinner is not None:
            spinner.terminate()
    _print_table(results, args.quick)
    settings = {
        "command": shlex.join(["python", "-m", "benchmarks.search", *argv]),
        "quick": args.quick,
        "threads": args.threads,
        "worker_torch_threads": worker_threads,
        "busy_core": args.busy_core,
        "only": selected if args.only else None,
        "duration_seconds": time.perf_counter() - start,
        **machine_settings(),
        "versions": {"torch": torch.__version__, "scikit-learn": sklearn.__version__},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("search_quick.json" if args.quick else "search.json")
    path.write_text(json.dumps({"settings": settings, "results": results}, indent=2) + "\n")
    print(f"\nWrote {path}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
