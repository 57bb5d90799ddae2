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

from sk_autoencoder._attribute_hints import PCAAttributeHintsMixin
from sk_autoencoder._batching import TrainRows, rounds_of
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
from sk_autoencoder._held_out import scored_rows, validation_split
from sk_autoencoder._inference import map_rows
from sk_autoencoder._layers import LayerOutputsMixin
from sk_autoencoder._net import AutoencoderNet, NetConfig, build_net, plan_rounds
from sk_autoencoder._scaling import Scaling, lies_in_unit_interval
from sk_autoencoder._threads import threads_for_free_cores
from sk_autoencoder._training_call import TrainingCall

# ``batch_size="auto"``: see :func:`auto_batch_size`.
AUTO_STEPS_PER_EPOCH = 20
MIN_AUTO_BATCH_SIZE = 16


# Rows a fit needs at the least (a ``partial_fit`` chunk may hold one).
MIN_FIT_SAMPLES = 2


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
    LayerOutputsMixin,
    PCAAttributeHintsMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Base class of the autoencoder transformers; not for direct use.

    Subclasses define ``__init__`` (storing parameters only) and
    :meth:`_build_module`, and may refine :meth:`_check_training_data` and
    :meth:`_criterion_params`. Parts mixed in before the base (the PCA
    floor, ordered codes) extend training through its hooks, each a no-op
    here: :meth:`_start` after the network is built, :meth:`_continue_stream`
    before a later ``partial_fit`` step, :meth:`_holds_out_rows`,
    :meth:`_before_training`, :meth:`_finish_validated_training` and
    :meth:`_after_training`. ``fit`` and ``partial_fit`` describe what they
    train on in one :class:`~sk_autoencoder._training_call.TrainingCall`
    (the rows, whether the call is a stream's step, the processes that
    train together), which every hook of the call receives.
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
    def _build_module(self, n_features, scaling, loss):
        """The untrained torch module for data with ``n_features`` columns.

        ``scaling`` is the fitted :class:`~sk_autoencoder._scaling.Scaling`,
        which the module holds; ``loss`` is ``loss_``.
        """

    def _criterion_params(self):
        """Extra parameters of the loss (:class:`~sk_autoencoder._losses.AutoencoderLoss`)."""
        return {}

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
        n_samples = int(processes.sum(X.shape[0]))
        if n_samples < MIN_FIT_SAMPLES:
            # One row has no spread to scale by and no direction to learn:
            # the probabilistic models would compute NaN from it.
            raise ValueError(
                f"fit needs at least {MIN_FIT_SAMPLES} rows, got n_samples={n_samples}."
            )
        call = TrainingCall(X, streaming=False, processes=processes)
        self._initialize(call)
        self._train(call)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one more pass over ``X``.

        The first call initialises the network and the internal scaling from
        this first ``X``; later calls keep the scaling. Useful for streaming
        data or data larger than memory. A network that starts as PCA follows
        an ``IncrementalPCA`` of the chunks seen so far, and after each call
        it is used only if it beats that PCA on the chunk's held-out rows. A
        chunk of one row holds none out: it trains the network, and the last
        decision stands (PCA before any).

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
        call = TrainingCall(self._validate_training_data(X, reset=first_call), streaming=True)
        if first_call:
            self._initialize(call)
        else:
            self._continue_stream(call)
        self._train(call)
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
        """``loss_`` for ``loss`` and ``X``, the rows the output is compared with.

        ``X`` is this process's share of them; ``processes`` hold the rest.
        """
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

    def _initialize(self, call):
        """Fit the scaling, build the network, and let the parts start it (:meth:`_start`).

        From the first :class:`~sk_autoencoder._training_call.TrainingCall`;
        its processes train the model together, each on its ``X``: the
        scaling and the loss are those of all their rows.
        """
        X, processes = call.X, call.processes
        n_samples, n_features = X.shape
        if processes.world_size > 1:
            check_shards(processes, X.shape)
        self.device_ = processes.device(resolve_device(self.device))
        self._seed = call.seed
        if self._seed is None:
            self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        scaling = Scaling.fit(X, processes)
        self.mean_ = scaling.center_array.astype(X.dtype)
        self.scale_ = scaling.scale_value
        self.loss_ = self._resolve_loss(X, processes)
        self.n_components_ = self._n_components(n_features)
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = auto_batch_size(int(processes.sum(n_samples)))
        self._build_net(n_features, scaling, batch_size, call)
        self.loss_curve_ = []
        if self.early_stopping:
            self.validation_loss_curve_ = []
        self.n_iter_ = 0
        self._start(call)

    def _start(self, call):
        """What a part does to the freshly built network before the first training ``call``."""

    def _continue_stream(self, call):
        """What a part does before a ``partial_fit`` step after the first, with its ``call``."""

    def _scaling(self):
        """The fitted :class:`~sk_autoencoder._scaling.Scaling`, which the network holds."""
        return self.net_.module_.scaling

    def _holds_out_rows(self):
        """Whether training holds rows out and scores them after every round."""
        return self.early_stopping

    def _net_config(self, scaling, batch_size, call):
        """The :class:`~sk_autoencoder._net.NetConfig` of this estimator's net.

        ``call`` is the training call it is built for, None for a loaded model.
        """
        validated = self._holds_out_rows()
        # A budgeted fit stops when its held-out rows stop improving.
        watches_held_out = self.early_stopping or (validated and self.max_iter == "auto")
        return NetConfig(
            loss=self.loss_,
            batch_size=batch_size,
            device=self.device_,
            scaling=scaling,
            learning_rate=self.learning_rate_init,
            monitor="valid_loss" if watches_held_out else "train_loss",
            patience=self.n_iter_no_change,
            tol=self.tol,
            verbose=self.verbose,
            validated=validated,
            criterion_params=self._criterion_params(),
            callbacks=list(self.callbacks or []),
            net_params=dict(self.net_params or {}),
            net_class=self._net_class,
            optimizer=self._optimizer,
            processes=SingleProcess() if call is None else call.processes,
        )

    def _build_net(self, n_features, scaling, batch_size, call=None):
        """Build ``net_`` around a freshly initialised module, without training.

        Uses the fitted ``loss_``, ``device_`` and ``_seed``; the processes
        of the training ``call`` train it together (None: this one alone).
        :meth:`_initialize` calls it before training, and
        :func:`sk_autoencoder.load` before loading saved weights into it.
        """
        with seeded_torch(self._seed, self.device_):
            module = self._build_module(n_features, scaling, self.loss_)
            self.net_ = build_net(module, self._net_config(scaling, batch_size, call))
            self.net_.initialize()

    def _train(self, call):
        """Train as :func:`~sk_autoencoder._budget.plan_training` plans; record what finished.

        With held-out rows (:meth:`_holds_out_rows`), the net trains on the
        other rows only and scores the held-out ones after every round, and
        keeps the best state (or what :meth:`_finish_validated_training`
        decides). The processes of ``call`` train the model together, each
        on its ``X``.
        """
        X = call.X
        n_epochs_before = len(self.net_.history)
        split = None
        if self._holds_out_rows():
            # The same positions of a chunk of the same size are held out in
            # every pass of a stream, so no pass trains on them.
            split = validation_split(
                X.shape[0], self.validation_fraction, self._seed, call.held_out_fold
            )
        n_training_rows = X.shape[0] if split is None else len(split[0])
        plan = self._plan_training(n_training_rows, call)
        # While the learning rate is still high the held-out error can stall for
        # a while and then improve as it anneals: a budget's stop waits for a
        # share of its length.
        patience = self.n_iter_no_change
        if self.max_iter == "auto":
            patience = max(patience, math.ceil(PATIENCE_SHARE * plan.n_rounds))
        plan_rounds(self.net_, plan.n_rounds, plan.anneal, patience)
        guard = dict(self.net_.callbacks_).get("validation")
        self.net_.train_split = None if split is None else TrainRows(split[0])
        X_valid = None
        if split is not None:
            scored, halves = scored_rows(split[1], self._seed)
            X_valid = self._scaled_held_out_rows(X, scored)
            guard.watch(X_valid, halves)
        elif guard is not None:
            guard.watch(None)
        self._before_training(call)
        # Each call draws fresh shuffles and noise, reproducibly: the seed
        # depends on how far training has gone.
        with (
            data_parallel(self.net_, call.processes, n_training_rows),
            rounds_of(self.net_, plan.batches_per_round),
            seeded_torch(self._seed + n_epochs_before, self.device_),
            threads_for_free_cores(self.device_, fresh=True),
        ):
            self.net_.partial_fit(X, self._training_target(), epochs=plan.n_rounds)
        # The split's row positions grow with the data: a fitted net keeps none.
        self.net_.train_split = None
        finished = [row for row in self.net_.history[n_epochs_before:] if "train_loss" in row]
        self.loss_curve_ += [row["train_loss"] for row in finished]
        if self.early_stopping:
            self.validation_loss_curve_ += [row.get("valid_loss", np.nan) for row in finished]
        self.n_iter_ += len(finished)
        if split is not None:
            self._finish_validated_training(guard, X_valid, call)
        # A refit that judges the floor on another fold is thrown away once
        # scored: what the parts measure after training would go unused.
        if not call.held_out_fold:
            self._after_training(call)

    def _scaled_held_out_rows(self, X, positions):
        """The held-out rows at ``positions`` of ``X`` as the guard scores them, on the device."""
        return self._scaling().rows_tensor(X[positions], self.device_)

    def _training_target(self):
        """skorch's ``y`` in a training call: None, as an autoencoder's target is its input."""
        return None

    def _before_training(self, call):
        """What a part does just before a training ``call``."""

    def _finish_validated_training(self, guard, X_valid, call):
        """After a training ``call`` on held-out rows: keep the best state they chose.

        ``guard`` is the :class:`~sk_autoencoder._callbacks.ValidationGuard`
        that scored ``X_valid`` (the held-out rows, scaled) after every round.
        """
        guard.finish(self.net_, keep_best=True)

    def _plan_training(self, n_training_rows, call):
        """The rounds of a training ``call`` that trains on ``n_training_rows`` of its rows.

        See :mod:`~sk_autoencoder._budget`.
        """
        processes = call.processes
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
            streaming=call.streaming,
        )

    def _n_components(self, n_features):
        """Width of the code the network learns: ``n_components``, or every feature for None."""
        if self.n_components is None:
            return n_features
        return int(self.n_components)

    def _after_training(self, call):
        """What a part does after each training ``call``, on its rows (of all its processes)."""

    @property
    def _n_features_out(self):
        return self.n_components_

    @property
    def _n_decoded_features(self):
        """Width of the decoder's output: the input's, for an autoencoder."""
        return self.n_features_in_

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
        return self._map_rows("decode", X, self._n_decoded_features)

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
