"""What a PCA user reaches for and an autoencoder lacks, and what to use instead."""

_PCA_ATTRIBUTE_HINTS = {
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
}


class PCAAttributeHintsMixin:
    """Answers a missing PCA attribute with an ``AttributeError`` that says what to use instead."""

    def __getattr__(self, name):
        # Only reached when normal lookup fails.
        if name in _PCA_ATTRIBUTE_HINTS:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}: {_PCA_ATTRIBUTE_HINTS[name]}"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
