"""Performance benchmarks: overheads and scaling, as ratios within one run.

Run with ``python -m benchmarks.perf``. Every figure is a ratio of two timings
taken in the same process, back to back, so it survives a slow or busy
machine better than absolute seconds do. Nothing here fails on time: it
measures and reports.

- fit: a default ``AutoencoderTransformer.fit`` (PCA start, held-out rows
  scored every epoch, the floor's decision) against a hand-written torch
  loop that trains the same network from the same PCA start (same widths,
  Adam, batch size, epochs, learning rate schedule, loss) on the same rows,
  MNIST's 784 pixels and scikit-learn's 8x8 digits (64 features); and,
  where torch finds a CUDA device, the same on it, 100 epochs of MNIST with
  the loop's rows resident on the device (``--only fit-mnist-cuda``);
- busy fit: a default fit on MNIST with torch's default threads, on an idle
  machine and with another process keeping one core busy;
- transform: rows per second of the autoencoder's ``transform`` against
  ``PCA.transform``;
- one row: milliseconds of ``transform`` and ``score_samples`` called on one
  float64 row at a time, against PCA's, as a model scoring events one by
  one pays them;
- grid search: ``GridSearchCV`` over ``n_components`` with ``n_jobs=2``
  against ``n_jobs=1``;
- memory: peak resident memory of ``transform`` over a memory-mapped array of
  a million rows, against the array's size; and of a one-epoch default fit of
  a 200,000 x 100 float64 array, above the array.
"""

import argparse
import gc
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import cache, partial
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from tqdm.auto import tqdm

from benchmarks.cli import machine_settings
from benchmarks.datasets import load_mnist10k
from benchmarks.report import markdown_grid, measurements_text
from sk_autoencoder import AutoencoderTransformer
from sk_autoencoder._base import auto_batch_size
from sk_autoencoder._held_out import validation_split
from sk_autoencoder._losses import reconstruction_error
from sk_autoencoder._pca_start import start_as_pca
from sk_autoencoder._scaling import Scaling


def _median_seconds(function, repeats):
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def _batch_size(estimator, n_samples):
    """The batch size ``estimator`` trains with on ``n_samples`` rows."""
    if estimator.batch_size == "auto":
        return auto_batch_size(n_samples)
    return estimator.batch_size


def hand_written_fit(X, estimator, epochs, seed=0, device="cpu"):
    """Train ``estimator``'s network with a plain torch loop, started as PCA.

    The reference a default fit should match, doing the same training
    without the engine: the same torch module, built by the estimator with
    its fixed PCA paths; scikit-learn's PCA of all the scaled rows, set into
    it as the package's PCA start does; the same training rows (the package
    holds ``validation_fraction`` of them out for the floor); every row
    scaled once into one float32 tensor; batches of the estimator's size by
    shuffled index; Adam as the package builds it (fused), the learning rate
    annealed to zero along a half cosine over the epochs; the estimator's
    loss. No input validation, no held-out scoring, no callbacks, no history.
    On a CUDA ``device`` the rows and the network live there, batches are
    drawn there, and the loop waits for the device before it returns.
    """
    torch.manual_seed(seed)
    X = np.asarray(X)
    n_features = X.shape[1]
    train, _ = validation_split(X.shape[0], estimator.validation_fraction, seed)
    center = X.mean(axis=0, dtype=np.float64)
    scale = float(np.sqrt(X.var(axis=0, dtype=np.float64).mean()))
    loss = "bce" if X.min() >= 0 and X.max() <= 1 else "mse"
    n_samples = len(train)
    batch_size = _batch_size(estimator, X.shape[0])
    X_scaled = (X.astype(np.float64) - center) / scale
    network = estimator._build_module(n_features, Scaling(center, scale), loss).train()
    # The PCA of every row, held-out ones included, as the package's start.
    components = PCA(estimator.n_components, random_state=seed).fit(X_scaled).components_
    start_as_pca(network, components)
    network.to(device)
    X_scaled = torch.as_tensor(X_scaled[train], dtype=torch.float32, device=device)
    learning_rate = estimator.learning_rate_init
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate, fused=True)
    for epoch in range(epochs):
        order = torch.randperm(n_samples, device=device)
        for start in range(0, n_samples, batch_size):
            output = network(X_scaled[order[start : start + batch_size]])
            batch_loss = reconstruction_error(output.reconstruction, output.target, loss)
            batch_loss = batch_loss.mean() / n_features
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
        for group in optimizer.param_groups:
            group["lr"] = 0.5 * learning_rate * (1.0 + math.cos(math.pi * (epoch + 1) / epochs))
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
    return network


