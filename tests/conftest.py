"""Shared test fixtures: digits to train and judge on, small estimators, one torch thread."""

import functools

import pytest
import torch
from sklearn.datasets import load_digits

from sk_autoencoder import AutoencoderTransformer, ConvAutoencoderTransformer

# Tests train on the first rows of the digits and judge on the others: a bound
# against PCA or a baseline means something only on rows the fit did not see.
N_TRAINING_DIGITS = 1200


@functools.cache
def _digits():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="session")
def training_digits():
    """The first 1,200 of scikit-learn's 8 x 8 digits, ``(X, y)``: rows tests train on."""
    X, y = _digits()
    return X[:N_TRAINING_DIGITS], y[:N_TRAINING_DIGITS]


@pytest.fixture(scope="session")
def held_out_digits():
    """The other 597 digits, ``(X, y)``: no test trains on them."""
    X, y = _digits()
    return X[N_TRAINING_DIGITS:], y[N_TRAINING_DIGITS:]


@pytest.fixture(scope="session")
def digits(training_digits):
    """The first 400 training digits, ``(X, y)``: enough rows for quick fits."""
    X, y = training_digits
    return X[:400], y[:400]


@pytest.fixture(scope="session")
def fast_dense():
    """Make an AutoencoderTransformer small enough for a test; keywords override."""
    return functools.partial(
        AutoencoderTransformer,
        n_components=4,
        hidden_layer_sizes=(16,),
        max_iter=3,
        random_state=0,
        device="cpu",
    )


@pytest.fixture(scope="session")
def fast_conv():
    """Make a ConvAutoencoderTransformer of 8 x 8 digits small enough for a test."""
    return functools.partial(
        ConvAutoencoderTransformer,
        n_components=4,
        image_shape=(8, 8),
        channels=(4, 8),
        max_iter=2,
        random_state=0,
        device="cpu",
    )


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run every test's torch on one thread, as a joblib worker would.

    On a small, busy machine torch's default of one thread per core can make
    tiny networks ten times slower (the suite took 36 minutes instead of 5
    with another process on one of two cores); results do not depend on it.
    A test about threads sets its own.
    """
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
