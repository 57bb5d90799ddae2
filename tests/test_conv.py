"""ConvAutoencoderTransformer: images as flat rows, any image size."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sk_autoencoder._modules import conv_stacks
from tests._helpers import reconstruction_error, squared_error


@pytest.fixture(scope="module")
def digits(training_digits):
    """300 digits, ``(X, y)``: convolutions cost more than dense layers."""
    X, y = training_digits
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def fitted(digits, fast_conv):
    return fast_conv().fit(digits[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transform_and_inverse_keep_float_dtype(digits, dtype, fast_conv):
    X = digits[0].astype(dtype)
    autoencoder = fast_conv().fit(X)
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
def test_conv_fits_odd_and_multichannel_images(image_shape, fast_conv):
    n_features = int(np.prod(image_shape))
    X = np.random.RandomState(0).rand(40, n_features)
    autoencoder = fast_conv(image_shape=image_shape, n_components=3).fit(X)
    expected_shape = image_shape if len(image_shape) == 3 else (1, *image_shape)
    assert autoencoder.image_shape_ == expected_shape
    assert autoencoder.inverse_transform(autoencoder.transform(X)).shape == X.shape
    assert np.isfinite(autoencoder.score_samples(X)).all()


def test_conv_image_shape_none_takes_a_square_else_a_strip(fast_conv):
    rng = np.random.default_rng(0)
    square = fast_conv(image_shape=None, n_components=2).fit(rng.random((20, 49)))
    strip = fast_conv(image_shape=None, n_components=2).fit(rng.random((20, 10)))
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
def test_conv_bad_parameters_get_an_error_naming_them(digits, params, message, fast_conv):
    with pytest.raises(ValueError, match=message):
        fast_conv(**params).fit(digits[0])


def test_conv_partial_fit_checks_the_image_shape(fitted, digits):
    with pytest.raises(ValueError, match="X has 10 features"):
        fitted.transform(digits[0][:, :10])


def test_conv_kernel_size_per_layer(digits, fast_conv):
    autoencoder = fast_conv(kernel_size=(5, 3)).fit(digits[0])
    kernel_sizes = [
        layer.kernel_size
        for layer in autoencoder.net_.module_.encoder.network
        if isinstance(layer, torch.nn.Conv2d)
    ]
    assert kernel_sizes == [(5, 5), (3, 3)]


def test_conv_without_channels_is_a_linear_autoencoder(digits, fast_conv):
    autoencoder = fast_conv(channels=()).fit(digits[0])
    layers = list(autoencoder.net_.module_.modules())
    assert not any(isinstance(layer, torch.nn.Conv2d) for layer in layers)
    assert autoencoder.transform(digits[0]).shape == (300, 4)


def test_conv_same_random_state_gives_bit_identical_output(digits, fast_conv):
    X = digits[0]
    # From a random start, so that the seed shows in the result: starting as
    # PCA, two epochs may leave both seeds at PCA.
    first = fast_conv(init="random", random_state=7).fit(X).transform(X)
    second = fast_conv(init="random", random_state=7).fit(X).transform(X)
    third = fast_conv(init="random", random_state=8).fit(X).transform(X)
    assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_conv_learns_digits_better_than_the_mean_image(digits, held_out_digits, fast_conv):
    X, X_test = digits[0], held_out_digits[0]
    # From a random start, so that the network is what is measured: starting
    # as PCA (0.37 of the mean image's error), the floor alone would pass.
    autoencoder = fast_conv(
        n_components=8,
        channels=(8, 16),
        batch_size=50,
        learning_rate_init=1e-2,
        max_iter=30,
        init="random",
    ).fit(X)
    error = reconstruction_error(autoencoder, X_test)
    # On digits it did not see: 0.40 to 0.47 of the mean image's error for
    # seeds 0 to 4; a network that learns nothing scores 1.
    assert error < 0.6 * squared_error(X_test, X.mean(axis=0))
    assert_allclose(autoencoder.score(X_test), -error, rtol=1e-5)


def test_conv_regularizers_train(digits, fast_conv):
    X = digits[0]
    autoencoder = fast_conv(init="random", noise=0.2, sparsity=1e-3, contraction=1e-2).fit(X)
    assert np.isfinite(autoencoder.loss_curve_).all()
    plain = fast_conv(init="random").fit(X)
    assert not np.array_equal(autoencoder.transform(X), plain.transform(X))


def test_conv_sparse_input_trains_like_dense(digits, held_out_digits, fast_conv):
    X, X_test = digits[0], held_out_digits[0]
    settings = dict(learning_rate_init=1e-2, max_iter=10)
    dense = fast_conv(**settings).fit(X)
    sparse = fast_conv(**settings).fit(sp.csr_matrix(X))
    # Two trainings, whose statistics agree to float64 rounding, not bit for
    # bit: compare how well each learned on digits neither saw (0.95 to 0.96
    # of PCA's error for seeds 0 to 2, the two within 1e-8 of each other;
    # seeds span 1.5%). The network beats PCA, so it is what is compared.
    assert sparse.network_kept_ and dense.network_kept_
    sparse_error = reconstruction_error(sparse, X_test)
    assert sparse_error == pytest.approx(reconstruction_error(dense, X_test), rel=0.03)
    # One model, sparse or dense rows: the same codes.
    assert_allclose(sparse.transform(sp.csr_matrix(X)), sparse.transform(X), rtol=1e-6, atol=1e-6)


def test_conv_pickle_round_trip_gives_identical_output(fitted, digits):
    X = digits[0]
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.transform(X), fitted.transform(X))
    assert_array_equal(restored.score_samples(X), fitted.score_samples(X))


@pytest.mark.slow
def test_conv_grid_search_in_a_pipeline_in_two_processes(digits, fast_conv):
    X, y = digits
    pipeline = make_pipeline(fast_conv(), LogisticRegression(max_iter=200))
    search = GridSearchCV(
        pipeline, {"convautoencodertransformer__channels": [(4,), (4, 8)]}, cv=2, n_jobs=2
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The chosen pipeline is refitted on all rows, with the chosen channels.
    autoencoder = search.best_estimator_[0]
    channels = search.best_params_["convautoencodertransformer__channels"]
    convolutions = [
        layer
        for layer in autoencoder.net_.module_.encoder.network
        if isinstance(layer, torch.nn.Conv2d)
    ]
    assert [layer.out_channels for layer in convolutions] == list(channels)
    assert_allclose(autoencoder.mean_, X.mean(axis=0))
    assert search.predict(X).shape == y.shape


def test_conv_feature_names_out(fitted):
    assert list(fitted.get_feature_names_out()) == [
        f"convautoencodertransformer{index}" for index in range(4)
    ]
