"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_autoencoder import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    CustomAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from tests._helpers import PUBLIC_ESTIMATORS
from tests.conftest import TinyDecoder, TinyEncoder

# Small enough for the checks' many fits; each estimator takes those it has.
FAST_PARAMS = {"hidden_layer_sizes": (8,), "channels": (4,), "max_iter": 3, "random_state": 0}


# The arguments of the estimators that have no defaults: the user's networks.
REQUIRED_PARAMS = {
    CustomAutoencoderTransformer: {"encoder": TinyEncoder, "decoder": TinyDecoder},
}


def fast(estimator_class):
    required = REQUIRED_PARAMS.get(estimator_class, {})
    accepted = estimator_class(**required).get_params()
    return estimator_class(
        **required, **{name: value for name, value in FAST_PARAMS.items() if name in accepted}
    )


# Variants whose code paths differ: regularisers, a random start (the default
# starts as PCA), ordered codes, per-layer kernels, the Gaussian loss, and no
# random_state; the user's networks from a random start, frozen in part and at a
# lower rate, and an instance (copied, with its fixed code width).
VARIANTS = [
    AutoencoderTransformer(
        hidden_layer_sizes=(), noise=0.1, sparsity=1e-3, contraction=1e-2, max_iter=2
    ),
    AutoencoderTransformer(hidden_layer_sizes=(8,), init="random", max_iter=2, random_state=0),
    AutoencoderTransformer(hidden_layer_sizes=(8,), ordered=True, max_iter=2, random_state=0),
    ConvAutoencoderTransformer(channels=(4,), ordered=True, max_iter=2, random_state=0),
    ConvAutoencoderTransformer(
        channels=(2, 4), kernel_size=(3, 2), noise=0.1, sparsity=1e-3, contraction=1e-2, max_iter=2
    ),
    VariationalAutoencoderTransformer(hidden_layer_sizes=(), loss="mse", beta=0.5, max_iter=2),
    CustomAutoencoderTransformer(
        TinyEncoder,
        TinyDecoder,
        2,
        init="random",
        frozen=["encoder.layers.0"],
        learning_rate_scales={"decoder": 0.5},
        max_iter=2,
        random_state=0,
    ),
]


def test_public_estimators_are_found():
    assert {
        AutoencoderTransformer,
        ConvAutoencoderTransformer,
        CustomAutoencoderTransformer,
        VariationalAutoencoderTransformer,
    } <= set(PUBLIC_ESTIMATORS)


@parametrize_with_checks(
    [fast(estimator_class) for estimator_class in PUBLIC_ESTIMATORS] + VARIANTS
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
