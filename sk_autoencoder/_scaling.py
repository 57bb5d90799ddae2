"""Statistics of the internal scaling that lets the networks train on raw data."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

from sk_autoencoder._batching import chunk_rows

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def fit_scaling(X, processes=None):
    """Per-feature centre and one global scale for the network's input.

    Centring is per feature, as in PCA. Scaling divides every feature by the
    same number, the root mean variance, so the training loss stays
    proportional to the squared error in the input's own units, which is what
    PCA minimises. Per-feature standardisation would instead give a pixel that
    is lit in one image out of thousands a variance-normalised value in the
    hundreds and make it dominate the loss. Data whose columns differ in scale
    by orders of magnitude keep their relative weights, as they do in PCA;
    standardise them first (``StandardScaler``) to weight every column alike.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data.
    processes : SingleProcess or ProcessGroup, default=None
        Processes training one model, each on its rows: the statistics are
        those of all their rows. None: this process's ``X`` alone.

    Returns
    -------
    center : ndarray of shape (n_features,), dtype float64
        Per-feature mean.
    scale : float
        Root mean per-feature variance, 1.0 for constant data.
    """
    n_samples = X.shape[0]
    if sp.issparse(X):
        center, variances = mean_variance_axis(X.astype(np.float64), axis=0)
        mean_variance = float(variances.mean())
    else:
        center, mean_variance = _chunked_center_and_mean_variance(X)
    if processes is not None and processes.world_size > 1:
        center, mean_variance = _pooled(processes, n_samples, center, mean_variance)
    scale = float(np.sqrt(mean_variance))
    largest = max(scale, float(np.abs(center).max(initial=0.0)))
    if not largest <= _FLOAT32_MAX:
        raise ValueError(
            "X holds values too large for the network, which computes in float32 "
            f"(largest {_FLOAT32_MAX:.3g}): its spread or mean is {largest:.3g}. "
            "Divide X by a constant first."
        )
    if scale <= np.finfo(np.float32).tiny:
        scale = 1.0
    return center, scale


def _pooled(processes, n_samples, center, mean_variance):
    """Mean and mean variance of all processes' rows, from each one's (Chan et al.'s update)."""
    n_total = float(processes.sum(n_samples))
    pooled_center = processes.sum(center * n_samples) / n_total
    squared_deviation = mean_variance * n_samples * len(center)
    # Each process's squared deviations from its own mean, moved to the pooled one.
    squared_deviation += n_samples * float(np.sum((center - pooled_center) ** 2))
    return pooled_center, float(processes.sum(squared_deviation)) / (n_total * len(center))


def _chunked_center_and_mean_variance(X):
    """Per-feature mean and mean per-feature variance, a chunk of rows at a time.

    Chunks keep memory bounded for memory-mapped arrays larger than RAM. The
    deviations stay in X's dtype: the scale needs a few significant digits,
    not float64's sixteen.
    """
    n_samples, n_features = X.shape
    n_rows = chunk_rows(X)
    total = np.zeros(n_features, dtype=np.float64)
    for start in range(0, n_samples, n_rows):
        total += X[start : start + n_rows].sum(axis=0, dtype=np.float64)
    center = total / n_samples
    squared_deviation = 0.0
    for start in range(0, n_samples, n_rows):
        with np.errstate(over="ignore"):
            deviations = (X[start : start + n_rows] - center.astype(X.dtype)).ravel()
            chunk_squares = float(np.dot(deviations, deviations))
        if not np.isfinite(chunk_squares):
            # Squares of float32 beyond 1.8e19 overflow float32, not float64.
            deviations = (X[start : start + n_rows].astype(np.float64) - center).ravel()
            with np.errstate(over="ignore"):
                chunk_squares = float(np.dot(deviations, deviations))
        squared_deviation += chunk_squares
    return center, squared_deviation / (n_samples * n_features)


def lies_in_unit_interval(X, processes=None):
    """Whether every entry of ``X`` lies in [0, 1] (implicit sparse zeros do), on every process."""
    inside = _lies_in_unit_interval(X)
    return inside if processes is None else processes.all(inside)


def _lies_in_unit_interval(X):
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return True
    if sp.issparse(X):
        return bool(values.min() >= 0.0 and values.max() <= 1.0)
    low, high = np.inf, -np.inf
    n_rows = chunk_rows(X)
    for start in range(0, X.shape[0], n_rows):
        chunk = X[start : start + n_rows]
        low, high = min(low, chunk.min()), max(high, chunk.max())
    return bool(low >= 0.0 and high <= 1.0)
