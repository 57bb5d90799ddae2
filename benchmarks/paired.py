"""Paired targets: watermark removal on MNIST-10k and colourisation of photo patches.

Run with ``python -m benchmarks.paired``. Each case fits the default
``PairedAutoencoderRegressor`` (one torch thread) on training pairs and
measures the squared error per row to the held-out targets, summed over
their features, against three references: the input itself where it has the
target's shape (the stamped digits); the reduced-rank linear map of the same
rank fitted by scikit-learn (``LinearRegression`` then ``PCA`` of its
predictions), the floor the estimator is held to; and the estimator's own
start, the same map with its output clipped to [0, 1] where the targets lie
there (``loss="bce"``), which can only bring it closer to such targets. The problems are those of
:mod:`benchmarks.paired_data`:

- ``watermark``: MNIST-10k's 8,000 training and 2,000 test digits, stamped,
  the clean digits as targets, code size 32;
- ``colourisation``: 8 x 8 patches of scikit-learn's two sample photographs,
  grey in, colour out, training patches from the left 60% of each photograph
  and test patches from the rest, code size 16.

Every case runs for each ``--seeds`` value (the estimator's
``random_state``); the results go to ``paired.json`` in ``--out``
(``paired_quick.json`` with ``--quick``). Nothing here fails on a figure.
"""

import argparse
import shlex
import sys
import time
from pathlib import Path

import sklearn
import torch

from benchmarks.cli import machine_settings
from benchmarks.datasets import load_mnist10k
from benchmarks.metrics import limited_threads, squared_error_per_sample, warm_up_torch
from benchmarks.paired_data import ReducedRankBaseline, colour_patches, stamped
from benchmarks.report import markdown_grid, measurements_text, quick_heading, write_json
from sk_autoencoder import PairedAutoencoderRegressor

RESULTS_DIR = Path(__file__).parent / "results"
CODE_SIZES = {"watermark": 32, "colourisation": 16}
# --quick: training rows of MNIST-10k, and epochs of every fit.
QUICK_N_TRAIN = 1000
QUICK_EPOCHS = 3


def watermark_pairs(quick):
    data = load_mnist10k()
    X_train, X_test = data.X_train, data.X_test
    if quick:
        X_train = X_train[:QUICK_N_TRAIN]
    return stamped(X_train), X_train, stamped(X_test), X_test


def colourisation_pairs(quick):
    return colour_patches(quick=quick)


PROBLEMS = {"watermark": watermark_pairs, "colourisation": colourisation_pairs}


def measure(name, pairs, *, seed, quick):
    """One row: a default paired fit against the linear map (and the input, where comparable)."""
    X_train, target_train, X_test, target_test = pairs
    n_components = CODE_SIZES[name]
    params = {"max_iter": QUICK_EPOCHS} if quick else {}
    model = PairedAutoencoderRegressor(n_components, random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_train, target_train)
    fit_seconds = time.perf_counter() - start
    linear = ReducedRankBaseline(n_components).fit(X_train, target_train)
    error = squared_error_per_sample(target_test, model.predict(X_test))
    linear_error = squared_error_per_sample(target_test, linear.predict(X_test))
    # The estimator's own start on the test pairs, its network switched off:
    # the same map, its output clipped to [0, 1] where the targets lie there.
    model.net_.module_.use_network(False)
    start_error = squared_error_per_sample(target_test, model.predict(X_test))
    model.net_.module_.use_network(model.network_kept_)
    result = {
        "benchmark": f"{name}, code size {n_components}, seed {seed}",
        "problem": name,
        "n_components": n_components,
        "seed": seed,
        "training_pairs": len(X_train),
        "test_pairs": len(X_test),
        "error": error,
        "linear_error": linear_error,
        "ratio_to_linear": error / linear_error,
        "start_error": start_error,
        "ratio_to_start": error / start_error,
    }
    if X_test.shape == target_test.shape:
        input_error = squared_error_per_sample(target_test, X_test)
        result.update(input_error=input_error, ratio_to_input=error / input_error)
    result.update(
        network_kept=bool(model.network_kept_),
        validation_error=model.validation_error_,
        linear_validation_error=model.linear_validation_error_,
        rounds=model.n_iter_,
        fit_seconds=fit_seconds,
    )
    return result


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.paired", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_EPOCHS} epochs, {QUICK_N_TRAIN} training digits, fewer patches",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", choices=list(PROBLEMS), action="append", metavar="NAME")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help=f"default: {RESULTS_DIR}")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = []
    with limited_threads(1):
        warm_up_torch()
        for name, make_pairs in PROBLEMS.items():
            if args.only and name not in args.only:
                continue
            pairs = make_pairs(args.quick)
            for seed in args.seeds:
                results.append(measure(name, pairs, seed=seed, quick=args.quick))
                print(measurements_text(results[-1]), file=sys.stderr)
    rows = [[result["benchmark"], measurements_text(result)] for result in results]
    if args.quick:
        print(quick_heading(f"quick: {QUICK_EPOCHS} epochs"))
    print(markdown_grid(["benchmark", "measurements"], rows, numeric=[False, False]))
    settings = {
        "command": shlex.join(["python", "-m", "benchmarks.paired", *argv]),
        "quick": args.quick,
        "seeds": args.seeds,
        "threads": 1,
        "duration_seconds": time.perf_counter() - start,
        **machine_settings(),
        "versions": {"torch": torch.__version__, "scikit-learn": sklearn.__version__},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("paired_quick.json" if args.quick else "paired.json")
    write_json(results, path, settings)
    print(f"\nWrote {path}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
