"""PCA's statistics in the network's units: what a network needs to start as PCA.

scikit-learn's ``PCA`` for a fit, ``IncrementalPCA`` fed chunks for sparse,
memory-mapped or streamed rows, and an exact pooled PCA (a tall-and-skinny
QR) for processes that train one model on shards of the rows. Rows enter in
the network's units through the fitted :class:`~sk_autoencoder._scaling.Scaling`.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.utils import gen_batches
from sklearn.utils.extmath import svd_flip

from sk_autoencoder._batching import chunk_rows, is_memory_mapped
from sk_autoencoder._scaling import scaling_chunk_rows


class PCAStatistics:
    """What a network needs to start as PCA, in the network's scaled units.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        Orthonormal components, rows of zeros past PCA's rank.
    explained_variance : ndarray of shape (n_components,)
        Variance along each component (zero past the rank).
    likelihood_variance : float
        Mean variance along the discarded directions (probabilistic PCA's
        sigma^2).
    offset : ndarray of shape (n_features,)
        PCA's mean in scaled units: zero for a fit, where the network centres
        on the training data's mean too; a stream's incremental mean moves
        away from the first chunk's, on which the network stays centred.
    """

    def __init__(self, components, explained_variance, likelihood_variance, offset):
        self.components = components
        self.explained_variance = explained_variance
        self.likelihood_variance = likelihood_variance
        self.offset = offset

    @classmethod
    def from_pca(cls, pca, n_components):
        """From a PCA or IncrementalPCA fitted on scaled rows, padded to ``n_components``."""
        return cls.padded(
            pca.components_,
            pca.explained_variance_,
            float(pca.noise_variance_),
            pca.mean_,
            n_components,
        )

    @classmethod
    def padded(cls, components, explained_variance, likelihood_variance, offset, n_components):
        """From PCA's components and their variances, padded with zeros to ``n_components``."""
        n_pca, n_features = components.shape
        padded_components = np.zeros((n_components, n_features))
        padded_variance = np.zeros(n_components)
        padded_components[:n_pca] = components
        padded_variance[:n_pca] = explained_variance
        return cls(padded_components, padded_variance, likelihood_variance, offset)


# Widest data whose PCA start comes from a QR factor of the rows, folded a
# chunk at a time: an (n_features, n_features) factor and a chunk of rows are
# all it holds beside X. Wider data would make the factor itself large.
MAX_FACTORED_FEATURES = 1024
# Rows per feature from which the factor and its chunks (about 56 bytes per
# squared feature) hold less than one float64 copy of the rows (8 bytes per
# value).
MIN_FACTORED_ROWS_PER_FEATURE = 8
# Below this size of a float64 copy of the rows, the copy costs little memory
# and scikit-learn's PCA is several times faster than the folded factor (on
# the digits, 1.6 against 7.9 ms).
MIN_FACTORED_COPY_BYTES = 64 * 2**20
# Values of the rows folded into the QR factor at a time: 4 MiB of float64.
FACTOR_CHUNK_VALUES = 2**19


def pca_statistics(X, n_components, seed, scaling, processes):
    """:class:`PCAStatistics` of the scaled rows of ``X``, or of every process's rows.

    Processes that train one model together, and one process with a tall
    dense array (:func:`is_factored`), get the exact PCA of all the rows from
    a tall-and-skinny QR (:func:`_pooled_pca_statistics`), read a bounded
    chunk at a time: no copy of X is made. Other data get scikit-learn's PCA
    (:func:`fit_pca`).
    """
    if processes.world_size == 1 and not is_factored(X):
        return PCAStatistics.from_pca(fit_pca(X, n_components, seed, scaling), n_components)
    return _pooled_pca_statistics(X, n_components, scaling, processes)


def is_factored(X):
    """Whether one process computes the PCA start of ``X`` from a QR factor of its rows.

    For a dense in-memory array of at most :data:`MAX_FACTORED_FEATURES`
    columns and :data:`MIN_FACTORED_ROWS_PER_FEATURE` rows per column, whose
    float64 copy would take :data:`MIN_FACTORED_COPY_BYTES` or more: there the
    factor costs less memory than a scaled copy, and the copy would matter.
    Sparse and memory-mapped rows keep an ``IncrementalPCA``, whose memory a
    chunk bounds however wide they are.
    """
    n_samples, n_features = X.shape
    return (
        not (sp.issparse(X) or is_memory_mapped(X))
        and n_features <= MAX_FACTORED_FEATURES
        and n_samples >= MIN_FACTORED_ROWS_PER_FEATURE * n_features
        and 8 * n_samples * n_features >= MIN_FACTORED_COPY_BYTES
    )


