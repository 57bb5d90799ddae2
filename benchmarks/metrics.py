"""Quality scores, timing and memory measurements shared by every benchmark."""

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import trustworthiness
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

PROC_STATUS = Path("/proc/self/status")
PROC_CLEAR_REFS = Path("/proc/self/clear_refs")


def squared_error_per_sample(X, X_reconstructed) -> float:
    """Squared error summed over features, averaged over rows.

    The figure Hinton & Salakhutdinov (2006) report for MNIST, and the one in the
    project's reference table.
    """
    residual = np.asarray(X, dtype=np.float64) - np.asarray(X_reconstructed, np.float64)
    return float(np.mean(np.sum(residual**2, axis=1)))


def reconstruction_r2(X, X_reconstructed) -> float:
    """Fraction of the held-out variance that the reconstruction explains.

    ``r2_score(X, X_reconstructed, multioutput="variance_weighted")``, that is
    ``1 - SSE / SST`` with SST summed over all features around the *test* set's own
    mean. For PCA this is close to ``explained_variance_ratio_.sum()``; features that
    are constant in the test set (MNIST's border pixels) get no weight.
    """
    return float(r2_score(X, X_reconstructed, multioutput="variance_weighted"))


def logistic_regression_accuracy(codes_train, y_train, codes_test, y_test) -> float:
    """Test accuracy of a logistic regression fitted on standardized training codes.

    Standardizing puts codes of any scale (a neural code, Isomap coordinates) on an
    equal footing for the fixed default regularization.
    """
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return float(classifier.fit(codes_train, y_train).score(codes_test, y_test))


def knn_accuracy(codes_train, y_train, codes_test, y_test, n_neighbors=5) -> float:
    """Test accuracy of a k-nearest-neighbours classifier on the raw codes.

    Not standardized: the point is whether the code's own geometry keeps classes
    together.
    """
    classifier = KNeighborsClassifier(n_neighbors=n_neighbors)
    return float(classifier.fit(codes_train, y_train).score(codes_test, y_test))


def trustworthiness_score(X, codes, n_neighbors=5, max_samples=2000, random_state=0) -> float:
    """How well the code keeps the input's nearest neighbours (1 is perfect).

    ``sklearn.manifold.trustworthiness`` on at most ``max_samples`` rows drawn with
    ``random_state``: its cost is quadratic in the number of rows.
    """
    if len(X) > max_samples:
        rows = np.random.RandomState(random_state).choice(len(X), max_samples, False)
        X, codes = X[rows], codes[rows]
    return float(trustworthiness(X, codes, n_neighbors=n_neighbors))


@contextlib.contextmanager
def limited_threads(n_threads: int = 1):
    """Run torch and the BLAS and OpenMP pools on at most ``n_threads`` threads.

    torch's default, one OpenMP thread per core, collapses when another process
    keeps a core busy: its threads wait for each other at every barrier (on a
    2-core machine with one busy core, 90 GFLOP/s on one thread against 6 on two).
    One thread per process cannot collapse.
    PCA's BLAS gets the same budget, so the comparison is of the methods. torch's
    previous setting is restored on exit, as threadpoolctl restores the pools'.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        with threadpool_limits(limits=n_threads):
            yield
    finally:
        torch.set_num_threads(previous)


@functools.cache
def warm_up_torch():
    """Pay torch's one-off start-up cost once, before any fit is timed.

    About 1 s in a new process, for its first backward pass and optimizer step.
    Without it the first neural fit of each process, however small, would look like
    the slowest of the run.
    """
    import torch

    layer = torch.nn.Linear(4, 4)
    optimizer = torch.optim.Adam(layer.parameters())
    layer(torch.zeros(2, 4)).square().mean().backward()
    optimizer.step()


def median_seconds(func: Callable, repeats: int):
    """Call ``func`` ``repeats`` times; return the median wall time and the last result.

    The median resists one-off disturbances (another process, a first-call warm-up).
    """
    durations = []
    result = None
    for _ in range(repeats):
        result = None  # free the previous result before the next call allocates
        start = time.perf_counter()
        result = func()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def _read_status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", PROC_STATUS.read_text(), re.MULTILINE)
    return int(match.group(1))


def _release_free_memory():
    """Return freed heap memory to the system, so it shows in the next peak.

    glibc keeps freed blocks (up to 32 MiB each, past its adaptive mmap threshold)
    resident for reuse: a second identical fit would then raise the RSS by ~0.
    """
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    malloc_trim = getattr(ctypes.CDLL(libc_name), "malloc_trim", None)
    if malloc_trim is not None:  # glibc only
        malloc_trim(0)


def peak_memory_increase_mb(func: Callable):
    """Call ``func``; return the peak increase of resident memory (MiB) and its result.

    Python-level tracers (``tracemalloc``) do not see memory that torch, BLAS or
    OpenMP allocate in C, so this measures the process's resident set size instead.
    Linux keeps its peak (``VmHWM``) exactly, without sampling; writing ``5`` to
    ``/proc/self/clear_refs`` resets that peak to the current size (Linux >= 4.0),
    so ``VmHWM`` after the call minus ``VmRSS`` before it is the call's own peak.
    ``getrusage``'s ``ru_maxrss`` cannot be reset and would read 0 for any call
    smaller than an earlier one. Freed memory is first handed back to the system
    (``malloc_trim``); what other allocators keep for reuse (Python's small
    object pools) is reused without raising the RSS, so the figure is a lower bound
    of what a fresh process would need. Returns ``None`` for the memory where the
    peak cannot be reset (not Linux, or a restricted ``/proc``).
    """
    _release_free_memory()
    try:
        PROC_CLEAR_REFS.write_text("5")
        rss_before = _read_status_kib("VmRSS")
    except (OSError, AttributeError):
        return None, func()
    result = func()
    peak = _read_status_kib("VmHWM")
    return max(peak - rss_before, 0) / 1024, result
