"""ordered=True: every prefix of the code is a code, as PCA's components are."""

import copy

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from sk_autoencoder import AutoencoderTransformer, load, save
from sk_autoencoder._ordered import nested_prefix_sizes, prefix_codes
from tests._helpers import squared_error


def dense(**params):
    defaults = dict(
        n_components=8,
        hidden_layer_sizes=(32,),
        ordered=True,
        max_iter=10,
        learning_rate_init=3e-3,
        random_state=0,
        device="cpu",
    )
    return AutoencoderTransformer(**{**defaults, **params})


@pytest.fixture(scope="module")
def digits(training_digits):
    """500 digits, without their labels."""
    return training_digits[0][:500]


@pytest.fixture(scope="module")
def fitted(digits):
    return dense().fit(digits)


def prefix_error(autoencoder, X, k):
    """Error of reconstructing from the first k columns of transform, the rest zero."""
    codes = autoencoder.transform(X)
    codes[:, k:] = 0.0
    return squared_error(X, autoencoder.inverse_transform(codes))


@pytest.mark.parametrize(
    "n_components, expected",
    [(1, (1,)), (2, (1, 2)), (6, (1, 2, 4, 6)), (8, (1, 2, 4, 8)), (9, (1, 2, 4, 8, 9))],
)
def test_nested_prefix_sizes_double_up_to_the_code(n_components, expected):
    assert nested_prefix_sizes(n_components) == expected


def test_prefix_codes_zero_the_units_past_each_prefix():
    code = torch.arange(1.0, 7.0).reshape(2, 3)
    stacked = prefix_codes(code, (1, 3))
    expected = [[1, 0, 0], [4, 0, 0], [1, 2, 3], [4, 5, 6]]
    assert_array_equal(stacked.numpy(), np.array(expected, dtype=np.float32))


def test_error_curve_is_the_error_of_each_prefix(fitted, digits):
    curve = fitted.error_curve(digits)
    assert curve.shape == (8,)
    for k in (1, 4, 8):
        assert_allclose(curve[k - 1], prefix_error(fitted, digits, k), rtol=1e-4)


def test_ordered_prefixes_beat_unordered_ones(digits, held_out_digits):
    # From a random start: starting as PCA, whose units are ordered, the
    # unordered code's prefixes are good too. The two fits differ only in
    # the nested dropout: without it they are equal.
    X_test = held_out_digits[0]
    ordered = dense(init="random", batch_size=50, max_iter=30).fit(digits)
    unordered = dense(init="random", batch_size=50, max_iter=30, ordered=False).fit(digits)
    ratios = {
        k: prefix_error(ordered, X_test, k) / prefix_error(unordered, X_test, k)
        for k in (1, 2, 4, 8)
    }
    # On digits neither saw, for seeds 0 to 3: 0.83-0.90, 0.75-0.84 and
    # 0.61-0.68 at k = 1, 2 and 4; a 5% gain is the ordering's, not noise.
    assert all(ratios[k] < 0.95 for k in (1, 2, 4)), ratios
    # The price of the ordering at the full code: 1.20-1.25. Half as much
    # again would be an ordering that wrecks the code it orders.
    assert ratios[8] < 1.5, ratios
    assert np.all(np.diff(ordered.error_curve(X_test)) < 0)


def test_explained_variance_ratio_sums_to_r2(fitted, digits):
    ratios = fitted.explained_variance_ratio_
    total = squared_error(digits, digits.mean(axis=0))
    r2 = 1 - fitted.error_curve(digits) / total
    assert ratios.shape == (8,)
    assert_allclose(np.cumsum(ratios), r2, rtol=1e-5)
    assert ratios[0] > ratios[-1] > 0


@pytest.mark.parametrize("fraction", [0.5, 0.75])
def test_fractional_n_components_takes_the_smallest_code_that_explains_it(digits, fraction):
    X = digits[:200]
    autoencoder = dense(n_components=fraction, init="pca", hidden_layer_sizes=(8,), max_iter=2)
    autoencoder.fit(X)
    k = autoencoder.n_components_
    curve = autoencoder.error_curve(X)
    # The code is as wide as the data (under the cap of 128 units).
    assert curve.shape == (64,)
    r2 = 1 - curve / (64 * autoencoder.scale_**2)
    assert r2[k - 1] >= fraction and (k == 1 or r2[k - 2] < fraction)
    codes = autoencoder.transform(X)
    assert codes.shape == (200, k)
    assert autoencoder.inverse_transform(codes).shape == X.shape
    assert autoencoder.explained_variance_ratio_.sum() >= fraction
    assert autoencoder.get_feature_names_out().shape == (k,)


