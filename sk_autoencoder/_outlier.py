"""An outlier detector around an autoencoder, with scikit-learn's outlier-detector interface."""

import math
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

# The default code: a quarter of the features, rounded up, at most this many units.
MAX_DEFAULT_COMPONENTS = 32
# ``contamination="auto"``: Tukey's fences, the boxplot's rule for outliers,
# on how many times less dense than the densest point a row is
# (``exp(-score)``): more than this many interquartile ranges above the third
# quartile of the training rows'.
TUKEY_FENCE = 1.5


def tukey_offset(scores):
    """The log-density score at Tukey's upper fence of the training rows' ``exp(-scores)``.

    Computed on the log scale, where ``exp(-scores)`` of a very atypical row
    would overflow: with ``q1 <= q3`` the quartiles of the scores, the fence
    of ``exp(-scores)`` is ``exp(-q1) * ((1 + c) - c * exp(q1 - q3))``.
    The fence is taken on the density ratio rather than on the log-scores,
    whose lower tail the logarithm shortens so much that the fence would
    flag no row of ordinary data.
    """
    first, third = np.percentile(scores, [25.0, 75.0])
    return float(first - np.log((1.0 + TUKEY_FENCE) - TUKEY_FENCE * np.exp(first - third)))


def default_code_size(n_features):
    """``min(ceil(n_features / 4), 32)``: the code size the anomaly benchmark measures."""
    return min(math.ceil(n_features / 4), MAX_DEFAULT_COMPONENTS)


class AutoencoderOutlierDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Unsupervised outlier detection with an autoencoder's anomaly scores.

    Fits ``estimator`` on the training rows, anomalies included and
    unlabelled, and scores rows by its ``score_samples``: for the
    autoencoders of this package, the log-density of where a row's code
    falls among the training codes and of how far the row lies from its
    reconstruction (greater is more normal). :meth:`decision_function`
    shifts the scores by ``offset_``, so that negative values are outliers,
    and :meth:`predict` gives -1 for them and 1 for inliers, as
    :class:`~sklearn.ensemble.IsolationForest` and
    :class:`~sklearn.neighbors.LocalOutlierFactor` do.

    Parameters
    ----------
    estimator : estimator with ``fit`` and ``score_samples``, default=None
        The model, cloned before fitting. None uses
        ``AutoencoderTransformer(n_components=min(ceil(n_features / 4), 32))``,
        the setting that the anomaly benchmark measures; pass your own to
        choose the code size, the network or ``random_state``.
    contamination : "auto" or float, default="auto"
        Sets ``offset_``. "auto" needs no guess of the share of outliers:
        Tukey's fences (the boxplot's rule) on how many times less dense
        than the densest point a row is, ``exp(-score_samples)``, flag a row
        more than 1.5 interquartile ranges above the third quartile of the
        training rows'. A float in (0, 0.5]
        is the share of the training rows to flag: ``offset_`` is that
        quantile of their scores. Any threshold can also be set after
        fitting by assigning ``offset_``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model.
    offset_ : float
        The score below which a row is an outlier: ``decision_function`` is
        ``score_samples - offset_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string
        column names.

    See Also
    --------
    AutoencoderTransformer : The default model; its ``score_samples`` is the score.
    sklearn.ensemble.IsolationForest : Outlier detection by random partitions.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_autoencoder import AutoencoderTransformer
    >>> from sk_autoencoder import AutoencoderOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    >>> X_new = np.vstack([X.mean(axis=0), 20 * np.ones(6)])
    >>> autoencoder = AutoencoderTransformer(
    ...     n_components=2, hidden_layer_sizes=(16,), random_state=0
    ... )
    >>> detector = AutoencoderOutlierDetector(autoencoder).fit(X)
    >>> detector.predict(X_new)
    array([ 1, -1])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "score_samples"]), None],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(self, estimator=None, *, contamination="auto"):
        self.estimator = estimator
        self.contamination = contamination

    def _validate_rows(self, X, reset):
        return validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the model on ``X`` and set ``offset_`` from the training rows' scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows, outliers included; unlabelled.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted detector.
        """
        X = self._validate_rows(X, reset=True)
        if self.estimator is None:
            from sk_autoencoder._dense import AutoencoderTransformer

            estimator = AutoencoderTransformer(n_components=default_code_size(X.shape[1]))
        else:
            estimator = clone(self.estimator)
        self.estimator_ = estimator.fit(X)
        scores = self.estimator_.score_samples(X)
        if self.contamination == "auto":
            self.offset_ = tukey_offset(scores)
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        return self

    def score_samples(self, X):
        """The model's score of each row: greater is more normal.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``estimator_.score_samples(X)``.
        """
        check_is_fitted(self)
        X = self._validate_rows(X, reset=False)
        return np.asarray(self.estimator_.score_samples(X), dtype=np.float64)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Shifted scores.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for an outlier, 1 for an inlier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where :meth:`decision_function` is negative, else 1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
