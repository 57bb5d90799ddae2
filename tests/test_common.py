"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_autoencoder import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

FAST_ESTIMATORS = [
    AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
    AutoencoderTransformer(
        hidden_layer_sizes=(), noise=0.1, sparsity=1e-3, contraction=1e-2, max_iter=2
    ),
    AutoencoderTransformer(hidden_layer_sizes=(8,), init="pca", max_iter=2, random_state=0),
    AutoencoderTransformer(hidden_layer_sizes=(8,), ordered=True, max_iter=2, random_state=0),
    ConvAutoencoderTransformer(channels=(4,), max_iter=2, random_state=0),
    ConvAutoencoderTransformer(channels=(4,), init="pca", ordered=True, max_iter=2, random_state=0),
    ConvAutoencoderTransformer(
        channels=(2, 4), kernel_size=(3, 2), noise=0.1, sparsity=1e-3, contraction=1e-2, max_iter=2
    ),
    VariationalAutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
    VariationalAutoencoderTransformer(hidden_layer_sizes=(), loss="mse", beta=0.5, max_iter=2),
]


@parametrize_with_checks(FAST_ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
