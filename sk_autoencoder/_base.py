"""Machinery shared by every autoencoder estimator.

:class:`BaseAutoencoder` is a plain scikit-learn transformer: ``__init__``
stores parameters, ``fit`` validates them and the data, fits the internal
scaling, builds a torch module (the one thing subclasses provide) and trains
it with a skorch net. Transforming runs the module in batches without
autograd.
"""

import copy
from abc import abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_autoencoder._batching import map_in_batches
from sk_autoencoder._net import build_net
from sk_autoencoder._scaling import fit_scaling, lies_in_unit_interval

# Rows per inference batch are capped so that a batch holds about this many
# values: large enough to keep matrix products efficient, small enough that
# transforming a million rows needs no more memory than a few megabytes.
_INFERENCE_BATCH_VALUES = 2**21


def resolve_device(device):
    """The torch device for the ``device`` parameter."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch finds no CUDA device; "
            "use device='auto' or device='cpu'."
        )
    return torch.device(device)


@contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators inside, leaving the caller's untouched."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        # torch.manual_seed would also queue a seed for every CUDA device,
        # which costs a millisecond per call even where there is none.
        torch.default_generator.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed(seed)
        yield


def check_layer_sizes(hidden_layer_sizes, name="hidden_layer_sizes"):
    """``hidden_layer_sizes`` as a tuple of positive ints, or a clear error."""
    try:
        sizes = tuple(hidden_layer_sizes)
    except TypeError:
        sizes = (hidden_layer_sizes,)
    if not all(isinstance(size, Integral) and size > 0 for size in sizes):
        raise ValueError(
            f"{name} must be a tuple of positive integers, got {hidden_layer_sizes!r}."
        )
    return tuple(int(size) for size in sizes)


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the autoencoder transformers; not for direct use.

    Subclasses define ``__init__`` (storing parameters only) and
    :meth:`_build_module`, and may refine :meth:`_check_training_data` and
    :meth:`_criterion_params`.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"relu", "tanh", "logistic", "identity"})],
        "loss": [StrOptions({"auto", "mse", "bce"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "contraction": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "net_params": [dict, None],
    }

    @abstractmethod
    def _build_module(self, n_features, center, scale, loss):
        """The untrained torch module for data with ``n_features`` columns."""

    def _criterion_params(self):
        """Extra parameters of the loss beyond the shared regularisers."""
        return {}

    def _check_training_data(self, X):
        """Estimator-specific checks of validated training data."""
        n_features = X.shape[1]
        if self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} must be <= the number of "
                f"features, n_features={n_features}."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, in any units: it is scaled internally.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = self._validate_training_data(X, reset=True)
        self._initialize(X)
        self._train(X, epochs=self.max_iter)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one more pass over ``X``.

        The first call initialises the network and the internal scaling from
        this first ``X``; later calls keep them. Useful for streaming data or
        data larger than memory.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The estimator, trained one epoch more.
        """
        first_call = not hasattr(self, "net_")
        X = self._validate_training_data(X, reset=first_call)
        if first_call:
            self._initialize(X)
        self._train(X, epochs=1)
        return self

    def _validate_training_data(self, X, reset):
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset)
        self._check_training_data(X)
        return X

    def _initialize(self, X):
        """Fit the scaling, then build and initialise the network."""
        n_samples, n_features = X.shape
        self.device_ = resolve_device(self.device)
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        center, self.scale_ = fit_scaling(X)
        self.mean_ = center.astype(X.dtype)
        if self.loss == "auto":
            self.loss_ = "bce" if lies_in_unit_interval(X) else "mse"
        else:
            self.loss_ = self.loss
        if self.loss_ == "bce" and not lies_in_unit_interval(X):
            raise ValueError(
                "loss='bce' needs training data in [0, 1]; use loss='mse' or "
                "loss='auto' for data outside that range."
            )
        batch_size = min(200, n_samples) if self.batch_size == "auto" else self.batch_size
        with seeded_torch(self._seed, self.device_):
            module = self._build_module(n_features, center, self.scale_, self.loss_)
            module.needs_input_gradient = self.contraction > 0
            self.net_ = build_net(
                self,
                module,
                loss=self.loss_,
                batch_size=batch_size,
                device=self.device_,
                criterion_params=self._criterion_params(),
            )
            self.net_.initialize()
        self.n_components_ = self.n_components
        self.loss_curve_ = []
        if self.early_stopping:
            self.validation_loss_curve_ = []
        self.n_iter_ = 0

    def _train(self, X, epochs):
        """Run ``epochs`` epochs and record the losses of those that finished."""
        n_epochs_before = len(self.net_.history)
        # Each call draws fresh shuffles and noise, reproducibly: the seed
        # depends on how far training has gone.
        with seeded_torch(self._seed + n_epochs_before, self.device_):
            self.net_.partial_fit(X, epochs=epochs)
        finished = [row for row in self.net_.history[n_epochs_before:] if "train_loss" in row]
        self.loss_curve_ += [row["train_loss"] for row in finished]
        if self.early_stopping:
            self.validation_loss_curve_ += [row["valid_loss"] for row in finished]
        self.n_iter_ += len(finished)

    @property
    def _n_features_out(self):
        return self.n_components_

    def _inference_module(self, dtype):
        """The trained module in eval mode, computing in ``dtype``.

        The network trains in float32. For float64 input it is evaluated in
        float64 on a copy, so results do not depend on how rows are batched
        and float64 users get float64 arithmetic, as PCA gives them.
        """
        module = self.net_.module_
        if dtype == np.float64:
            module = copy.deepcopy(module).double()
        return module.eval()

    def _map_rows(self, method_name, X, n_outputs):
        """Apply ``module.<method_name>`` to ``X`` batch by batch."""
        module = self._inference_module(X.dtype)
        batch_size = max(1, min(X.shape[0], _INFERENCE_BATCH_VALUES // max(X.shape[1], n_outputs)))
        return map_in_batches(
            getattr(module, method_name),
            X,
            n_outputs=n_outputs,
            dtype=X.dtype,
            device=self.device_,
            batch_size=batch_size,
        )

    def transform(self, X):
        """Encode ``X`` into codes of ``n_components`` values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units the estimator was fitted on.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in ``X``'s float dtype.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        return self._map_rows("encode", X, self.n_components_)

    def inverse_transform(self, X):
        """Decode codes back to the input space, in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstructions, in ``X``'s float dtype.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} columns, but inverse_transform expects codes "
                f"of n_components_={self.n_components_} columns."
            )
        return self._map_rows("decode", X, self.n_features_in_)

    def score_samples(self, X):
        """Negative squared reconstruction error of each sample.

        Summed over features, in the original units: greater is better, and a
        low score flags a sample the autoencoder cannot reconstruct, such as an
        anomaly.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Per-sample score.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        return self._map_rows("score_rows", X, 1).ravel()

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over ``X``: greater is better.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags
