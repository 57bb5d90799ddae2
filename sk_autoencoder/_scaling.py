"""Statistics of the internal scaling that lets the networks train on raw data."""

import numpy as np
import scipy.sparse as sp


def fit_scaling(X):
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

    Returns
    -------
    center : ndarray of shape (n_features,), dtype float64
        Per-feature mean.
    scale : float
        Root mean per-feature variance, 1.0 for constant data.
    """
    if sp.issparse(X):
        center = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        mean_of_squares = np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64).ravel()
        mean_variance = np.clip(mean_of_squares - center**2, 0.0, None).mean()
    else:
        center, mean_variance = _chunked_center_and_mean_variance(X)
    scale = float(np.sqrt(mean_variance))
    if not np.isfinite(scale) or scale <= np.finfo(np.float32).tiny:
        scale = 1.0
    return center, scale


def _chunked_center_and_mean_variance(X, chunk_rows=8192):
    """Per-feature mean and mean per-feature variance, a chunk of rows at a time.

    Chunks keep memory bounded for memory-mapped arrays larger than RAM. The
    deviations stay in X's dtype: the scale needs a few significant digits,
    not float64's sixteen.
    """
    n_samples, n_features = X.shape
    total = np.zeros(n_features, dtype=np.float64)
    for start in range(0, n_samples, chunk_rows):
        total += X[start : start + chunk_rows].sum(axis=0, dtype=np.float64)
    center = total / n_samples
    squared_deviation = 0.0
    for start in range(0, n_samples, chunk_rows):
        deviations = (X[start : start + chunk_rows] - center.astype(X.dtype)).ravel()
        squared_deviation += float(np.dot(deviations, deviations))
    return center, squared_deviation / (n_samples * n_features)


def lies_in_unit_interval(X):
    """Whether every entry of ``X`` lies in [0, 1] (implicit sparse zeros do)."""
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return True
    if sp.issparse(X):
        return bool(values.min() >= 0.0 and values.max() <= 1.0)
    low, high = np.inf, -np.inf
    for start in range(0, X.shape[0], 8192):
        chunk = X[start : start + 8192]
        low, high = min(low, chunk.min()), max(high, chunk.max())
    return bool(low >= 0.0 and high <= 1.0)
