"""ConvAutoencoderTransformer: images as flat rows, any image size."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sk_autoencoder import ConvAutoencoderTransformer
from sk_autoencoder._modules import conv_stacks

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def fast(**params):
    """A convolutional autoencoder on 8 x 8 digits, small enough for a test."""
    defaults = dict(
        n_components=4,
        image_shape=(8, 8),
        channels=(4, 8),
        max_iter=2,
        random_state=0,
        device="cpu",
    )
    return ConvAutoencoderTransformer(**{**defaults, **params})


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def fitted(digits):
    return fast().fit(digits[0])


def squared_error(X, X_reconstructed):
    return float(((X - X_reconstructed) ** 2).sum(axis=1).mean())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transform_and_inverse_keep_float_dtype(digits, dtype):
    X = digits[0].astype(dtype)
    autoencoder = fast().fit(X)
    codes = autoencoder.transform(X)
    assert codes.shape == (300, 4) and codes.dtype == dtype
    reconstructed = autoencoder.inverse_transform(codes)
    assert reconstructed.shape == X.shape and reconstructed.dtype == dtype


def test_conv_float32_and_float64_transforms_agree(fitted, digits):
    X = digits[0]
    assert_allclose(
        fitted.transform(X.astype(np.float32)), fitted.transform(X), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("height", range(1, 12))
@pytest.mark.parametrize("width", [1, 2, 7, 9, 28])
@pytest.mark.parametrize("kernel_size", [2, 3, 4, 5])
def test_conv_decoder_reproduces_every_image_size(height, width, kernel_size):
    image_shape = (2, height, width)
    encoder, decoder = conv_stacks(image_shape, (3, 4, 5), (kernel_size,) * 3, 2, "relu")
    rows = torch.zeros(5, 2 * height * width)
    assert encoder(rows).shape == (5, 2)
    assert decoder(encoder(rows)).shape == rows.shape


@pytest.mark.parametrize("image_shape", [(7, 9), (1, 7, 9), (3, 7, 9), (3, 4, 4)])
def test_conv_fits_odd_and_multichannel_images(image_shape):
    n_features = int(np.prod(image_shape))
    X = np.random.RandomState(0).rand(40, n_features)
    autoencoder = fast(image_shape=image_shape, n_components=3).fit(X)
    expected_shape = image_shape if len(image_shape) == 3 else (1, *image_shape)
    assert autoencoder.image_shape_ == expected_shape
    assert autoencoder.inverse_transform(autoencoder.transform(X)).shape == X.shape
    assert np.isfinite(autoencoder.score_samples(X)).all()


def test_conv_image_shape_none_takes_a_square_else_a_strip():
    rng = np.random.default_rng(0)
    square = fast(image_shape=None, n_components=2).fit(rng.random((20, 49)))
    strip = fast(image_shape=None, n_components=2).fit(rng.random((20, 10)))
    assert square.image_shape_ == (1, 7, 7)
    assert strip.image_shape_ == (1, 1, 10)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"image_shape": (8, 9)}, r"image_shape=\(8, 9\) holds 72 values .* n_features=64"),
        ({"image_shape": (3, 8, 8)}, r"holds 192 values .* n_features=64"),
        ({"image_shape": (0, 8)}, "image_shape must be .* positive integers"),
        ({"image_shape": (1, 1, 8, 8)}, "image_shape must be"),
        ({"image_shape": 64}, "image_shape"),
        ({"channels": (4, 0)}, "channels"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": (3,)}, r"kernel_size must be .* one per entry of channels \(2\)"),
        ({"n_components": 65}, "n_components=65 must be <= the number of features"),
        ({"n_components": 0.5}, "n_components"),
    ],
)
def test_conv_bad_parameters_get_an_error_naming_them(digits, params, message):
    with pytest.raises(ValueError, match=message):
        fast(**params).fit(digits[0])


def test_conv_partial_fit_checks_the_image_shape(fitted, digits):
    with pytest.raises(ValueError, match="X has 10 features"):
        fitted.transform(digits[0][:, :10])


def test_conv_kernel_size_per_layer(digits):
    autoencoder = fast(kernel_size=(5, 3)).fit(digits[0])
    kernel_sizes = [
        layer.kernel_size
        for layer in autoencoder.net_.module_.encoder.network
        if isinstance(layer, torch.nn.Conv2d)
    ]
    assert kernel_sizes == [(5, 5), (3, 3)]


def test_conv_without_channels_is_a_linear_autoencoder(digits):
    autoencoder = fast(channels=()).fit(digits[0])
    layers = list(autoencoder.net_.module_.modules())
    assert not any(isinstance(layer, torch.nn.Conv2d) for layer in layers)
    assert autoencoder.transform(digits[0]).shape == (300, 4)


def test_conv_same_random_state_gives_bit_identical_output(digits):
    X = digits[0]
    # From a random start, so that the seed shows in the result: starting as
    # PCA, two epochs may leave both seeds at PCA.
    first = fast(init="random", random_state=7).fit(X).transform(X)
    second = fast(init="random", random_state=7).fit(X).transform(X)
    third = fast(init="random", random_state=8).fit(X).transform(X)
    assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_conv_learns_digits_better_than_the_mean_image(digits):
    X = digits[0]
    autoencoder = fast(
        n_components=8, channels=(8, 16), batch_size=50, learning_rate_init=3e-3, max_iter=10
    ).fit(X)
    error = squared_error(X, autoencoder.inverse_transform(autoencoder.transform(X)))
    # About 0.56 with these settings; an autoencoder that learns nothing scores 1.
    assert error < 0.75 * squared_error(X, X.mean(axis=0))
    assert_allclose(autoencoder.score(X), -error, rtol=1e-5)


def test_conv_regularizers_train(digits):
    X = digits[0]
    autoencoder = fast(init="random", noise=0.2, sparsity=1e-3, contraction=1e-2).fit(X)
    assert np.isfinite(autoencoder.loss_curve_).all()
    plain = fast(init="random").fit(X)
    assert not np.array_equal(autoencoder.transform(X), plain.transform(X))


def test_conv_sparse_input_trains_like_dense(digits):
    X = digits[0]
    dense = fast(batch_size=300).fit(X)
    sparse = fast(batch_size=300).fit(sp.csr_matrix(X))
    assert_allclose(sparse.transform(sp.csr_matrix(X)), dense.transform(X), rtol=1e-4, atol=1e-4)


def test_conv_pickle_round_trip_gives_identical_output(fitted, digits):
    X = digits[0]
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.transform(X), fitted.transform(X))
    assert_array_equal(restored.score_samples(X), fitted.score_samples(X))


def test_conv_grid_search_in_a_pipeline_in_two_processes(digits):
    X, y = digits
    pipeline = make_pipeline(fast(), LogisticRegression(max_iter=200))
    search = GridSearchCV(
        pipeline, {"convautoencodertransformer__channels": [(4,), (4, 8)]}, cv=2, n_jobs=2
    ).fit(X, y)
    assert search.best_params_["convautoencodertransformer__channels"] in ((4,), (4, 8))
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict(X).shape == (300,)


def test_conv_feature_names_out(fitted):
    assert list(fitted.get_feature_names_out()) == [
        f"convautoencodertransformer{index}" for index in range(4)
    ]
