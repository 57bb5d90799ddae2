"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_autoencoder import AutoencoderTransformer

FAST_ESTIMATORS = [
    AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
    AutoencoderTransformer(
        hidden_layer_sizes=(), noise=0.1, sparsity=1e-3, contraction=1e-2, max_iter=2
    ),
]


@parametrize_with_checks(FAST_ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
