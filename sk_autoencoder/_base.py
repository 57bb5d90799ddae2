"""Machinery shared by every autoencoder estimator.

:class:`BaseAutoencoder` is a plain scikit-learn transformer: ``__init__``
stores parameters, ``fit`` validates them and the data, fits the internal
scaling, builds a torch module (the one thing subclasses provide) and trains
it with a skorch net. Transforming runs the module in batches without
autograd.
"""

import math
from abc import ABCMeta, abstractmethod
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

from sk_autoencoder._batching import TrainRows, rounds_of, scaled_tensor
from sk_autoencoder._budget import MAX_EPOCHS, PATIENCE_SHARE, plan_training
from sk_autoencoder._devices import resolve_device, seeded_torch
from sk_autoencoder._distributed import (
    SingleProcess,
    check_shards,
    checked_on_every_process,
    data_parallel,
    equal_batch_count,
    training_processes,
)
from sk_autoencoder._floor import (
    PCAStatistics,
    aligned_signs,
    beats_baseline,
    pca_statistics,
    scored_rows,
    update_incremental_pca,
    validation_split,
)
from sk_autoencoder._inference import map_rows, score_scaled
from sk_autoencoder._net import AutoencoderNet, build_net
from sk_autoencoder._scaling import fit_scaling, lies_in_unit_interval
from sk_autoencoder._threads import threads_for_free_cores

# ``batch_size="auto"``: see :func:`auto_batch_size`.
AUTO_STEPS_PER_EPOCH = 20
MIN_AUTO_BATCH_SIZE = 16

# What a PCA user reaches for and an autoencoder lacks, and what to use instead.
_PCA_ATTRIBUTE_HINTS = {
    "components_": (
        "the decoder is a nonlinear network, not a matrix of components. Decode codes "
        "with inverse_transform; the PCA the network started from is scikit-learn's "
        "PCA(n_components).fit(X).components_."
    ),
    "explained_variance_ratio_": (
        "an autoencoder's code units are not ordered by variance unless it is fitted "
        "with ordered=True, which gives explained_variance_ratio_ and error_curve(X). "
        "score(X) gives the mean reconstruction error."
    ),
    "explained_variance_": (
        "the code units carry no variance of their own; fit with ordered=True for "
        "explained_variance_ratio_, or use error_curve(X)."
    ),
    "singular_values_": "the network has no singular values; see error_curve(X) with ordered=True.",
    "noise_variance_": (
        "a deterministic autoencoder has no noise model; VariationalAutoencoderTransformer "
        "has a Gaussian likelihood, and score_samples gives its ELBO."
    ),
}


