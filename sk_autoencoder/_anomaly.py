"""Anomaly scores: where a row's code falls, and how far the row lies from what the network decodes.

Reconstruction error alone misses two kinds of anomaly. A flexible network
trained on contaminated rows learns to reconstruct the anomalies among them
(on ODDS's ``cover`` table the default autoencoder reconstructs its
anomalies better than its normal rows, on ``http`` about as well), yet encodes them far out in the
code space; and a row can lie on the learned surface where no training row
does. :class:`AnomalyScoresMixin` scores a row by its log-density under a
heavy-tailed model of two distances, fitted to the training rows:

- the code ``z`` follows a multivariate Cauchy law centred on the training
  codes' mean, with their covariance ``C`` as its shape: with ``M`` the
  squared Mahalanobis distance of ``z`` under ``C`` and ``m_M`` its median over
  the training rows, ``log p(z) = -(k + 1) / 2 * log(1 + M / m_M)`` plus a
  constant, for a code of ``k`` units;
- the reconstruction error's norm follows a half-Cauchy law whose median is
  the training rows' median: with ``e`` the squared error and ``m_e`` its
  median, ``log p = -log(1 + e / m_e)`` plus a constant.

The score is the sum, without the constants (0 at the most). As in
probabilistic PCA's log-likelihood, the code's distance counts beside the
residual, and a wider code, which says more about a row, counts more. The
medians make neither distance's units set the balance (a Gaussian residual
term divides by the network's small residual variance, and then the
residual alone decides), the Cauchy tails keep one distance's extreme values
from outweighing the other, and medians move little with the few anomalies
a training set holds, where means and variances follow them.
"""

import numpy as np
import scipy.linalg
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_is_fitted

from sk_autoencoder._batching import chunk_rows, dense_rows
from sk_autoencoder._scaling import scaling_chunk_rows

# Quantiles of each process's distances that processes training one model
# pool to estimate the medians of all their rows (every process sends as
# many, whatever its rows).
N_POOLED_QUANTILES = 1001
# Ridge added to the codes' covariance, relative to its mean variance: code
# units that never vary (constant data, units past PCA's rank) get a finite
# distance without moving the others.
COVARIANCE_RIDGE = 1e-6
# Least median of the squared reconstruction errors, relative to the data's
# total variance: where the network reconstructs its training rows exactly
# (a code as wide as the data), the residual test scores rounding noise as
# nothing instead of dividing by it.
MIN_ERROR_MEDIAN = 1e-12
# Floor of the training codes' median squared distance (whitened units, where
# the codes' own spread is about 1 a unit): training rows that all share one
# code (a single row, say) leave it at zero, and a new row's distance over it
# would overflow.
MIN_CODE_DISTANCE_MEDIAN = 1e-12


def code_distances(codes, mean, cholesky_factor):
    """Squared Mahalanobis distance of each code from the training codes, for every prefix.

    With the covariance's lower Cholesky factor ``L``, the whitened code
    ``L^-1 (z - mean)`` has in its first ``k`` entries the whitened first
    ``k`` units (``L`` is triangular): the cumulated squares give the
    distance of every prefix of the code at once, which an ordered code
    (``truncate``) needs.

    Returns
    -------
    ndarray of shape (n_samples, n_components)
        Column ``k - 1`` is the distance of the first ``k`` units.
    """
    whitened = scipy.linalg.solve_triangular(
        cholesky_factor,
        (np.asarray(codes, dtype=np.float64) - mean).T,
        lower=True,
        check_finite=False,
    )
    return np.cumsum(whitened.T**2, axis=1)


def pooled_median(values, processes):
    """The median of ``values`` over the rows of every process (exact for one process).

    Processes pool :data:`N_POOLED_QUANTILES` quantiles each, weighted by
    their number of rows.
    """
    if processes.world_size == 1:
        return np.median(values, axis=0)
    levels = np.linspace(0.0, 1.0, N_POOLED_QUANTILES)
    quantiles = np.stack(processes.gather(np.quantile(values, levels, axis=0)))
    counts = np.array(processes.gather(np.array([len(values)], dtype=np.float64))).ravel()
    weights = np.repeat(counts / N_POOLED_QUANTILES, N_POOLED_QUANTILES)
    pooled = quantiles.reshape(-1, *quantiles.shape[2:])
    order = np.argsort(pooled, axis=0)
    cumulated = np.cumsum(weights[order], axis=0)
    middle = np.argmax(cumulated >= cumulated[-1:] / 2, axis=0, keepdims=True)
    return np.take_along_axis(np.take_along_axis(pooled, order, axis=0), middle, axis=0)[0]


def cauchy_scores(code_distances, errors, code_median, error_median, n_components):
    """The log-density of the model in this module's docstring, without its constants."""
    code_term = 0.5 * (n_components + 1) * np.log1p(code_distances / code_median)
    return -(code_term + np.log1p(errors / error_median))