def bench_fit_overhead(
    X, *, data, epochs, repeats, hidden_layer_sizes=(256, 128), n_components=32, device="cpu"
):
    """Median fit seconds of a default fit and of the hand-written loop, both on ``device``."""
    # The default init="pca": the package fits its PCA start, trains on 90%
    # of the rows, scores the other 10% after every epoch, keeps the best
    # state and decides against PCA; the loop does the same training without
    # that bookkeeping. An int max_iter (epochs, a validation each) so that
    # both train the same steps; n_iter_no_change=epochs, so that early
    # stopping cannot cut the fit short.
    estimator = AutoencoderTransformer(
        n_components,
        hidden_layer_sizes=hidden_layer_sizes,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        device=device,
        random_state=0,
    )

    def package():
        fitted = clone(estimator).fit(X)
        assert fitted.n_iter_ == epochs, (fitted.n_iter_, epochs)
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize(device)

    def reference():
        hand_written_fit(X, estimator, epochs, device=device)

    # The first fit in a process pays for lazy imports and allocator warm-up.
    warm_up = X[:200]
    clone(estimator).set_params(max_iter=1, n_iter_no_change=1).fit(warm_up)
    hand_written_fit(warm_up, estimator, epochs=1, device=device)
    # Interleave the two so that a change in the machine's load hits both.
    package_seconds, reference_seconds = [], []
    for _ in range(repeats):
        package_seconds.append(_median_seconds(package, 1))
        reference_seconds.append(_median_seconds(reference, 1))
    package_median = statistics.median(package_seconds)
    reference_median = statistics.median(reference_seconds)
    return {
        "benchmark": "fit vs hand-written torch loop",
        "device": torch.cuda.get_device_name(device) if device != "cpu" else "cpu",
        "data": data,
        "network": f"{X.shape[1]}-{'-'.join(map(str, hidden_layer_sizes))}-{n_components}",
        "rows": X.shape[0],
        "batch_size": _batch_size(estimator, X.shape[0]),
        "epochs": epochs,
        "package_seconds": package_median,
        "torch_loop_seconds": reference_median,
        "ratio": package_median / reference_median,
    }


def bench_fit_on_cuda(X, *, quick):
    """The MNIST fit against the loop on a CUDA device, or a row saying there is none."""
    if not torch.cuda.is_available():
        return {"benchmark": "fit vs hand-written torch loop", "device": "no CUDA device"}
    # 100 epochs: as many steps as a default fit on MNIST-10k, its budget.
    return bench_fit_overhead(
        X, data="MNIST", epochs=2 if quick else 100, repeats=1 if quick else 3, device="cuda"
    )


def bench_fit_on_a_busy_machine(X, *, n_components=8):
    """Seconds of a default fit with every core idle, then with one kept busy by another process.

    Torch runs on its default threads (one per core), as a user's fit does: the
    library must not collapse when another process takes one of the cores.
    """
    estimator = AutoencoderTransformer(n_components, random_state=0)
    n_cores = len(os.sched_getaffinity(0))
    previous = torch.get_num_threads()
    torch.set_num_threads(n_cores)
    try:
        idle_seconds = _median_seconds(lambda: clone(estimator).fit(X), 1)
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            # Let the busy process show up in the cores' counters.
            time.sleep(1.0)
            busy_seconds = _median_seconds(lambda: clone(estimator).fit(X), 1)
        finally:
            busy.kill()
            busy.wait()
    finally:
        torch.set_num_threads(previous)
    return {
        "benchmark": "default fit with one core busy vs idle",
        "rows": X.shape[0],
        "torch_threads": n_cores,
        "idle_seconds": idle_seconds,
        "busy_seconds": busy_seconds,
        "ratio": busy_seconds / idle_seconds,
    }


def bench_transform_throughput(X_fit, X, *, repeats, n_components=32):
    """Rows per second of the autoencoder's ``transform`` and of ``PCA.transform``."""
    autoencoder = AutoencoderTransformer(
        n_components, max_iter=1, device="cpu", random_state=0
    ).fit(X_fit)
    pca = PCA(n_components, random_state=0).fit(X_fit)
    autoencoder_seconds = _median_seconds(lambda: autoencoder.transform(X), repeats)
    pca_seconds = _median_seconds(lambda: pca.transform(X), repeats)
    return {
        "benchmark": "transform throughput vs PCA.transform",
        "rows": X.shape[0],
        "autoencoder_rows_per_s": X.shape[0] / autoencoder_seconds,
        "pca_rows_per_s": X.shape[0] / pca_seconds,
        "ratio": pca_seconds / autoencoder_seconds,
    }