def fit_pca(X, n_components, seed, scaling):
    """scikit-learn's PCA of ``X`` in the network's units, with up to ``n_components`` components.

    PCA runs on the rows in the network's units (``scaling``), in float64: its
    components are the raw data's, and no variance overflows whatever the
    data's magnitude. A sparse or memory-mapped ``X`` gets an
    ``IncrementalPCA`` fed a chunk of rows at a time instead, so that memory
    stays bounded by a chunk.
    """
    n_samples, n_features = X.shape
    n_pca = min(n_components, n_samples, n_features)
    if not (sp.issparse(X) or is_memory_mapped(X)):
        # Fitted in place on the one float64 copy scaled here: PCA's own copy
        # would double the memory a fit needs beside X.
        scaled = scaling.transform_rows(X, dtype=np.float64)
        return PCA(n_components=n_pca, random_state=seed, copy=False).fit(scaled)
    pca = IncrementalPCA(n_components=n_pca)
    _partial_fit_in_chunks(pca, X, scaling)
    return pca


def _partial_fit_in_chunks(pca, X, scaling):
    """``pca.partial_fit`` over the scaled rows of ``X``, a bounded chunk at a time.

    Chunks within scikit-learn's ``working_memory`` keep memory bounded
    however many rows ``X`` has (IncrementalPCA holds a few copies of a
    chunk); a last chunk too small for the components is merged into the one
    before.
    """
    n_samples, n_features = X.shape
    n_pca = pca.n_components
    n_rows = max(2 * n_pca, chunk_rows(X, values_per_row=4 * n_features))
    for rows in gen_batches(n_samples, n_rows, min_batch_size=n_pca):
        pca.partial_fit(scaling.transform_rows(X[rows], dtype=np.float64))


def _triangular_factor(X, scaling):
    """R of a QR decomposition of the scaled rows, padded to (n_features, n_features).

    ``R.T @ R`` equals the scaled rows' ``X.T @ X``; rows are read a bounded
    chunk at a time and folded into R as they come.
    """
    n_features = X.shape[1]
    factor = np.zeros((0, n_features))
    # A chunk is held about three times over (scaled, stacked under the
    # factor, and in the QR's workspace): a few MiB, and twice the factor's
    # rows at least, so that the QRs cost little more than one of all rows.
    n_rows = max(2 * n_features, min(scaling_chunk_rows(X), FACTOR_CHUNK_VALUES // n_features))
    for start in range(0, X.shape[0], n_rows):
        rows = scaling.transform_rows(X[start : start + n_rows], dtype=np.float64)
        factor = np.linalg.qr(np.vstack([factor, rows]), mode="r")
    return np.vstack([factor, np.zeros((n_features - factor.shape[0], n_features))])


def _pooled_pca_statistics(X, n_components, scaling, processes):
    """PCA of every process's scaled rows, each process holding its own (centred by ``scaling``).

    One process is a group of one. A tall-and-skinny QR: the stacked R
    factors of the processes' rows have
    the singular values and right singular vectors of all the rows together,
    so the PCA is as exact as scikit-learn's full SVD while only an
    (n_features, n_features) factor per process travels. Signs follow
    scikit-learn's PCA, and the first process's result is sent to the others
    so that every process starts from the same bits.
    """
    n_total = int(processes.sum(X.shape[0]))
    n_features = X.shape[1]
    factors = np.vstack(processes.gather(_triangular_factor(X, scaling)))
    _, singular_values, components = np.linalg.svd(factors, full_matrices=False)
    _, components = svd_flip(None, components, u_based_decision=False)
    components = processes.broadcast(components)
    variance = processes.broadcast(singular_values) ** 2 / max(n_total - 1, 1)
    n_pca = min(n_components, n_total, n_features)
    rank = min(n_total, n_features)
    likelihood_variance = float(variance[n_pca:rank].mean()) if n_pca < rank else 0.0
    offset = np.zeros(n_features)
    return PCAStatistics.padded(
        components[:n_pca], variance[:n_pca], likelihood_variance, offset, n_components
    )


def update_incremental_pca(state, X, n_components, scaling):
    """An ``IncrementalPCA`` of the chunks so far, ``X`` included, and its state.

    The state is the model's fitted attributes as plain data (arrays and
    numbers), so a streamed estimator saves and loads without pickle. A
    chunk with fewer rows than components cannot update it and is skipped.

    Parameters
    ----------
    state : dict or None
        :func:`update_incremental_pca`'s previous state; None before the first chunk.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    n_components : int
    scaling : Scaling
        The network's scaling; the PCA runs in its units.

    Returns
    -------
    pca : IncrementalPCA or None
        None while no chunk was large enough.
    state : dict or None
    """
    n_pca = min(n_components, X.shape[1])
    pca = IncrementalPCA(n_components=n_pca)
    for name, value in (state or {}).items():
        setattr(pca, name, value)
    if X.shape[0] >= n_pca:
        _partial_fit_in_chunks(pca, X, scaling)
    if not hasattr(pca, "components_"):
        return None, None
    fitted = {name: value for name, value in vars(pca).items() if name.endswith("_")}
    return pca, fitted


def aligned_signs(components, previous):
    """``components`` with each row's sign flipped to agree with ``previous``'s.

    An incremental PCA may flip a component's sign from one chunk to the
    next; the network, trained on the old codes, would see its code negated.
    """
    signs = np.where(np.sum(components * previous, axis=1) < 0, -1.0, 1.0)
    return components * signs[:, None]