class AnomalyScoresMixin:
    """``score_samples`` as an anomaly score; ``score`` keeps the model's own measure.

    Mixed in front of an estimator built on
    :class:`~sk_autoencoder._base.BaseAutoencoder`: after each training call
    it measures the training rows' codes and reconstruction errors
    (:meth:`_fit_anomaly_statistics`), and :meth:`score_samples` scores new
    rows against them (see this module's docstring). :meth:`score` stays
    the mean of the base's per-row score, the negative reconstruction error
    or the ELBO, which a grid search over the code size can use.
    """

    def _after_training(self, call):
        super()._after_training(call)
        self._fit_anomaly_statistics(call)

    def _prefix_sizes_scored(self):
        """The code sizes whose statistics are kept: every prefix of an ordered code, else one."""
        return getattr(self, "ordered", False)

    def _full_code(self):
        """Let an ordered module encode every unit it learned; return its active count."""
        module = self.net_.module_
        if hasattr(module, "n_active"):
            n_active = int(module.n_active)
            module.n_active.fill_(module.n_components)
            return n_active
        return None

    def _codes_and_errors(self, X, every_prefix):
        """The codes and squared reconstruction errors of ``X``, a chunk of rows at a time.

        ``every_prefix``: a column of errors per prefix of an ordered code,
        decoded from its first ``k`` units; else one column, the whole code's.
        """
        n_samples = X.shape[0]
        codes, errors = [], []
        n_codes = self.net_.module_.n_components if every_prefix else self.n_components_
        # Chunks of the scaling's size, well inside ``working_memory``: this
        # pass runs inside fit, whose memory is one scaled copy of the rows.
        n_rows = max(
            1, min(chunk_rows(X, values_per_row=4 * (X.shape[1] + n_codes)), scaling_chunk_rows(X))
        )
        for rows in gen_batches(n_samples, n_rows):
            chunk = X[rows]
            code = self._map_rows("encode", chunk, n_codes)
            if every_prefix:
                error = self._map_rows("prefix_errors", chunk, n_codes)
            else:
                decoded = self._map_rows("decode", code, self.n_features_in_)
                deviation = dense_rows(chunk).astype(np.float64) - decoded
                error = np.einsum("ij,ij->i", deviation, deviation)[:, None]
            codes.append(code.astype(np.float64))
            errors.append(np.asarray(error, dtype=np.float64))
        n_columns = errors[0].shape[1] if errors else 1
        return (
            np.concatenate(codes) if codes else np.empty((0, n_codes)),
            np.concatenate(errors) if errors else np.empty((0, n_columns)),
        )

    def _fit_anomaly_statistics(self, call):
        """The training rows' code mean and covariance, and the medians of both distances.

        Of the rows of the last training ``call`` (every process's, where
        processes train one model together).
        """
        X, processes = call.X, call.processes
        every_prefix = self._prefix_sizes_scored()
        n_active = self._full_code() if every_prefix else None
        try:
            codes, errors = self._codes_and_errors(X, every_prefix)
        finally:
            if n_active is not None:
                self.net_.module_.n_active.fill_(n_active)
        n_rows = float(processes.sum(codes.shape[0]))
        mean = processes.sum(codes.sum(axis=0)) / n_rows
        deviations = codes - mean
        covariance = processes.sum(deviations.T @ deviations) / max(n_rows - 1.0, 1.0)
        covariance = np.atleast_2d(covariance)
        ridge = COVARIANCE_RIDGE * max(float(np.mean(np.diag(covariance))), 1.0)
        covariance = covariance + ridge * np.eye(len(covariance))
        if np.all(np.isfinite(covariance)):
            cholesky_factor = np.linalg.cholesky(covariance)
        else:
            # A network that diverged (codes not finite) scores every row as NaN,
            # as its transform gives NaN.
            cholesky_factor = np.full_like(covariance, np.nan)
        distances = code_distances(codes, mean, cholesky_factor)
        if not every_prefix:
            distances = distances[:, -1:]
        total_variance = self.n_features_in_ * self.scale_**2
        self.anomaly_statistics_ = {
            "code_mean": mean,
            "code_cholesky": cholesky_factor,
            "code_distance_median": np.maximum(
                pooled_median(distances, processes), MIN_CODE_DISTANCE_MEDIAN
            ),
            "error_median": np.maximum(
                pooled_median(errors, processes), MIN_ERROR_MEDIAN * total_variance
            ),
        }

    def score_samples(self, X):
        """Anomaly score of each row: its log-density where its code and its error fall.

        Greater is more typical, 0 at the most; a low score flags an anomaly.
        With ``M`` the squared Mahalanobis distance of the row's code from
        the training codes (their mean and covariance), ``e`` the row's
        squared reconstruction error and ``m_M``, ``m_e`` their medians over
        the training rows, the score is ``-(k + 1) / 2 * log(1 + M / m_M) -
        log(1 + e / m_e)`` for a code of ``k`` units: the log-density, up to
        a constant, of a multivariate Cauchy law on the code and a
        half-Cauchy law on the error's norm. A network that learned to
        reconstruct the anomalies it was trained on still encodes them far
        from the other rows, which reconstruction error alone misses; see
        the user guide's "Anomaly detection" page. :meth:`score` stays the
        model's own measure (greater is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score, in the units the estimator was fitted on.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Per-row score, at most 0, in ``X``'s float dtype.
        """
        check_is_fitted(self)
        X = self._validate_rows(X, reset=False)
        statistics = self.anomaly_statistics_
        n_components = self.n_components_
        every_prefix = self._prefix_sizes_scored()
        index = n_components - 1 if every_prefix else 0
        codes, errors = self._codes_and_errors(X, every_prefix=False)
        cholesky_factor = statistics["code_cholesky"][:n_components, :n_components]
        distances = code_distances(codes, statistics["code_mean"][:n_components], cholesky_factor)[
            :, -1
        ]
        scores = cauchy_scores(
            distances,
            errors[:, 0],
            statistics["code_distance_median"][index],
            statistics["error_median"][index],
            n_components,
        )
        return scores.astype(X.dtype, copy=False)

    def score(self, X, y=None):
        """Mean of the model's own per-row score over ``X``: greater is better.

        The negative squared reconstruction error per row (summed over
        features, in the original units) for a deterministic autoencoder, the
        ELBO for a variational one: what a grid search over the code size
        compares. The anomaly score is :meth:`score_samples`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean negative squared reconstruction error, or mean ELBO, per row.
        """
        return float(np.mean(super().score_samples(X)))