def auto_batch_size(n_samples):
    """``batch_size="auto"``: 200 rows, fewer for small data, so an epoch has about 20 steps.

    MLPRegressor's ``min(200, n_samples)`` leaves a table of 150 rows one
    step per epoch, 100 steps in a default fit, too few to learn anything
    past PCA. Measured on 24 real tables (the tabular benchmark), about 20
    steps per epoch brought the median held-out error from 0.97 to 0.81 of
    PCA's; large data keep 200 rows.
    """
    return int(min(200, max(MIN_AUTO_BATCH_SIZE, n_samples // AUTO_STEPS_PER_EPOCH), n_samples))


class BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the autoencoder transformers; not for direct use.

    Subclasses define ``__init__`` (storing parameters only) and
    :meth:`_build_module`, and may refine :meth:`_check_training_data` and
    :meth:`_criterion_params`. A subclass whose network starts as PCA says so
    in :meth:`_starts_as_pca` and sets the start in :meth:`_start_from_pca`;
    the base then holds rows out, keeps the best state from epoch 0 on, and
    falls back to PCA where the network does not beat it on those rows.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "activation": [StrOptions({"relu", "tanh", "logistic", "identity"})],
        "loss": [StrOptions({"auto", "mse", "bce"})],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
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

    # The skorch net class and the optimizer training uses (see build_net).
    _net_class = AutoencoderNet
    _optimizer = torch.optim.Adam
    # Passes over small data that ``max_iter="auto"`` trains at the most.
    _budget_epochs = MAX_EPOCHS

    @abstractmethod
    def _build_module(self, n_features, center, scale, loss):
        """The untrained torch module for data with ``n_features`` columns."""

    def _starts_as_pca(self):
        """Whether the network starts as PCA and PCA is its floor (with ``loss_`` resolved)."""
        return False

    def _start_from_pca(self, statistics, first):
        """Set the module's fixed affine paths from :class:`PCAStatistics`.

        ``first`` is True when the network is fresh (its last layers are then
        zeroed, so it computes PCA exactly), False when a stream updates the
        paths of a network in training.
        """
        raise NotImplementedError

    def _criterion_params(self):
        """Extra parameters of the loss beyond the shared regularisers."""
        return {}

    def __getattr__(self, name):
        # Only reached when normal lookup fails: say what to use instead of
        # the PCA attributes an autoencoder does not have.
        if name in _PCA_ATTRIBUTE_HINTS:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}: {_PCA_ATTRIBUTE_HINTS[name]}"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_training_data(self, X):
        """Estimator-specific checks of validated training data."""
        n_features = X.shape[1]
        if isinstance(self.n_components, Integral) and self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} must be <= the number of "
                f"features, n_features={n_features}."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Inside a started ``torch.distributed`` process group of several
        processes (under ``torchrun`` or ``accelerate launch``), each process
        passes its own shard of the rows and all train one model together:
        see the user guide's "Scaling out" page.

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
        processes = training_processes()
        X = checked_on_every_process(processes, self._validate_training_data, X, reset=True)
        self._initialize(X, streaming=False, processes=processes)
        self._train(X, streaming=False, processes=processes)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one more pass over ``X``.

        The first call initialises the network and the internal scaling from
        this first ``X``; later calls keep the scaling. Useful for streaming
        data or data larger than memory. A network that starts as PCA follows
        an ``IncrementalPCA`` of the chunks seen so far, and after each call
        it is used only if it beats that PCA on the chunk's held-out rows.

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
        if training_processes().world_size > 1:
            raise ValueError(
                "partial_fit trains in one process; inside a torch.distributed process "
                "group, call fit on each process's shard of the rows to train one model "
                "over all of them, or stream blocks with dask_ml.wrappers.Incremental."
            )
        first_call = not hasattr(self, "net_")
        X = self._validate_training_data(X, reset=first_call)
        if first_call:
            self._initialize(X, streaming=True, processes=SingleProcess())
        elif "incremental_pca_" in vars(self):
            # Started by partial_fit: the PCA follows the stream. After fit,
            # the network keeps the PCA of the data it was fitted on.
            self._follow_incremental_pca(X)
        self._train(X, streaming=True, processes=SingleProcess())
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

    def _resolve_loss(self, X, processes):
        """``loss_`` for ``loss`` and the training data (of every process)."""
        loss = self.loss
        in_unit_interval = lies_in_unit_interval(X, processes)
        if loss == "auto":
            loss = "bce" if in_unit_interval else "mse"
        if loss == "bce" and not in_unit_interval:
            raise ValueError(
                "loss='bce' needs training data in [0, 1]; use loss='mse' or "
                "loss='auto' for data outside that range."
            )
        return loss

    def _initialize(self, X, streaming, processes):
        """Fit the scaling, then build the network and start it (as PCA, where it starts so).

        ``processes`` (:mod:`~sk_autoencoder._distributed`) train the model
        together, each on its ``X``: the scaling, the loss and the PCA start
        are those of all their rows.
        """
        n_samples, n_features = X.shape
        if processes.world_size > 1:
            check_shards(processes, X.shape)
        self.device_ = processes.device(resolve_device(self.device))
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        center, self.scale_ = fit_scaling(X, processes)
        self.mean_ = center.astype(X.dtype)
        self.loss_ = self._resolve_loss(X, processes)
        self.n_components_ = self._n_components(n_features)
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = auto_batch_size(int(processes.sum(n_samples)))
        self._build_net(n_features, center, batch_size, processes)
        self.loss_curve_ = []
        if self.early_stopping:
            self.validation_loss_curve_ = []
        self.n_iter_ = 0
        # Without a floor the network is always used; the floor may decide otherwise.
        self.network_kept_ = True
        vars(self).pop("incremental_pca_", None)
        if not self._starts_as_pca():
            return
        n_components = self.n_components_
        if streaming:
            self.incremental_pca_ = None
            self._follow_incremental_pca(X)
        else:
            statistics = pca_statistics(X, n_components, self._seed, center, self.scale_, processes)
            self._start_from_pca(statistics, first=True)

    def _follow_incremental_pca(self, X):
        """Update the stream's ``IncrementalPCA`` with ``X`` and move the network's PCA onto it."""
        first = self.incremental_pca_ is None
        n_components = self._n_components(self.n_features_in_)
        pca, self.incremental_pca_ = update_incremental_pca(
            self.incremental_pca_, X, n_components, self._center(), self.scale_
        )
        if pca is None:
            return
        statistics = PCAStatistics.from_pca(pca, n_components)
        if not first:
            previous = self.net_.module_.decoder.weight.T.cpu().numpy()
            statistics.components = aligned_signs(statistics.components, previous)
        self._start_from_pca(statistics, first=first)

    def _center(self):
        """The internal scaling's centre in float64, as the network holds it."""
        return self.net_.module_.center.cpu().numpy()

    def _holds_out_rows(self):
        return self.early_stopping or self._starts_as_pca()

    def _build_net(self, n_features, center, batch_size, processes=None):
        """Build ``net_`` around a freshly initialised module, without training.

        Uses the fitted ``scale_``, ``loss_``, ``device_`` and ``_seed``;
        ``processes`` train it together (None: this one alone).
        :meth:`_initialize` calls it before training, and
        :func:`sk_autoencoder.load` before loading saved weights into it.
        """
        with seeded_torch(self._seed, self.device_):
            module = self._build_module(n_features, center, self.scale_, self.loss_)
            module.needs_input_gradient = self._criterion_params().get("contraction", 0) > 0
            self.net_ = build_net(
                self,
                module,
                loss=self.loss_,
                batch_size=batch_size,
                device=self.device_,
                center=np.asarray(center, dtype=np.float64),
                scale=self.scale_,
                validated=self._holds_out_rows(),
                criterion_params=self._criterion_params(),
                processes=processes,
            )
            self.net_.initialize()

    def _callback(self, name):
        return dict(self.net_.callbacks_).get(name)

    def _train(self, X, streaming, processes):
        """Train as :func:`~sk_autoencoder._budget.plan_training` plans; record what finished.

        With held-out rows (the PCA floor, or ``early_stopping``), the net
        trains on the other rows only and scores the held-out ones after
        every round; a fit keeps the best state, and falls back to its PCA
        start unless the network beats it on the held-out rows; a streaming
        step uses the network only where it beats the stream's PCA on the
        chunk's held-out rows. ``processes`` train the model together, each
        on its ``X``, and decide on all their held-out rows.
        """
        n_epochs_before = len(self.net_.history)
        split = None
        if self._holds_out_rows():
            # The same positions of a chunk of the same size are held out in
            # every pass of a stream, so no pass trains on them.
            split = validation_split(X.shape[0], self.validation_fraction, self._seed)
        guard = self._callback("validation")
        self.net_.train_split = None if split is None else TrainRows(split[0])
        X_valid = None
        if split is not None:
            scored, halves = scored_rows(split[1], self._seed)
            X_valid = scaled_tensor(X[scored], self._center(), self.scale_, self.device_)
            guard.watch(X_valid, halves)
        elif guard is not None:
            guard.watch(None)
        if streaming and self._starts_as_pca():
            # Validate the network itself; the switch is decided after the step.
            self.net_.module_.use_network(True)
        n_training_rows = X.shape[0] if split is None else len(split[0])
        plan = self._plan_training(n_training_rows, streaming, processes)
        self._callback("learning_rate").plan(plan.n_rounds if plan.anneal else None)
        # While the learning rate is still high the held-out error can stall for
        # a while and then improve as it anneals: a budget's stop waits for a
        # share of its length.
        patience = self.n_iter_no_change
        if self.max_iter == "auto":
            patience = max(patience, math.ceil(PATIENCE_SHARE * plan.n_rounds))
        self._callback("stopping").patience = patience
        if self._callback("progress") is not None:
            self._callback("progress").plan(plan.n_rounds)
        # Each call draws fresh shuffles and noise, reproducibly: the seed
        # depends on how far training has gone.
        with (
            data_parallel(self.net_, processes, n_training_rows),
            rounds_of(self.net_, plan.batches_per_round),
            seeded_torch(self._seed + n_epochs_before, self.device_),
            threads_for_free_cores(self.device_),
        ):
            self.net_.partial_fit(X, epochs=plan.n_rounds)
        # The split's row positions grow with the data: a fitted net keeps none.
        self.net_.train_split = None
        finished = [row for row in self.net_.history[n_epochs_before:] if "train_loss" in row]
        self.loss_curve_ += [row["train_loss"] for row in finished]
        if self.early_stopping:
            self.validation_loss_curve_ += [row.get("valid_loss", np.nan) for row in finished]
        self.n_iter_ += len(finished)
        if split is not None and self._starts_as_pca():
            if streaming:
                self._use_network_if_it_beats_pca(guard, X_valid, processes)
            else:
                self._keep_network_if_it_beats_pca(guard, processes)
            self._say_what_the_floor_kept()
        elif split is not None:
            guard.finish(self.net_, keep_best=True)
        self._after_training(X, processes)

    def _plan_training(self, n_training_rows, streaming, processes):
        """The rounds of this training call (see :mod:`~sk_autoencoder._budget`)."""
        batch_size = self.net_.batch_size
        if processes.world_size > 1:
            steps_per_pass = equal_batch_count(processes, n_training_rows, batch_size)
        else:
            steps_per_pass = -(-n_training_rows // batch_size)
        parameters = self.net_.module_.parameters()
        return plan_training(
            self.max_iter,
            steps_per_pass=steps_per_pass,
            rows_per_step=batch_size * processes.world_size,
            n_parameters=sum(p.numel() for p in parameters if p.requires_grad),
            max_epochs=self._budget_epochs,
            streaming=streaming,
        )

    def _keep_network_if_it_beats_pca(self, guard, processes):
        """After a fit: keep the best state only if it beats PCA on held-out rows.

        The rows are judged as of the rounds that the other half of them
        chose (the guard's ``cross_scores_``), so that the choice of the best
        of many rounds does not judge itself.
        """
        judged = guard.cross_scores_ if guard.cross_scores_ is not None else guard.best_scores_
        improved = guard.best_epoch_ > guard.initial_epoch_
        keep = improved and beats_baseline(judged, guard.initial_scores_, processes)
        guard.finish(self.net_, keep_best=keep)
        self.network_kept_ = bool(keep)
        self.pca_validation_error_ = guard.validation_loss(guard.initial_scores_)
        self.validation_error_ = guard.validation_loss(guard.best_scores_)

    def _use_network_if_it_beats_pca(self, guard, X_valid, processes):
        """After a streaming step: use the network only if it beats the stream's PCA."""
        guard.finish(self.net_, keep_best=True)
        # The guard scored the kept state with the network on.
        network_scores = guard.best_scores_
        module = self.net_.module_
        module.use_network(False)
        pca_scores = score_scaled(module, X_valid)
        keep = beats_baseline(network_scores, pca_scores, processes)
        module.use_network(keep)
        self.network_kept_ = bool(keep)
        self.pca_validation_error_ = guard.validation_loss(pca_scores)
        self.validation_error_ = guard.validation_loss(network_scores if keep else pca_scores)

    def _say_what_the_floor_kept(self):
        if not self.verbose:
            return
        errors = (
            f"held-out error {self.validation_error_:.6g} per row, PCA's "
            f"{self.pca_validation_error_:.6g}"
        )
        if self.network_kept_:
            print(f"{type(self).__name__}: kept the network ({errors}).")
        else:
            print(
                f"{type(self).__name__}: returned PCA; the network did not beat it on "
                f"the held-out rows ({errors})."
            )

    def _n_components(self, n_features):
        """Width of the code the network learns: ``n_components``, or every feature for None."""
        if self.n_components is None:
            return n_features
        return int(self.n_components)

    def _after_training(self, X, processes):
        """What a part does after each training call, on the training data (of ``processes``)."""

    @property
    def _n_features_out(self):
        return self.n_components_

    def _map_rows(self, method_name, X, n_outputs):
        """Apply ``module.<method_name>`` to ``X`` batch by batch."""
        with threads_for_free_cores(self.device_):
            return map_rows(
                self.net_.module_, method_name, X, n_outputs=n_outputs, device=self.device_
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
            Mean negative squared reconstruction error per sample.
        """
        return float(np.mean(self.score_samples(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags
