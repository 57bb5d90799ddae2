"""Property-based tests: valid input fits with finite output; invalid input is refused by name.

Valid and invalid inputs come from separate strategies, so that every valid
example must fit and every invalid one must fail with an error that names
its problem: the parameter, the NaN or infinity, the number of features.
"""

import functools
import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sk_autoencoder import AutoencoderTransformer
from sk_autoencoder._base import MIN_FIT_SAMPLES

pytestmark = [
    # scikit-learn's finiteness check sums X first; a sum of inf and -inf
    # warns just before the check raises its clear error.
    pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning"),
    # Reported divergence is a legitimate outcome of a fit.
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
OTHER_DTYPES = [np.int8, np.int64, np.uint8, np.bool_]
# float16 holds at most 65504: values of about 10**3 (a few standard
# deviations off a shift of at most 3) are the largest that stay finite.
FLOAT16_MAX_EXPONENT = 3
# Every example fits a tiny network, which takes milliseconds: keep the
# number of examples moderate and let slow ones run (the machine may be busy).
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

NAN_MESSAGE = "Input X contains NaN"
INFINITY_MESSAGE = "Input X contains infinity"
# Inputs that are no matrix of numbers, and what the error says, whichever
# method receives them (two columns, as wide as the fitted model's input).
NOT_MATRICES = {
    "one dimension": (np.ones(3), "Expected 2D array, got 1D array"),
    "three dimensions": (np.ones((2, 1, 1)), "Found array with dim 3"),
    "no rows": (np.empty((0, 2)), r"Found array with 0 sample\(s\)"),
    "no columns": (np.empty((2, 0)), r"Found array with 0 feature\(s\)"),
    "strings": (np.array([["a", "b"], ["c", "d"]]), "could not convert string to float"),
    "complex": (np.array([[1 + 1j, 2], [3, 4]]), "Complex data not supported"),
    "None": (np.array([[1.0, None], [2.0, 3.0]], dtype=object), NAN_MESSAGE),
    "a list with a string": ([[1.0, "x"], [2.0, 3.0]], "could not convert string to float"),
}


@st.composite
def matrices(draw, n_features=None, exponent=None, dtypes=FLOAT_DTYPES + OTHER_DTYPES):
    """Finite arrays of random shape, dtype and scale.

    Float arrays have values of about ``10**exponent``, drawn if not given,
    from 1e-30 to 1e30; float16 ones at most 10**3, where they stay finite.
    """
    n_samples = draw(st.integers(MIN_FIT_SAMPLES, 12))
    if n_features is None:
        n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.standard_normal((n_samples, n_features)) + draw(st.floats(-3, 3))
    if np.dtype(dtype).kind == "f":
        if exponent is None:
            exponent = draw(st.integers(-30, 30))
        if dtype is np.float16:
            exponent = min(exponent, FLOAT16_MAX_EXPONENT)
        return (values * 10.0**exponent).astype(dtype)
    if dtype is np.bool_:
        return values > 0
    info = np.iinfo(dtype)
    X = np.clip(np.round(values * draw(st.sampled_from([1, 10, 100]))), info.min, info.max)
    return X.astype(dtype)


@st.composite
def with_a_bad_value(draw, n_features=None, exponent=None):
    """A float matrix holding one NaN or infinity, and the error message that names it."""
    X = draw(matrices(n_features, exponent, dtypes=FLOAT_DTYPES))
    bad_value = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    X[draw(st.integers(0, X.shape[0] - 1)), draw(st.integers(0, X.shape[1] - 1))] = bad_value
    return X, NAN_MESSAGE if np.isnan(bad_value) else INFINITY_MESSAGE


def layouts(X, sparse=True):
    """``X`` as it is, as nested lists, or as a CSR matrix (scipy takes no float16)."""
    options = [X, X.tolist()]
    if sparse and X.dtype != np.float16:
        options.append(sp.csr_matrix(X))
    return st.sampled_from(options)


def n_features_of(X):
    return np.shape(X)[1]


def in_unit_interval(X):
    values = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    return bool(values.min() >= 0 and values.max() <= 1)


def expected_dtype(X):
    return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64


def assert_finite_output(output, shape, dtype):
    assert output.shape == shape
    assert output.dtype == dtype
    assert np.isfinite(output).all()


def autoencoders(n_features, in_unit_interval):
    """Small autoencoders whose parameters suit data of this width and range."""
    losses = ["auto", "mse", "bce"] if in_unit_interval else ["auto", "mse"]
    return st.builds(
        AutoencoderTransformer,
        n_components=st.integers(1, n_features),
        hidden_layer_sizes=st.sampled_from([(), (3,)]),
        loss=st.sampled_from(losses),
        noise=st.sampled_from([0.0, 0.1]),
        max_iter=st.just(2),
        random_state=st.just(0),
        device=st.just("cpu"),
    )


def small_autoencoder(**params):
    """One hidden unit layer of 3, a one-number code, one epoch."""
    defaults = dict(
        n_components=1, hidden_layer_sizes=(3,), max_iter=1, random_state=0, device="cpu"
    )
    return AutoencoderTransformer(**{**defaults, **params})


@functools.cache
def fitted_autoencoder():
    """A model of two features with a one-number code, fitted once."""
    return small_autoencoder().fit(np.arange(20.0).reshape(10, 2))


@st.composite
def fits(draw):
    """An autoencoder, and data it must fit: finite, of any dtype, layout and scale."""
    X = draw(matrices().flatmap(layouts))
    return draw(autoencoders(n_features_of(X), in_unit_interval(X))), X


@SETTINGS
@given(fit=fits())
def test_valid_data_fits_with_finite_output(fit):
    autoencoder, X = fit
    autoencoder.fit(X)
    n_samples, n_features = np.shape(X)
    codes = autoencoder.transform(X)
    assert_finite_output(codes, (n_samples, autoencoder.n_components_), expected_dtype(X))
    reconstructed = autoencoder.inverse_transform(codes)
    assert_finite_output(reconstructed, (n_samples, n_features), expected_dtype(X))
    scores = autoencoder.score_samples(X)
    assert scores.shape == (n_samples,) and not np.isnan(scores).any()


@st.composite
def fits_with_a_bad_value(draw):
    """An autoencoder, data holding a NaN or infinity, and the message naming it."""
    X, message = draw(with_a_bad_value())
    autoencoder = draw(autoencoders(X.shape[1], in_unit_interval=False))
    return autoencoder, draw(layouts(X)), message


@SETTINGS
@given(refused=fits_with_a_bad_value())
def test_data_with_nan_or_infinity_is_refused_naming_it(refused):
    autoencoder, X, message = refused
    with pytest.raises(ValueError, match=message):
        autoencoder.fit(X)


@SETTINGS
@given(X=matrices().flatmap(layouts), extra_components=st.integers(1, 3))
def test_code_wider_than_the_data_is_refused_naming_n_components(X, extra_components):
    n_features = n_features_of(X)
    n_components = n_features + extra_components
    message = (
        f"n_components={n_components} must be <= the number of features, n_features={n_features}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        small_autoencoder(n_components=n_components).fit(X)


@SETTINGS
@given(X=matrices().flatmap(layouts).filter(lambda X: not in_unit_interval(X)))
def test_cross_entropy_outside_the_unit_interval_is_refused_naming_the_loss(X):
    with pytest.raises(ValueError, match=r"loss='bce' needs training data in \[0, 1\]"):
        small_autoencoder(loss="bce").fit(X)


@pytest.mark.parametrize(
    "X, message",
    [pytest.param(X, message, id=name) for name, (X, message) in NOT_MATRICES.items()],
)
@pytest.mark.parametrize("method", ["fit", "transform", "score_samples", "inverse_transform"])
def test_input_that_is_no_matrix_is_refused_naming_the_problem(method, X, message):
    autoencoder = small_autoencoder() if method == "fit" else fitted_autoencoder()
    with pytest.raises(ValueError, match=message):
        getattr(autoencoder, method)(X)


@st.composite
def training_and_new_data(draw, new_data):
    """Training data, and ``new_data(n_features, exponent)`` drawn at their width and scale."""
    # New data come at the training data's scale: far beyond it, float32
    # arithmetic may overflow, as PCA's would.
    exponent = draw(st.integers(-30, 30))
    X = draw(matrices(exponent=exponent))
    return X, draw(new_data(X.shape[1], exponent))


def new_data_of_the_same_width(n_features, exponent):
    return matrices(n_features, exponent).flatmap(layouts)


@SETTINGS
@given(data=training_and_new_data(new_data_of_the_same_width))
def test_transform_of_new_data_gives_finite_output(data):
    X, X_new = data
    autoencoder = small_autoencoder().fit(X)
    n_samples = np.shape(X_new)[0]
    codes = autoencoder.transform(X_new)
    assert_finite_output(codes, (n_samples, 1), expected_dtype(X_new))
    scores = autoencoder.score_samples(X_new)
    assert scores.shape == (n_samples,) and not np.isnan(scores).any()


@st.composite
def refused_new_data(draw, n_features, exponent):
    """New data of another width or holding a bad value, and the message naming it."""
    if draw(st.booleans()):
        width = draw(st.integers(1, 6).filter(lambda width: width != n_features))
        X = draw(matrices(width, exponent).flatmap(layouts))
        message = f"X has {width} features, but AutoencoderTransformer is expecting {n_features}"
        return X, re.escape(message)
    X, message = draw(with_a_bad_value(n_features, exponent))
    return draw(layouts(X)), message


@SETTINGS
@given(data=training_and_new_data(refused_new_data))
def test_transform_refuses_new_data_naming_the_problem(data):
    X, (X_new, message) = data
    autoencoder = small_autoencoder().fit(X)
    for method in ("transform", "score_samples"):
        with pytest.raises(ValueError, match=message):
            getattr(autoencoder, method)(X_new)


# Codes at the scale transform produces, at most about 1e6: far beyond it,
# overflow would be the codes', not the model's, fault.
codes_at_a_sane_scale = st.integers(-30, 5).flatmap(
    lambda exponent: matrices(n_features=1, exponent=exponent)
)


@SETTINGS
@given(codes=codes_at_a_sane_scale.flatmap(functools.partial(layouts, sparse=False)))
def test_inverse_transform_of_codes_gives_finite_output(codes):
    output = fitted_autoencoder().inverse_transform(codes)
    assert_finite_output(output, (np.shape(codes)[0], 2), expected_dtype(codes))


@st.composite
def refused_codes(draw):
    """Codes of another width or holding a bad value, and the message naming it."""
    if draw(st.booleans()):
        width = draw(st.integers(2, 4))
        codes = draw(matrices(width).flatmap(functools.partial(layouts, sparse=False)))
        message = f"X has {width} columns, but inverse_transform expects codes of n_components_=1"
        return codes, re.escape(message)
    codes, message = draw(with_a_bad_value(n_features=1))
    return draw(layouts(codes, sparse=False)), message


@SETTINGS
@given(refused=refused_codes())
def test_inverse_transform_refuses_codes_naming_the_problem(refused):
    codes, message = refused
    with pytest.raises(ValueError, match=message):
        fitted_autoencoder().inverse_transform(codes)
