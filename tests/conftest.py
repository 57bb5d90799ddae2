"""Shared test fixtures: digits to train and judge on, small estimators, one torch thread."""

import functools

import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

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


# ---------------------------------------------------------------------------
# Small torch networks for CustomAutoencoderTransformer: test modules import them
# from tests.conftest, so that the estimator checks can pickle them by name.
# ---------------------------------------------------------------------------

# Classes whose construction a test checks did not happen (a file naming them
# must be refused before any of them is built).
CONSTRUCTED = []


class TinyEncoder(nn.Module):
    """Rows of ``n_features`` values to codes of ``n_components``, through one hidden layer."""

    def __init__(self, n_features, n_components=2, width=8):
        super().__init__()
        CONSTRUCTED.append(type(self).__name__)
        self.layers = nn.Sequential(
            nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, n_components)
        )

    def forward(self, X):
        return self.layers(X)


class TinyDecoder(TinyEncoder):
    """Codes of ``n_components`` values back to rows of ``n_features``."""

    def __init__(self, n_features, n_components=2, width=8):
        super().__init__(n_components, n_features, width)


class DigitsEncoder(nn.Module):
    """An 8 x 8 digit to a code of 4 values: built with no arguments, so an instance saves."""

    def __init__(self):
        super().__init__()
        CONSTRUCTED.append(type(self).__name__)
        self.fc = nn.Linear(64, 4)

    def forward(self, X):
        return self.fc(X)


class ConvEncoder(nn.Module):
    """An image of ``(1, 8, 8)`` to a code of ``n_components``, through a convolution."""

    def __init__(self, n_components=3):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, stride=2, padding=1)
        self.head = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(32, n_components))

    def forward(self, X):
        return self.head(self.conv(X))


class ImageDecoder(nn.Module):
    """A code of ``n_components`` to an image of ``(1, 8, 8)`` (not a flat row)."""

    def __init__(self, n_components=3):
        super().__init__()
        self.fc = nn.Linear(n_components, 64)

    def forward(self, code):
        return self.fc(code).reshape(-1, 1, 8, 8)
