"""The PCA floor: start as PCA, validate on held-out rows, fall back to PCA.

An autoencoder whose network starts as PCA (its fixed affine paths carry
PCA's components and its networks' last layers start at zero) and whose
training keeps the best validated state from epoch 0 on can only end where
the held-out rows say it does better than PCA. The pieces here are the data
side of that promise: which rows are held out, PCA's statistics (from
scikit-learn's ``PCA``, or ``IncrementalPCA`` when streaming), and the test
that decides whether the network's gain on the held-out rows is real.
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.extmath import svd_flip

from sk_autoencoder._batching import chunk_rows, is_memory_mapped
from sk_autoencoder._distributed import SingleProcess
from sk_autoencoder._pca_start import set_affine_paths, start_as_pca

# How many standard errors of the per-row gain the network must beat PCA by
# on the held-out rows to be kept: a gain within the rows' noise does not
# carry over to new rows. One standard error: on the tabular benchmark,
# stricter thresholds only sent real gains back to PCA (the held-out rows of
# a small table are few), while the rare network kept but no better than PCA
# on new rows passed any threshold.
GAIN_STANDARD_ERRORS = 1.0


def validation_split(n_samples, validation_fraction, seed):
    """Training and held-out row positions, or None when there are too few rows to hold out.

    At least one row is held out and one kept for training.
    """
    if n_samples < 2:
        return None
    n_valid = min(max(int(round(validation_fraction * n_samples)), 1), n_samples - 1)
    order = np.random.RandomState(seed).permutation(n_samples)
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


# Held-out rows scored after every round at the most: enough to choose a
# state and decide against PCA, few enough that scoring costs a few percent
# of a round of training on large data.
MAX_SCORED_ROWS = 2000


def scored_rows(held_out, seed):
    """The held-out positions scored in training, and which of them form the first half.

    At most :data:`MAX_SCORED_ROWS` of ``held_out`` (sorted), drawn with
    ``seed``; the halves split them at random, so that each half's best round
    can be judged on the other's rows.
    """
    random_state = np.random.RandomState(seed + 1)
    if len(held_out) > MAX_SCORED_ROWS:
        held_out = np.sort(random_state.choice(held_out, MAX_SCORED_ROWS, replace=False))
    halves = np.zeros(len(held_out), dtype=bool)
    halves[random_state.permutation(len(held_out))[: len(held_out) // 2]] = True
    return held_out, halves


def beats_baseline(scores, baseline_scores, processes=None):
    """Whether per-row ``scores`` beat ``baseline_scores`` by more than their noise.

    A one-sided paired test: the mean gain must be positive and at least
    :data:`GAIN_STANDARD_ERRORS` standard errors.

    Parameters
    ----------
    scores, baseline_scores : ndarray of shape (n_rows,)
        Greater is better, row for row on the same held-out rows.
    processes : SingleProcess or ProcessGroup, default=None
        Processes that train one model, each with its own held-out rows: the
        test runs over all of them, so each takes the same decision.
    """
    processes = processes or SingleProcess()
    # Scores of float32 data near its largest values can overflow to -inf:
    # an undefined gain is no gain.
    with np.errstate(invalid="ignore", over="ignore"):
        gain = np.asarray(scores, dtype=np.float64) - baseline_scores
        n_rows = float(processes.sum(len(gain)))
        mean_gain = float(processes.sum(np.sum(gain))) / n_rows
    if not (np.isfinite(mean_gain) and mean_gain > 0):
        return False
    if n_rows < 2:
        return True
    variance = float(processes.sum(np.sum((gain - mean_gain) ** 2))) / (n_rows - 1)
    return mean_gain > GAIN_STANDARD_ERRORS * math.sqrt(variance / n_rows)


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


def _scaled(X, center, scale):
    """Rows of ``X`` in the network's units, in float64."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    return (X.astype(np.float64) - center) / scale


