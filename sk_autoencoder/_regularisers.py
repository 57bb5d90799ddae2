"""The regularised variants of the deterministic autoencoders, as parameters."""

from numbers import Real

from sklearn.utils._param_validation import Interval


class RegularisersMixin:
    """``sparsity`` and ``contraction``: weights of the shared loss's regularisers.

    Mixed into the estimators that have these parameters (and ``noise``, which
    their module applies to its input); the loss terms themselves live in
    :mod:`sk_autoencoder._losses`.
    """

    _parameter_constraints: dict = {
        "noise": [Interval(Real, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "contraction": [Interval(Real, 0, None, closed="left")],
    }

    def _criterion_params(self):
        return {"sparsity": self.sparsity, "contraction": self.contraction}
