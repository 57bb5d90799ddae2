"""Ordered codes: the first ``k`` units are a good code for every ``k``, as PCA's are."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, RealNotInt
from sklearn.utils.validation import check_is_fitted

# Code units fitted when ``n_components`` is a fraction of variance to
# explain (at most the number of features): as wide as the last hidden layer
# of the default dense network. Training with nested dropout costs the same
# at any width; the error curve behind ``explained_variance_ratio_`` costs one
# decoder pass over the training data per unit.
MAX_FRACTION_COMPONENTS = 128


class OrderedCodesMixin:
    """The ``ordered`` parameter: nested codes, ``error_curve`` and a fractional ``n_components``.

    Mixed into an estimator built on :class:`~sk_autoencoder._base.BaseAutoencoder`
    whose module is an :class:`~sk_autoencoder._modules.OrderedAutoencoder`
    when ``ordered=True``.
    """

    _parameter_constraints: dict = {
        "ordered": ["boolean"],
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            None,
        ],
    }

    def _check_training_data(self, X):
        super()._check_training_data(X)
        fraction = isinstance(self.n_components, Real) and not isinstance(
            self.n_components, Integral
        )
        if fraction and not self.ordered:
            raise ValueError(
                f"n_components={self.n_components}, a fraction of variance to explain, "
                "needs ordered=True: only ordered codes can be cut to the smallest "
                "size that explains it."
            )

    def _n_code_units(self, n_features):
        if isinstance(self.n_components, Real) and not isinstance(self.n_components, Integral):
            return min(n_features, MAX_FRACTION_COMPONENTS)
        return super()._n_code_units(n_features)

    def _after_training(self, X):
        super()._after_training(X)
        if self.ordered:
            self._fit_ordering(X)

    def _fit_ordering(self, X):
        """``explained_variance_ratio_`` on the training data, and the code size for a fraction.

        The ratio of unit ``k`` is the gain in reconstruction R^2 from adding
        it to the first ``k - 1``, so their sum up to ``k`` is the R^2 of the
        first ``k`` units, as the sum of PCA's ratios is its explained variance.
        """
        module = self.net_.module_
        module.n_active.fill_(module.n_units)
        squared_errors = self._prefix_error_curve(X)
        # The total variance per sample, as the internal scaling measured it.
        total = self.n_features_in_ * self.scale_**2
        r2 = 1.0 - squared_errors / total
        n_components = module.n_units
        if not isinstance(self.n_components, Integral):
            reached = np.flatnonzero(r2 >= self.n_components)
            n_components = int(reached[0]) + 1 if len(reached) else module.n_units
        module.n_active.fill_(n_components)
        self.n_components_ = n_components
        self.explained_variance_ratio_ = np.diff(r2[:n_components], prepend=0.0)

    def error_curve(self, X):
        """Mean squared reconstruction error from the first ``k`` code units, for every ``k``.

        One fit gives the whole curve, as PCA's components do; an ordered
        autoencoder (``ordered=True``) is trained so that every prefix of its
        code is a good code. The other units are set to zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units the estimator was fitted on.

        Returns
        -------
        errors : ndarray of shape (n_units,)
            ``errors[k - 1]`` is the squared error per sample, summed over
            features, of reconstructing ``X`` from the first ``k`` units, for
            ``k`` up to the fitted code width (``n_components``, or the cap when
            it is a fraction).
        """
        check_is_fitted(self)
        if not self.ordered:
            raise ValueError("error_curve needs an ordered code; fit with ordered=True.")
        X = self._validate_rows(X, reset=False)
        return self._prefix_error_curve(X)

    def _prefix_error_curve(self, X):
        n_units = self.net_.module_.n_units
        return self._map_rows("prefix_errors", X, n_units).mean(axis=0, dtype=np.float64)
