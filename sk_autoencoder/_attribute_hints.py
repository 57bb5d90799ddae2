"""What a PCA user reaches for and an autoencoder lacks, and what to use instead."""

PCA_ATTRIBUTE_HINTS = {
    "components_": (
        "the decoder is a nonlinear network, not a matrix of components. Decode codes "
        "with inverse_transform; the PCA the network started from is scikit-learn's "
        "PCA(n_components).fit(X).components_."
    ),
    "explained_variance_ratio_": (
        "an autoencoder's code units are not ordered by variance unless it is fitted "
        "with ordered=True, which gives explained_variance_ratio_ and error_curve(X). "
        "score(X) gives the mean reconstruction error."
    ),
    "explained_variance_": (
        "the code units carry no variance of their own; fit with ordered=True for "
        "explained_variance_ratio_, or use error_curve(X)."
    ),
    "singular_values_": "the network has no singular values; see error_curve(X) with ordered=True.",
    "noise_variance_": (
        "a deterministic autoencoder has no noise model; VariationalAutoencoderTransformer "
        "has a Gaussian likelihood, and score_samples gives its ELBO."
    ),
    **{
        method: (
            "an autoencoder models no Gaussian covariance of the data: score_samples(X) "
            "gives each row's anomaly score, and scikit-learn's "
            f"PCA(n_components).fit(X).{method}() the {what} of probabilistic PCA."
        )
        for method, what in (("get_covariance", "covariance"), ("get_precision", "precision"))
    },
}

# What a user of a linear regressor reaches for on a regressor of pairs.
LINEAR_MODEL_ATTRIBUTE_HINTS = {
    "coef_": (
        "the map from input to target is a network, not a matrix: predict(X) applies "
        "it, and the linear map the network started from is reduced-rank regression "
        "(see the paired targets guide)."
    ),
    "intercept_": (
        "the map from input to target is a network, not a matrix: predict(X) applies "
        "it; target_mean_ is the targets' mean it adds back."
    ),
}


class PCAAttributeHintsMixin:
    """Answers a missing PCA attribute with an ``AttributeError`` that says what to use instead.

    An estimator adds hints of its own by extending ``_attribute_hints``.
    """

    _attribute_hints = PCA_ATTRIBUTE_HINTS

    def __getattr__(self, name):
        # Only reached when normal lookup fails.
        hint = type(self)._attribute_hints.get(name)
        if hint is not None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}: {hint}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
