"""The regularised variants of the deterministic autoencoders, as parameters."""


class RegularisersMixin:
    """``sparsity`` and ``contraction``: weights of the shared loss's regularisers.

    Mixed into the estimators that have these parameters (and ``noise``, which
    their module applies to its input); the loss terms themselves live in
    :mod:`sk_autoencoder._losses`.
    """

    def _criterion_params(self):
        return {"sparsity": self.sparsity, "contraction": self.contraction}