def bench_one_row_calls(X_fit, X, *, repeats, n_components=32, calls=200):
    """Milliseconds of ``transform`` and ``score_samples`` on one float64 row, against PCA's.

    A model that scores events as they come sees one row per call: the fixed
    cost of a call, not the rows per second, is what it pays.
    """
    X_fit = np.asarray(X_fit, dtype=np.float64)
    rows = np.asarray(X[:calls], dtype=np.float64)
    autoencoder = AutoencoderTransformer(
        n_components, max_iter=1, device="cpu", random_state=0
    ).fit(X_fit)
    pca = PCA(n_components, random_state=0).fit(X_fit)

    def milliseconds(method):
        def one_row_at_a_time():
            for index in range(len(rows)):
                method(rows[index : index + 1])

        return 1e3 * _median_seconds(one_row_at_a_time, repeats) / len(rows)

    widths = (X_fit.shape[1], *autoencoder.hidden_layer_sizes, n_components)
    result = {
        "benchmark": "one float64 row per call vs PCA",
        "network": "-".join(map(str, widths)),
        "calls": len(rows),
    }
    for name in ("transform", "score_samples"):
        result[f"{name}_ms"] = milliseconds(getattr(autoencoder, name))
        result[f"pca_{name}_ms"] = milliseconds(getattr(pca, name))
    result["ratio"] = result["score_samples_ms"] / result["pca_score_samples_ms"]
    return result


def _import_package():
    import sk_autoencoder  # noqa: F401


def bench_grid_search_speedup(X, y, *, max_iter, n_components=(2, 8, 16, 32)):
    """Seconds of a grid search over ``n_components`` with one and with two jobs."""
    pipeline = make_pipeline(
        AutoencoderTransformer(max_iter=max_iter, device="cpu", random_state=0),
        LogisticRegression(max_iter=500),
    )
    grid = {"autoencodertransformer__n_components": list(n_components)}
    # joblib keeps its worker processes between calls; start them (and their
    # import of torch, about two seconds each) before timing, as any session
    # running more than one search would.
    Parallel(n_jobs=2)(delayed(_import_package)() for _ in range(2))
    seconds = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(pipeline, grid, cv=3, n_jobs=n_jobs)
        seconds[n_jobs] = _median_seconds(lambda search=search: search.fit(X, y), 1)
    return {
        "benchmark": "GridSearchCV over n_components, n_jobs=2 vs n_jobs=1",
        "fits": 3 * len(n_components),
        "n_jobs_1_seconds": seconds[1],
        "n_jobs_2_seconds": seconds[2],
        "speedup": seconds[1] / seconds[2],
    }


def _anonymous_rss_mib():
    """Private (anonymous) resident memory of this process, in MiB.

    Pages of a memory-mapped file count in the resident set once touched, but
    they are page cache the kernel can drop at any time; anonymous memory is
    what the process really allocated.
    """
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^RssAnon:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


def _peak_anonymous_rss_during(function, interval=0.002):
    """Call ``function``; return its result and the peak anonymous RSS (MiB) meanwhile."""
    peak = _anonymous_rss_mib()
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _anonymous_rss_mib())
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = function()
    finally:
        done.set()
        sampler.join()
    return result, max(peak, _anonymous_rss_mib())


def bench_memmap_transform_memory(X_fit, *, n_rows, n_components=32):
    """Peak private memory of ``transform`` over a memory-mapped array of ``n_rows``.

    The array (``n_rows`` x 784 float32, written in chunks to a temporary file)
    never fits in a batch; if ``transform`` copied it, the peak would grow with
    ``n_rows``. The output itself (``n_rows`` x ``n_components``) is counted.
    """
    autoencoder = AutoencoderTransformer(
        n_components, max_iter=1, device="cpu", random_state=0
    ).fit(X_fit)
    n_features = X_fit.shape[1]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "rows.float32"
        X_large = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, n_features))
        for start in range(0, n_rows, X_fit.shape[0]):
            stop = min(start + X_fit.shape[0], n_rows)
            X_large[start:stop] = X_fit[: stop - start]
        X_large.flush()
        del X_large
        X_large = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, n_features))
        gc.collect()
        baseline = _anonymous_rss_mib()
        codes, peak = _peak_anonymous_rss_during(partial(autoencoder.transform, X_large))
        del X_large
    return {
        "benchmark": "transform of a memory-mapped array: peak private memory",
        "rows": n_rows,
        "array_mib": n_rows * n_features * 4 / 2**20,
        "output_mib": codes.nbytes / 2**20,
        "peak_increase_mib": peak - baseline,
    }


