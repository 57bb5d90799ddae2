"""Reduced-rank regression in the network's units: the linear floor of paired targets.

The best linear map of rank ``n_components`` from inputs to targets, in the
least-squares sense, is the least-squares fit of the targets on the inputs
followed by the projection of its fitted values onto their top
``n_components`` principal directions (Izenman, 1975). Split into its two
factors it is a linear encoder (inputs to a code of ``n_components`` values)
and a linear decoder (code to targets): what a paired network starts as, as
an autoencoder starts as PCA (:mod:`sk_autoencoder._pca_start`).
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils.extmath import svd_flip


class ReducedRankMap(NamedTuple):
    """The two factors of a reduced-rank linear map, in the network's units.

    ``decoder_weight @ encoder_weight`` is the map; rows of zeros pad the
    encoder (and columns the decoder) past the map's rank.
    """

    encoder_weight: np.ndarray  # (n_components, n_features)
    decoder_weight: np.ndarray  # (n_outputs, n_components)
    singular_values: np.ndarray  # of the fitted values, (rank,)


def reduced_rank_map(X_scaled, target_scaled, n_components):
    """The least-squares linear map of rank ``n_components`` from centred rows to centred targets.

    The least-squares fit is the minimum-norm one (as ``numpy.linalg.lstsq``
    and scikit-learn's ``LinearRegression`` give), so that inputs of lower
    rank than their width (constant pixels) get a unique map. Computed from
    the singular value decomposition of the inputs ``U S V^T``: the fitted
    values are ``U (U^T T)``, so their principal directions are the right
    singular vectors of the small matrix ``U^T T``, with signs as
    scikit-learn's PCA chooses them.

    Parameters
    ----------
    X_scaled : ndarray of shape (n_samples, n_features)
        Inputs, centred (as the network's scaling centres them).
    target_scaled : ndarray of shape (n_samples, n_outputs)
        Targets, centred.
    n_components : int
        Rank of the map: the code's width.

    Returns
    -------
    ReducedRankMap

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder._reduced_rank import reduced_rank_map
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    >>> linear_map = reduced_rank_map(X, 3 * X, n_components=1)
    >>> linear_map.decoder_weight @ linear_map.encoder_weight
    array([[0., 0.],
           [0., 3.]])
    """
    n_features, n_outputs = X_scaled.shape[1], target_scaled.shape[1]
    U, s, Vt = np.linalg.svd(X_scaled, full_matrices=False)
    # numpy.linalg.lstsq's default cut-off: smaller singular values are zero.
    cutoff = np.finfo(np.float64).eps * max(X_scaled.shape) * (s[0] if s.size else 0.0)
    rank = int(np.sum(s > cutoff))
    U, s, Vt = U[:, :rank], s[:rank], Vt[:rank]
    projected = U.T @ target_scaled
    _, fitted_singular_values, directions = np.linalg.svd(projected, full_matrices=False)
    _, directions = svd_flip(None, directions, u_based_decision=False)
    n_kept = min(n_components, directions.shape[0])
    directions = directions[:n_kept]
    # The minimum-norm least-squares coefficients, (n_features, n_outputs).
    coefficients = Vt.T @ (projected / s[:, None])
    encoder_weight = np.zeros((n_components, n_features))
    decoder_weight = np.zeros((n_outputs, n_components))
    encoder_weight[:n_kept] = directions @ coefficients.T
    decoder_weight[:, :n_kept] = directions.T
    return ReducedRankMap(encoder_weight, decoder_weight, fitted_singular_values[:n_kept])


def reduced_rank_statistics(X, target, n_components, scaling, target_scaling):
    """:func:`reduced_rank_map` of the rows of ``X`` and ``target`` in the network's units.

    Both sides are scaled by their fitted
    :class:`~sk_autoencoder._scaling.Scaling` in float64: the map is the
    one from raw inputs to raw targets (least squares with an intercept is
    unchanged by shifting and rescaling either side by one number), written
    in the units the network computes in.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    target : ndarray of shape (n_samples, n_outputs)
    n_components : int
    scaling, target_scaling : Scaling
        Fitted on ``X`` and ``target``: they centre them.

    Returns
    -------
    ReducedRankMap
    """
    return reduced_rank_map(
        scaling.transform_rows(X, dtype=np.float64),
        target_scaling.transform_rows(target, dtype=np.float64),
        n_components,
    )
