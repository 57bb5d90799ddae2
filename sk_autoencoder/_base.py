"""Machinery shared by every autoencoder estimator.

:class:`BaseAutoencoder` is a plain scikit-learn transformer: ``__init__``
stores parameters, ``fit`` validates them and the data, fits the internal
scaling, builds a torch module (the one thing subclasses provide) and trains
it with a skorch net. Transforming runs the module in batches without
autograd.
"""

import copy
import threading
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
from sklearn.decomposition import PCA
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_autoencoder._batching import map_in_batches
from sk_autoencoder._losses import nested_prefix_sizes
from sk_autoencoder._modules import (
    Autoencoder,
    OrderedAutoencoder,
    start_as_pca,
    with_linear_paths,
)
from sk_autoencoder._net import build_net
from sk_autoencoder._scaling import fit_scaling, lies_in_unit_interval

# Rows per inference batch are capped so that a batch holds about this many
# values: large enough to keep matrix products efficient, small enough that
# transforming a million rows needs no more memory than a few megabytes.
_INFERENCE_BATCH_VALUES = 2**21

# Code units fitted when ``n_components`` is a fraction of variance to
# explain (at most the number of features): as wide as the last hidden layer
# of the default dense network. Training with nested dropout costs the same
# at any width; the error curve behind ``explained_variance_ratio_`` costs one
# decoder pass over the training data per unit.
MAX_FRACTION_COMPONENTS = 128


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


# Weight initialisation, shuffles, noise and sampled codes all draw from
# torch's global generator. Fits running in threads of one process (joblib's
# threading backend, a Dask cluster of thread workers) would interleave their
# draws; they take turns instead, so each stays reproducible.
_GLOBAL_GENERATOR_LOCK = threading.RLock()


@contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators inside, leaving the caller's untouched."""
    devices = [device] if device.type == "cuda" else []
    with _GLOBAL_GENERATOR_LOCK, torch.random.fork_rng(devices=devices):
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
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "init": [StrOptions({"pca", "random"})],
        "ordered": ["boolean"],
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
        if isinstance(self.n_components, Real) and not isinstance(self.n_components, Integral):
            if not getattr(self, "ordered", False):
                raise ValueError(
                    f"n_components={self.n_components}, a fraction of variance to explain, "
                    "needs ordered=True: only ordered codes can be cut to the smallest "
                    "size that explains it."
                )
        elif self.n_components > n_features:
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
        X = self._validate_rows(X, reset=reset)
        self._check_training_data(X)
        return X

    def _validate_rows(self, X, reset):
        """Rows as a float array or CSR matrix; on fit (``reset``) record the features."""
        return validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset
        )

    def _initialize(self, X):
        """Fit the scaling, then build and initialise the network."""
        n_samples, n_features = X.shape
        self.device_ = resolve_device(self.device)
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        center, self.scale_ = fit_scaling(X)
        self.mean_ = center.astype(X.dtype)
        starts_as_pca = getattr(self, "init", "random") == "pca"
        if starts_as_pca and self.loss == "bce":
            raise ValueError(
                "init='pca' starts from PCA's reconstruction, the optimum of the squared "
                "error, which a sigmoid output cannot reproduce; use loss='mse' or "
                "loss='auto' with init='pca', or init='random' with loss='bce'."
            )
        if self.loss == "auto":
            bce = lies_in_unit_interval(X) and not starts_as_pca
            self.loss_ = "bce" if bce else "mse"
        else:
            self.loss_ = self.loss
        if self.loss_ == "bce" and not lies_in_unit_interval(X):
            raise ValueError(
                "loss='bce' needs training data in [0, 1]; use loss='mse' or "
                "loss='auto' for data outside that range."
            )
        batch_size = min(200, n_samples) if self.batch_size == "auto" else self.batch_size
        self._build_net(n_features, center, batch_size)
        if starts_as_pca:
            start_as_pca(self.net_.module_, self._pca_components(X))
        self.n_components_ = self._n_code_units(n_features)
        self.loss_curve_ = []
        if self.early_stopping:
            self.validation_loss_curve_ = []
        self.n_iter_ = 0

    def _build_net(self, n_features, center, batch_size):
        """Build ``net_`` around a freshly initialised module, without training.

        Uses the fitted ``scale_``, ``loss_``, ``device_`` and ``_seed``.
        :meth:`_initialize` calls it before training, and
        :func:`sk_autoencoder.load` before loading saved weights into it.
        """
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
        if getattr(self, "ordered", False):
            self._fit_ordering(X)

    def _n_code_units(self, n_features):
        """Width of the code the network learns: ``n_components``, or a cap for a fraction."""
        if isinstance(self.n_components, Integral):
            return int(self.n_components)
        return min(n_features, MAX_FRACTION_COMPONENTS)

    def _assemble_module(self, encoder, decoder, *, n_features, center, scale, loss, noise):
        """The autoencoder around ``encoder`` and ``decoder``, as ``init`` and ``ordered`` ask.

        Subclasses build their encoder and decoder and finish :meth:`_build_module`
        here. The architecture depends on the parameters alone, never on the
        data, so that :func:`sk_autoencoder.load` rebuilds it before loading
        weights; the data enter in :meth:`_initialize` (:func:`start_as_pca`).
        """
        n_units = self._n_code_units(n_features)
        if self.init == "pca":
            encoder, decoder = with_linear_paths(encoder, decoder, n_features, n_units)
        common = dict(center=center, scale=scale, loss=loss, noise=noise)
        if self.ordered:
            return OrderedAutoencoder(
                encoder, decoder, prefix_sizes=nested_prefix_sizes(n_units), **common
            )
        return Autoencoder(encoder, decoder, **common)

    def _pca_components(self, X):
        """PCA's components of ``X``, one row per code unit (zero rows past PCA's rank)."""
        n_samples, n_features = X.shape
        n_units = self._n_code_units(n_features)
        n_pca = min(n_units, n_samples, n_features)
        components = np.zeros((n_units, n_features))
        if n_samples > 1:
            pca = PCA(n_components=n_pca, random_state=self._seed).fit(X)
            components[:n_pca] = pca.components_
        return components

    def _fit_ordering(self, X):
        """``explained_variance_ratio_`` on the training data, and the code size for a fraction.

        The ratio of unit ``k`` is the gain in reconstruction R^2 from adding
        it to the first ``k - 1``, so their sum up to ``k`` is the R^2 of the
        first ``k`` units, as the sum of PCA's ratios is its explained variance.
        """
        module = self.net_.module_
        module.n_active.fill_(module.n_units)
        squared_errors = self._prefix_error_curve(X)
        # The total variance per sample, as the internal scaling measured it.
        total = self.n_features_in_ * self.scale_**2
        r2 = 1.0 - squared_errors / total
        n_components = module.n_units
        if not isinstance(self.n_components, Integral):
            reached = np.flatnonzero(r2 >= self.n_components)
            n_components = int(reached[0]) + 1 if len(reached) else module.n_units
        module.n_active.fill_(n_components)
        self.n_components_ = n_components
        self.explained_variance_ratio_ = np.diff(r2[:n_components], prepend=0.0)

    def error_curve(self, X):
        """Mean squared reconstruction error from the first ``k`` code units, for every ``k``.

        One fit gives the whole curve, as PCA's components do; an ordered
        autoencoder (``ordered=True``) is trained so that every prefix of its
        code is a good code. The other units are set to zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units the estimator was fitted on.

        Returns
        -------
        errors : ndarray of shape (n_units,)
            ``errors[k - 1]`` is the squared error per sample, summed over
            features, of reconstructing ``X`` from the first ``k`` units, for
            ``k`` up to the fitted code width (``n_components``, or the cap when
            it is a fraction).
        """
        check_is_fitted(self)
        if not getattr(self, "ordered", False):
            raise ValueError("error_curve needs an ordered code; fit with ordered=True.")
        X = self._validate_rows(X, reset=False)
        return self._prefix_error_curve(X)

    def _prefix_error_curve(self, X):
        n_units = self.net_.module_.n_units
        return self._map_rows("prefix_errors", X, n_units).mean(axis=0, dtype=np.float64)

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
        X = self._validate_rows(X, reset=False)
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
        X = self._validate_rows(X, reset=False)
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
