"""The internal scaling that lets the networks train on raw data: one object, fitted once.

:class:`Scaling` holds a per-feature centre and one global scale. It is
fitted on the training rows (:meth:`Scaling.fit`), handed as a unit to
everything that needs rows in the network's units (the PCA start, the
training batches, the held-out rows), applied to numpy rows by one chunked
function (:meth:`Scaling.transform_rows`) and to tensors as the network's
first and last step, and saved with the network's weights, whose buffers it
holds.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.sparsefuncs import mean_variance_axis
from torch import nn

from sk_autoencoder._batching import chunk_rows, dense_rows, rows_to_tensor

_FLOAT32_MAX = float(np.finfo(np.float32).max)

# Values scaled at a time (:meth:`Scaling.transform_rows`, the scaling's
# statistics, PCA's start): 16 MiB of float64 arithmetic, however large X is.
SCALING_CHUNK_VALUES = 2**21


def scaling_chunk_rows(X):
    """Rows of ``X`` to scale at a time: :data:`SCALING_CHUNK_VALUES` values at most."""
    return max(1, min(chunk_rows(X), SCALING_CHUNK_VALUES // max(1, X.shape[1])))


class Scaling(nn.Module):
    """Centre per feature, divide by one global scale: the network's units.

    A torch module, so that the network carries its scaling with it (to a
    device, into a saved file) as two float64 buffers; float64 users get
    float64 scaling.

    Parameters
    ----------
    center : array-like of shape (n_features,)
        Subtracted from every row.
    scale : float
        Divides every centred row.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder._scaling import Scaling
    >>> X = np.array([[1.0, 10.0], [3.0, 14.0]])
    >>> scaling = Scaling.fit(X)
    >>> scaling.transform_rows(X)
    array([[-0.6324555, -1.264911 ],
           [ 0.6324555,  1.264911 ]], dtype=float32)
    """

    def __init__(self, center, scale):
        super().__init__()
        self.register_buffer("center", torch.as_tensor(np.asarray(center, dtype=np.float64)))
        self.register_buffer("scale", torch.tensor(float(scale), dtype=torch.float64))

    @classmethod
    def fit(cls, X, processes=None):
        """The scaling of the rows of ``X`` (and of every process's, see :func:`fit_scaling`)."""
        return cls(*fit_scaling(X, processes))

    @property
    def center_array(self):
        """The centre as a float64 numpy array."""
        return self.center.detach().cpu().numpy()

    @property
    def scale_value(self):
        """The scale as a float."""
        return float(self.scale)

    def forward(self, X):
        """Rows in the user's units to the network's, in ``X``'s dtype."""
        return (X - self.center.to(X.dtype)) / self.scale.to(X.dtype)

    def inverse(self, X_scaled):
        """Rows in the network's units back to the user's."""
        return X_scaled * self.scale.to(X_scaled.dtype) + self.center.to(X_scaled.dtype)

    def transform_rows(self, X, dtype=np.float32):
        """``(X - center) / scale`` of a dense or sparse array, computed in float64, in ``dtype``.

        A chunk of rows at a time, into one array of the result's dtype: no
        full float64 copy of ``X`` is made on the way. Scaling before the
        cast to float32 keeps the digits that a large offset would take: a
        column of values near 1e6 that vary by 0.01 keeps its variation,
        which float32 values of the raw column would round away.
        """
        center, scale = self.center_array, self.scale_value
        scaled = np.empty(X.shape, dtype=dtype)
        n_rows = scaling_chunk_rows(X)
        buffer = None
        for start in range(0, X.shape[0], n_rows):
            chunk = dense_rows(X[start : start + n_rows])
            out = scaled[start : start + n_rows]
            if dtype != np.float64:
                if buffer is None or buffer.shape != chunk.shape:
                    buffer = np.empty(chunk.shape, dtype=np.float64)
                out = buffer
            np.subtract(chunk, center, out=out, dtype=np.float64)
            out /= scale
            if out is buffer:
                scaled[start : start + n_rows] = buffer
        return scaled

    def rows_tensor(self, X, device):
        """The scaled rows of ``X`` as one float32 tensor on ``device``."""
        return rows_to_tensor(self.transform_rows(X), device)


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
    n_rows = scaling_chunk_rows(X)
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