def bench_fit_memory(*, n_rows=200_000, n_features=100, n_components=8):
    """Peak private memory of a one-epoch default fit of a float64 array, above the array.

    What a fit needs beside its input: the one scaled float32 copy that
    training batches are sliced from, PCA's start on a scaled float64 copy,
    and the network. A fit on a few rows first loads every library, so that
    their code does not count.
    """
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n_rows, n_features)) * np.linspace(3.0, 0.1, n_features)
    estimator = AutoencoderTransformer(n_components, max_iter=1, device="cpu", random_state=0)
    clone(estimator).fit(X[:1000])
    gc.collect()
    baseline = _anonymous_rss_mib()
    _, peak = _peak_anonymous_rss_during(partial(estimator.fit, X))
    return {
        "benchmark": "one-epoch default fit of a float64 array: peak private memory",
        "rows": n_rows,
        "features": n_features,
        "array_mib": X.nbytes / 2**20,
        "peak_increase_mib": peak - baseline,
    }


def _print_table(results):
    rows = [[result["benchmark"], measurements_text(result)] for result in results]
    print(markdown_grid(["benchmark", "measurements"], rows, numeric=[False, False]))


def _steps(args, repeats, memmap_rows):
    """``{name: benchmark}``, in the order they run; each benchmark is a callable."""
    # Loaded once, and only when a selected benchmark needs it.
    mnist = cache(load_mnist10k)
    digits = cache(load_digits)
    return {
        "fit-mnist": lambda: bench_fit_overhead(
            mnist().X_train, data="MNIST", epochs=2 if args.quick else 5, repeats=repeats
        ),
        "fit-digits": lambda: bench_fit_overhead(
            digits().data,
            data="digits",
            epochs=20,
            repeats=repeats,
            hidden_layer_sizes=(32,),
            n_components=8,
        ),
        "fit-mnist-cuda": lambda: bench_fit_on_cuda(mnist().X_train, quick=args.quick),
        "busy-fit": lambda: bench_fit_on_a_busy_machine(mnist().X_train),
        "transform": lambda: bench_transform_throughput(
            mnist().X_train, mnist().X_test, repeats=repeats
        ),
        "one-row": lambda: bench_one_row_calls(
            mnist().X_train, mnist().X_test, repeats=repeats, calls=20 if args.quick else 200
        ),
        "grid-search": lambda: bench_grid_search_speedup(
            digits().data, digits().target, max_iter=3 if args.quick else 50
        ),
        "memmap-memory": lambda: bench_memmap_transform_memory(mnist().X_train, n_rows=memmap_rows),
        "fit-memory": bench_fit_memory,
    }


STEP_NAMES = (
    "fit-mnist",
    "fit-digits",
    "fit-mnist-cuda",
    "busy-fit",
    "transform",
    "one-row",
    "grid-search",
    "memmap-memory",
    "fit-memory",
)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.perf", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--memmap-rows", type=int, default=None, help="rows of the memmap")
    parser.add_argument(
        "--only",
        action="append",
        choices=STEP_NAMES,
        metavar="NAME",
        help=f"run only this benchmark (repeatable), one of: {', '.join(STEP_NAMES)}",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmark_results"))
    args = parser.parse_args(argv)
    # One thread by default: on a busy 2-core machine two threads can be ten
    # times slower than one, which would measure the machine, not the code.
    torch.set_num_threads(args.threads)
    repeats = 1 if args.quick else 5
    memmap_rows = args.memmap_rows or (100_000 if args.quick else 1_000_000)
    steps = _steps(args, repeats, memmap_rows)
    selected = [name for name in STEP_NAMES if not args.only or name in args.only]
    if not args.only and not torch.cuda.is_available():
        # Asked for by name, it says there is no device; left out of a full run.
        selected.remove("fit-mnist-cuda")
    results = []
    for name in tqdm(selected, desc="perf", unit="benchmark", file=sys.stderr):
        tqdm.write(f"running: {name}", file=sys.stderr)
        results.append(steps[name]())
    _print_table(results)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = {
        "torch_threads": args.threads,
        **machine_settings(),
        "torch": torch.__version__,
        "quick": args.quick,
        "only": selected if args.only else None,
    }
    path = args.out / "perf.json"
    path.write_text(json.dumps({"settings": settings, "results": results}, indent=2))
    print(f"\nWrote {path}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