def test_fractional_n_components_needs_ordered(digits):
    with pytest.raises(ValueError, match="n_components=0.5, a fraction.*needs ordered=True"):
        dense(n_components=0.5, ordered=False).fit(digits)


def test_error_curve_needs_ordered(digits):
    with pytest.raises(ValueError, match="error_curve needs an ordered code"):
        dense(ordered=False, max_iter=1).fit(digits).error_curve(digits)


def test_ordered_convolutional_autoencoder(digits, fast_conv):
    autoencoder = fast_conv(ordered=True).fit(digits)
    curve = autoencoder.error_curve(digits)
    assert curve.shape == (4,)
    assert_allclose(curve[1], prefix_error(autoencoder, digits, 2), rtol=1e-4)
    assert autoencoder.explained_variance_ratio_.shape == (4,)


def test_fractional_code_size_survives_save_and_load(digits, tmp_path, fast_dense):
    autoencoder = fast_dense(n_components=0.6, ordered=True).fit(digits)
    path = tmp_path / "ordered.safetensors"
    save(autoencoder, path)
    restored = load(path)
    assert restored.n_components_ == autoencoder.n_components_
    assert_array_equal(restored.transform(digits), autoencoder.transform(digits))


def test_n_components_none_orders_every_feature(digits):
    # As PCA(n_components=None): a code as wide as the data, which
    # reconstructs them, since the network starts as PCA with every component.
    X = digits[:200]
    autoencoder = dense(n_components=None, hidden_layer_sizes=(8,), max_iter=2).fit(X)
    assert autoencoder.n_components_ == X.shape[1]
    assert autoencoder.transform(X).shape == X.shape
    assert autoencoder.error_curve(X).shape == (X.shape[1],)
    # Every component: R^2 is 1, up to the float32 network's rounding.
    assert_allclose(autoencoder.explained_variance_ratio_.sum(), 1.0, atol=1e-4)


def test_truncate_keeps_the_first_units(fitted, digits):
    autoencoder = copy.deepcopy(fitted)
    codes, ratios = fitted.transform(digits), fitted.explained_variance_ratio_
    assert autoencoder.truncate(3) is autoencoder
    assert autoencoder.n_components == 8 and autoencoder.n_components_ == 3
    assert_array_equal(autoencoder.transform(digits), codes[:, :3])
    assert_array_equal(autoencoder.explained_variance_ratio_, ratios[:3])
    assert list(autoencoder.get_feature_names_out()) == [
        f"autoencodertransformer{unit}" for unit in range(3)
    ]
    # Decoding the 3 units is decoding the 8 with the last 5 at zero, and
    # the score is the error of that prefix.
    assert_allclose(
        autoencoder.inverse_transform(codes[:, :3]),
        fitted.inverse_transform(np.hstack([codes[:, :3], np.zeros((len(codes), 5))])),
        rtol=1e-12,
    )
    assert_allclose(autoencoder.score(digits), -fitted.error_curve(digits)[2], rtol=1e-6)
    with pytest.raises(ValueError, match="expects codes of n_components_=3 columns"):
        autoencoder.inverse_transform(codes)
    # Training again trains and returns the full width.
    assert autoencoder.partial_fit(digits).transform(digits).shape == (len(digits), 8)


def test_truncated_code_survives_save_and_load(fitted, digits, tmp_path):
    autoencoder = copy.deepcopy(fitted).truncate(2)
    path = tmp_path / "truncated.safetensors"
    save(autoencoder, path)
    restored = load(path)
    assert restored.n_components_ == 2
    assert_array_equal(restored.transform(digits), autoencoder.transform(digits))


@pytest.mark.parametrize("n_components", [0, 9, 2.5, True])
def test_truncate_rejects_a_size_outside_the_code(fitted, n_components):
    with pytest.raises(ValueError, match="must be an integer from 1 to n_components_=8"):
        copy.deepcopy(fitted).truncate(n_components)


def test_truncate_needs_ordered(digits):
    with pytest.raises(ValueError, match="truncate needs an ordered code"):
        dense(ordered=False, max_iter=1).fit(digits).truncate(2)
