"""Property-based tests: any input either works, with finite output, or fails clearly."""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sk_autoencoder import AutoencoderTransformer

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    # scikit-learn's finiteness check sums X first; a sum of inf and -inf
    # warns just before the check raises its clear error.
    pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning"),
]

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
OTHER_DTYPES = [np.int8, np.int64, np.uint8, np.bool_]
BAD_VALUES = [np.nan, np.inf, -np.inf]
# Every example fits a tiny network, which takes milliseconds: keep the
# number of examples moderate and let slow ones run (the machine may be busy).
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def matrices(draw, n_features=None, bad_values=True, exponent=None):
    """Arrays of random shape, dtype and scale, sometimes holding a NaN or infinity.

    Float arrays have values of about ``10**exponent``, drawn if not given.
    """
    n_samples = draw(st.integers(1, 12))
    if n_features is None:
        n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(FLOAT_DTYPES + OTHER_DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.standard_normal((n_samples, n_features)) + draw(st.floats(-3, 3))
    if np.dtype(dtype).kind == "f":
        # From 1e-30 to 1e30: float16 overflows to infinity beyond 65504, a
        # bad value for fit to refuse; float32 and float64 hold them all.
        if exponent is None:
            exponent = draw(st.integers(-30, 30))
        values *= 10.0**exponent
        with np.errstate(over="ignore"):
            X = values.astype(dtype)
        if bad_values and draw(st.booleans()):
            X[draw(st.integers(0, n_samples - 1)), draw(st.integers(0, n_features - 1))] = draw(
                st.sampled_from(BAD_VALUES)
            )
    elif dtype is np.bool_:
        X = values > 0
    else:
        info = np.iinfo(dtype)
        X = np.clip(np.round(values * draw(st.sampled_from([1, 10, 100]))), info.min, info.max)
        X = X.astype(dtype)
    return X


def inputs(n_features=None, exponent=None):
    """Matrices, as arrays, lists or sparse matrices, and inputs that are no matrix."""
    return st.one_of(
        matrices(n_features, exponent=exponent),
        matrices(n_features, exponent=exponent).map(np.ndarray.tolist),
        matrices(n_features, exponent=exponent)
        .filter(lambda X: X.dtype != np.float16)
        .map(sp.csr_matrix),
        st.sampled_from(
            [
                np.ones(3),
                np.ones((2, 1, 1)),
                np.empty((0, 2)),
                np.empty((2, 0)),
                np.array([["a", "b"], ["c", "d"]]),
                np.array([[1 + 1j, 2], [3, 4]]),
                np.array([[1.0, None], [2.0, 3.0]], dtype=object),
                [[1.0, "x"], [2.0, 3.0]],
            ]
        ),
    )


def expected_dtype(X):
    return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64


def fits_or_fails_clearly(autoencoder, X):
    """Fit, and tell whether it worked; a failure must be a clear ValueError or TypeError."""
    try:
        with warnings.catch_warnings():
            # Reported divergence is a legitimate outcome.
            warnings.simplefilter("ignore", ConvergenceWarning)
            autoencoder.fit(X)
    except (ValueError, TypeError) as error:
        assert len(str(error)) > 20, f"unclear error: {error!r}"
        event(f"fit refused: {str(error)[:40]}")
        return False
    event("fit worked")
    return True


def assert_finite_output(output, shape, dtype):
    assert output.shape == shape
    assert output.dtype == dtype
    assert np.isfinite(output).all()


def autoencoders():
    return st.builds(
        AutoencoderTransformer,
        n_components=st.integers(1, 7),
        hidden_layer_sizes=st.sampled_from([(), (3,)]),
        loss=st.sampled_from(["auto", "mse", "bce"]),
        noise=st.sampled_from([0.0, 0.1]),
        max_iter=st.just(2),
        random_state=st.just(0),
        device=st.just("cpu"),
    )


@SETTINGS
@given(autoencoder=autoencoders(), X=inputs())
def test_fit_transform_and_inverse_work_or_fail_clearly(autoencoder, X):
    if not fits_or_fails_clearly(autoencoder, X):
        return
    n_samples, n_features = np.shape(X)
    codes = autoencoder.transform(X)
    assert_finite_output(codes, (n_samples, autoencoder.n_components_), expected_dtype(X))
    reconstructed = autoencoder.inverse_transform(codes)
    assert_finite_output(reconstructed, (n_samples, n_features), expected_dtype(X))
    scores = autoencoder.score_samples(X)
    assert scores.shape == (n_samples,) and not np.isnan(scores).any()


@st.composite
def fitted_and_input(draw):
    """A fitted autoencoder, and new data of its width (or not) for transform."""
    # New data come at the training data's scale: far beyond it, float32
    # arithmetic may overflow, as PCA's would.
    exponent = draw(st.integers(-30, 30))
    X = draw(matrices(bad_values=False, exponent=exponent))
    autoencoder = AutoencoderTransformer(
        n_components=1, hidden_layer_sizes=(3,), max_iter=1, random_state=0, device="cpu"
    )
    if not fits_or_fails_clearly(autoencoder, X):
        return None, None
    wrong_width = draw(st.booleans()) and draw(st.integers(1, 6))
    new = draw(inputs(n_features=wrong_width or X.shape[1], exponent=exponent))
    return autoencoder, new


@SETTINGS
@given(pair=fitted_and_input())
def test_transform_of_new_data_works_or_fails_clearly(pair):
    autoencoder, X = pair
    if autoencoder is None:
        return
    for method, n_outputs in (("transform", 1), ("score_samples", None)):
        try:
            output = getattr(autoencoder, method)(X)
        except (ValueError, TypeError) as error:
            assert len(str(error)) > 20, f"unclear error: {error!r}"
            continue
        n_samples = np.shape(X)[0]
        if n_outputs is None:
            assert output.shape == (n_samples,) and not np.isnan(output).any()
        else:
            assert_finite_output(output, (n_samples, n_outputs), expected_dtype(X))


@functools.cache
def small_fitted_autoencoder():
    return AutoencoderTransformer(
        n_components=1, hidden_layer_sizes=(3,), max_iter=1, random_state=0, device="cpu"
    ).fit(np.arange(20.0).reshape(10, 2))


@SETTINGS
@given(
    codes=st.one_of(
        matrices(n_features=1),
        matrices(n_features=2),
        st.just(np.ones(3)),
        st.just(np.ones((2, 1, 1))),
        st.just(np.array([["a"], ["b"]])),
        st.just(np.array([[1 + 1j]])),
        st.just(np.empty((0, 1))),
    )
)
def test_inverse_transform_works_or_fails_clearly(codes):
    autoencoder = small_fitted_autoencoder()
    try:
        output = autoencoder.inverse_transform(codes)
    except (ValueError, TypeError) as error:
        assert len(str(error)) > 20, f"unclear error: {error!r}"
        return
    # Codes at the scale transform produces; far beyond it, overflow would
    # be the data's, not the model's, fault.
    if np.abs(codes.astype(np.float64)).max() < 1e6:
        assert_finite_output(output, (codes.shape[0], 2), expected_dtype(codes))
