"""CPU against CUDA: fit time and transform throughput of the default autoencoder.

Run with ``python -m benchmarks.devices`` on a machine with a GPU (without one,
only the CPU rows are measured). Each row fits ``AutoencoderTransformer`` with
its defaults on MNIST-10k's 8,000 training images and reports the fit's
seconds, the held-out squared error per image and how many rows per second
``transform`` encodes (MNIST's 2,000 test images repeated to 100,000 rows,
float32). Nothing here fails on time: it measures and reports.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.datasets import load_mnist10k
from sk_autoencoder import AutoencoderTransformer

TRANSFORM_ROWS = 100_000


def _synchronized_seconds(function, device):
    start = time.perf_counter()
    result = function()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def measure(device, n_components, data, max_iter=None):
    """One row: fit seconds, held-out error and transform rows/s on ``device``."""
    params = {"max_iter": max_iter} if max_iter else {}
    estimator = AutoencoderTransformer(
        n_components=n_components, device=device, random_state=0, **params
    )
    fit_seconds, _ = _synchronized_seconds(lambda: estimator.fit(data.X_train), device)
    reconstruction = estimator.inverse_transform(estimator.transform(data.X_test))
    error = float(np.mean(np.sum((reconstruction - data.X_test) ** 2, axis=1)))
    rows = np.tile(data.X_test, (-(-TRANSFORM_ROWS // len(data.X_test)), 1))[:TRANSFORM_ROWS]
    estimator.transform(rows[:1000])  # warm-up: kernels, allocator
    transform_seconds, _ = _synchronized_seconds(lambda: estimator.transform(rows), device)
    return {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "torch_threads": torch.get_num_threads(),
        "n_components": n_components,
        "epochs": estimator.n_iter_,
        "fit_seconds": round(fit_seconds, 2),
        "held_out_error": round(error, 3),
        "transform_rows_per_second": round(TRANSFORM_ROWS / transform_seconds),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-components", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--max-iter", type=int, default=None, help="default: the estimator's")
    parser.add_argument("--threads", type=int, default=None, help="torch threads on the CPU")
    parser.add_argument("--out", type=Path, default=Path("benchmark_results") / "devices.json")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_mnist10k()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        for n_components in args.n_components:
            rows.append(measure(device, n_components, data, args.max_iter))
            print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