def pca_statistics(X, n_components, seed, center, scale, processes):
    """:class:`PCAStatistics` of the scaled rows of ``X``, or of every process's rows.

    One process fits scikit-learn's PCA (:func:`fit_pca`); processes that
    train one model together each hold a shard of the rows, and get the
    exact PCA of all of them (:func:`_pooled_pca_statistics`).
    """
    if processes.world_size == 1:
        return PCAStatistics.from_pca(fit_pca(X, n_components, seed, center, scale), n_components)
    return _pooled_pca_statistics(X, n_components, center, scale, processes)


def fit_pca(X, n_components, seed, center, scale):
    """scikit-learn's PCA of ``X`` in the network's units, with up to ``n_components`` components.

    PCA runs on the centred rows divided by ``scale``, in float64: its
    components are the raw data's, and no variance overflows whatever the
    data's magnitude. A sparse or memory-mapped ``X`` gets an
    ``IncrementalPCA`` fed a chunk of rows at a time instead, so that memory
    stays bounded by a chunk.
    """
    n_samples, n_features = X.shape
    n_pca = min(n_components, n_samples, n_features)
    if not (sp.issparse(X) or is_memory_mapped(X)):
        return PCA(n_components=n_pca, random_state=seed).fit(_scaled(X, center, scale))
    pca = IncrementalPCA(n_components=n_pca)
    _partial_fit_in_chunks(pca, X, center, scale)
    return pca


def _partial_fit_in_chunks(pca, X, center, scale):
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
        pca.partial_fit(_scaled(X[rows], center, scale))


def _triangular_factor(X, center, scale):
    """R of a QR decomposition of the scaled rows, padded to (n_features, n_features).

    ``R.T @ R`` equals the scaled rows' ``X.T @ X``; rows are read a bounded
    chunk at a time and folded into R as they come.
    """
    n_features = X.shape[1]
    factor = np.zeros((0, n_features))
    n_rows = max(n_features, chunk_rows(X, values_per_row=2 * n_features))
    for start in range(0, X.shape[0], n_rows):
        rows = _scaled(X[start : start + n_rows], center, scale)
        factor = np.linalg.qr(np.vstack([factor, rows]), mode="r")
    return np.vstack([factor, np.zeros((n_features - factor.shape[0], n_features))])


def _pooled_pca_statistics(X, n_components, center, scale, processes):
    """PCA of every process's scaled rows, each process holding its own (centred on ``center``).

    A tall-and-skinny QR: the stacked R factors of the processes' rows have
    the singular values and right singular vectors of all the rows together,
    so the PCA is as exact as scikit-learn's full SVD while only an
    (n_features, n_features) factor per process travels. Signs follow
    scikit-learn's PCA, and the first process's result is sent to the others
    so that every process starts from the same bits.
    """
    n_total = int(processes.sum(X.shape[0]))
    n_features = X.shape[1]
    factors = np.vstack(processes.gather(_triangular_factor(X, center, scale)))
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


def update_incremental_pca(state, X, n_components, center, scale):
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
    center, scale
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
        _partial_fit_in_chunks(pca, X, center, scale)
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


class PCAStartMixin:
    """The ``init`` parameter of a deterministic autoencoder: "pca" makes PCA its floor.

    Mixed into an estimator built on :class:`~sk_autoencoder._base.BaseAutoencoder`,
    whose encoder and decoder carry fixed affine paths when ``init="pca"``.
    """

    _parameter_constraints: dict = {"init": [StrOptions({"pca", "random"})]}

    def _starts_as_pca(self):
        return self.init == "pca"

    def _start_from_pca(self, statistics, first):
        module = self.net_.module_
        components, offset = statistics.components, statistics.offset
        if first:
            start_as_pca(module, components)
        # PCA's code of a row centred on the network's centre is
        # components @ (x_scaled - offset), decoded back as offset + ...
        set_affine_paths(module, components, components.T, -components @ offset, offset)
