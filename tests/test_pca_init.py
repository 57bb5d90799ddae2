"""init="pca": the autoencoders start as PCA and train from there."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sk_autoencoder import AutoencoderTransformer, ConvAutoencoderTransformer


def dense(**params):
    defaults = dict(
        n_components=4,
        hidden_layer_sizes=(16,),
        init="pca",
        max_iter=3,
        random_state=0,
        device="cpu",
    )
    return AutoencoderTransformer(**{**defaults, **params})


def conv(**params):
    defaults = dict(
        n_components=4,
        image_shape=(8, 8),
        channels=(4, 8),
        init="pca",
        max_iter=3,
        random_state=0,
        device="cpu",
    )
    return ConvAutoencoderTransformer(**{**defaults, **params})


# A zero learning rate runs the training loop without moving a weight: the
# network as it stands before the first step.
UNTRAINED = dict(max_iter=1, net_params={"lr": 0.0})


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X[:300], X[300:500]


def squared_error(X, X_reconstructed):
    return float(((X - X_reconstructed) ** 2).sum(axis=1).mean())


def pca_reconstruction(X_train, X, n_components):
    pca = PCA(n_components=n_components).fit(X_train)
    return pca.inverse_transform(pca.transform(X))


@pytest.mark.parametrize("make", [dense, conv], ids=["dense", "conv"])
@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pca_init_reconstruction_equals_pca_before_training(digits, make, ordered, dtype):
    X_train, X_test = (X.astype(dtype) for X in digits)
    autoencoder = make(ordered=ordered, **UNTRAINED).fit(X_train)
    reconstructed = autoencoder.inverse_transform(autoencoder.transform(X_test))
    # Pixels range over [0, 16]; the network computes in float32.
    assert_allclose(reconstructed, pca_reconstruction(X_train, X_test, 4), rtol=0, atol=1e-3)


def test_pca_init_codes_are_pca_codes_in_scaled_units(digits):
    X_train, X_test = digits
    autoencoder = dense(**UNTRAINED).fit(X_train)
    pca = PCA(n_components=4).fit(X_train)
    assert_allclose(
        autoencoder.transform(X_test) * autoencoder.scale_, pca.transform(X_test), atol=1e-3
    )


def test_pca_init_pads_code_units_beyond_pca_rank():
    # Four samples have at most three principal components; the fourth and
    # fifth code units start unused, and the reconstruction is still PCA's.
    X = np.random.RandomState(0).normal(size=(4, 6))
    autoencoder = dense(n_components=5, **UNTRAINED).fit(X)
    assert_allclose(autoencoder.inverse_transform(autoencoder.transform(X)), X, atol=1e-5)


# Measured: 0.905 (dense) and 0.983 (conv) of PCA's training error after 10 epochs.
@pytest.mark.parametrize("make, ratio", [(dense, 0.95), (conv, 0.995)], ids=["dense", "conv"])
def test_pca_init_training_improves_on_pca(digits, make, ratio):
    X_train, _ = digits
    autoencoder = make(max_iter=10, learning_rate_init=3e-3).fit(X_train)
    trained = squared_error(X_train, autoencoder.inverse_transform(autoencoder.transform(X_train)))
    pca = squared_error(X_train, pca_reconstruction(X_train, X_train, 4))
    assert trained < ratio * pca


def test_pca_init_nonlinear_parts_start_at_zero_and_learn(digits):
    X_train, _ = digits
    untrained = dense(**UNTRAINED).fit(X_train).net_.module_
    trained = dense(max_iter=1).fit(X_train).net_.module_
    for name in ("encoder", "decoder"):
        last_untrained = getattr(untrained, name).nonlinear[-1]
        last_trained = getattr(trained, name).nonlinear[-1]
        assert not last_untrained.weight.any() and not last_untrained.bias.any()
        assert last_trained.weight.abs().max() > 1e-4


def test_pca_init_uses_squared_error_on_unit_interval_data(digits):
    X_train, _ = digits
    assert dense().fit(X_train / 16).loss_ == "mse"
    assert dense(init="random").fit(X_train / 16).loss_ == "bce"


def test_pca_init_refuses_cross_entropy(digits):
    with pytest.raises(ValueError, match="init='pca' starts from PCA's reconstruction"):
        dense(loss="bce").fit(digits[0] / 16)


def test_pca_init_rejects_unknown_init(digits):
    with pytest.raises(ValueError, match="'init' parameter"):
        dense(init="zeros").fit(digits[0])
