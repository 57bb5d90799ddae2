"""Paired targets: an autoencoder that learns from (input, target) pairs.

Corrupted and clean images, grey and colour patches: the encoder reads the
input, the decoder writes the target, and the loss compares the two. The
estimator is a multi-output regressor whose ``y`` is the target, as
``PLSRegression`` (a linear latent-variable regressor that also transforms)
is: ``fit(X, y)``, ``predict(X)``, and scikit-learn's cross-validation split
inputs and targets together with no routing to set up. Its floor is the
best linear map of the code's rank from inputs to targets (reduced-rank
regression, :mod:`sk_autoencoder._reduced_rank`), as PCA is the
autoencoders' (:mod:`sk_autoencoder._floor`).
"""

from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from sk_autoencoder._attribute_hints import LINEAR_MODEL_ATTRIBUTE_HINTS, PCA_ATTRIBUTE_HINTS
from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._distributed import training_processes
from sk_autoencoder._docstrings import fill_shared_docs
from sk_autoencoder._floor import PCAFloorMixin
from sk_autoencoder._modules import check_layer_sizes, dense_stack
from sk_autoencoder._paired_module import PairedAutoencoder
from sk_autoencoder._paired_training import PairedAutoencoderNet
from sk_autoencoder._pca_start import AffinePlusNetwork, start_as_linear_map
from sk_autoencoder._reduced_rank import reduced_rank_statistics
from sk_autoencoder._regularisers import RegularisersMixin
from sk_autoencoder._scaling import Scaling


class ReducedRankFloorMixin(PCAFloorMixin):
    """The linear floor of paired targets, a part of an estimator built on the PCA floor's.

    With ``init="linear"`` the network starts as the reduced-rank regression
    of the targets on the inputs, of rank ``n_components``, and the PCA
    floor's machinery (held-out rows scored from that start on, the best
    state kept, the network switched off unless it beats the start by more
    than the rows' noise) makes that linear map the floor. The estimator
    holds the training targets in ``_target_rows`` while it trains.
    """

    _parameter_constraints: dict = {"init": [StrOptions({"linear", "random"})]}
    _floor_name = "the linear map"

    def _starts_as_pca(self):
        return self.init == "linear"

    def _start_floor(self, call):
        # A stream keeps the map of its first chunk, as a fitted network keeps
        # the PCA of its data.
        module = self.net_.module_
        linear_map = reduced_rank_statistics(
            call.X, self._target_rows, self.n_components_, module.scaling, module.target_scaling
        )
        start_as_linear_map(module, linear_map.encoder_weight, linear_map.decoder_weight)

    def _refit_copy(self):
        refit = super()._refit_copy()
        refit._target_rows = self._target_rows
        return refit

    def _finish_validated_training(self, guard, X_valid, call):
        super()._finish_validated_training(guard, X_valid, call)
        if "pca_validation_error_" in vars(self):
            # The floor here is the linear map, not PCA: named so.
            self.linear_validation_error_ = vars(self).pop("pca_validation_error_")


@fill_shared_docs
class PairedAutoencoderRegressor(
    ReducedRankFloorMixin, RegularisersMixin, MultiOutputMixin, RegressorMixin, BaseAutoencoder
):
    """Autoencoder trained on (input, target) pairs: denoising, inpainting, colourisation.

    The encoder maps each input row through ``hidden_layer_sizes`` to a code
    of ``n_components`` values, and the decoder maps the code to a target
    row, which may be wider or narrower than the input (grey patches in,
    colour patches out). ``fit(X, y)`` takes the inputs and their targets
    (``y``, one row per input row) and trains the decoder's output towards
    the target. Inputs and targets are each centred per feature and divided
    by one global scale inside (two internal scalings), so raw data work on
    both sides.

    It is a multi-output regressor whose ``y`` is the target, so
    ``cross_val_score`` and ``GridSearchCV`` split pairs together; and a
    transformer: ``transform`` gives the codes of inputs, ``inverse_transform``
    decodes codes to the target space.

    Parameters
    ----------
    n_components : int or None, default=2
        Size of the code, at most the input's width; None: the input's width.
    {{hidden_layer_sizes}}
    {{activation}}
    loss : {"auto", "mse", "bce"}, default="auto"
        Loss between the decoder's output and the target. "auto" takes "bce"
        when the training targets lie in [0, 1], else "mse". Starting as the
        linear map (``init="linear"``), "bce" is the cross-entropy of the
        output clipped to [0, 1], never further from targets in [0, 1] than
        the linear map's own output.
    init : {"linear", "random"}, default="linear"
        "linear" makes the best linear map the floor: the encoder and the
        decoder each carry a fixed linear path (kept in float64) set to the
        two factors of the reduced-rank regression of the targets on the
        inputs, of rank ``n_components``, beside trainable parts that start
        at zero, so before the first step the prediction is that linear
        map's; ``validation_fraction`` of the pairs are held out and scored
        from that start on; the best state is kept, and it is the linear map
        itself unless the network beats it on the held-out pairs by more than
        their noise (and, where they are fewer than 100, unless refits with
        other folds held out gain on average too, as for the PCA floor).
        ``validation_error_`` and ``linear_validation_error_``
        show by how much. "random" is PyTorch's default initialisation, with
        no floor.
    {{noise}}
    {{sparsity}}
    {{contraction}}
    {{batch_size}}
    {{learning_rate_init}}
    {{max_iter}}
    {{training}}

    Attributes
    ----------
    {{n_components_}}
    n_outputs_ : int
        Width of the targets.
    {{fitted_data}}
    target_mean_ : ndarray of shape (`n_outputs_`,)
        Per-feature mean of the training targets, subtracted inside.
    target_scale_ : float
        Root mean per-feature variance of the training targets.
    network_kept_ : bool
        Whether the estimator uses its trained network. False where the
        floor fell back to the linear map, which ``predict`` then computes
        exactly.
    validation_error_ : float
        Squared error to the targets per held-out pair, summed over the
        target's features, of the model returned (with ``init="linear"``).
    linear_validation_error_ : float
        The linear map's error on the same held-out pairs:
        ``validation_error_`` is never above it.
    {{n_judged_rows_}}
    {{loss_curve_}}
    {{validation_loss_curve_}}
    {{n_iter_}}
    {{net_}}
    {{device_}}

    See Also
    --------
    AutoencoderTransformer : The autoencoder whose target is its input.
    sklearn.cross_decomposition.PLSRegression : A linear latent-variable regressor.

    Notes
    -----
    ``score(X, y)`` is the coefficient of determination R^2 of ``predict(X)``,
    as for every scikit-learn regressor; ``score_pairs(X, y)`` is the
    negative squared error of each pair, summed over the target's features
    (the autoencoders' ``score_samples``, which scikit-learn calls with ``X``
    alone).
    Training runs in one process (no ``torch.distributed`` data parallelism).

    With ``hidden_layer_sizes=()`` and ``loss="mse"`` the network is linear
    and the reduced-rank regression is the best it can do on the training
    pairs (Izenman, 1975).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import PairedAutoencoderRegressor
    >>> X, _ = load_digits(return_X_y=True)
    >>> left, right = X[:, :32], X[:, 32:]
    >>> model = PairedAutoencoderRegressor(
    ...     n_components=8, hidden_layer_sizes=(32,), max_iter=5, random_state=0
    ... ).fit(left, right)
    >>> model.predict(left).shape
    (1797, 32)
    >>> model.transform(left).shape
    (1797, 8)
    """

    _attribute_hints = {**PCA_ATTRIBUTE_HINTS, **LINEAR_MODEL_ATTRIBUTE_HINTS}

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **ReducedRankFloorMixin._parameter_constraints,
        **RegularisersMixin._parameter_constraints,
        "hidden_layer_sizes": [tuple, list],
    }

    _net_class = PairedAutoencoderNet

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        loss="auto",
        init="linear",
        noise=0.0,
        sparsity=0.0,
        contraction=0.0,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        net_params=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.init = init
        self.noise = noise
        self.sparsity = sparsity
        self.contraction = contraction
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.net_params = net_params

    def fit(self, X, y):
        """Fit the network to map the inputs ``X`` to their targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs, in any units: they are scaled internally.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, one row per input row, in any units.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with self._training_pairs(X, y, first=True):
            return super().fit(X)

    def partial_fit(self, X, y):
        """Train for one more pass over the pairs ``(X, y)``.

        The first call fits both scalings and the linear map that the network
        starts as from this first chunk; later calls keep them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.

        Returns
        -------
        self : object
            The estimator, trained one epoch more.
        """
        with self._training_pairs(X, y, first=not hasattr(self, "net_")):
            return super().partial_fit(X)

    @contextmanager
    def _training_pairs(self, X, y, first):
        """Inside, ``_target_rows`` holds the validated targets of ``X``; never after."""
        if training_processes().world_size > 1:
            raise ValueError(
                f"{type(self).__name__} trains in one process; inside a torch.distributed "
                "process group, fit it on one process only."
            )
        self._target_rows = self._validate_targets(X, y, first)
        try:
            yield
        finally:
            del self._target_rows

    def _validate_targets(self, X, y, first):
        """``y`` as a 2-D float array with a row per row of ``X`` (and, once fitted, as wide)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is "
                "None: pass the target of each row of X (an autoencoder of X alone is "
                "AutoencoderTransformer)."
            )
        target = check_array(y, ensure_2d=False, dtype=[np.float64, np.float32], input_name="y")
        if target.ndim == 1:
            target = target.reshape(-1, 1)
        check_consistent_length(X, target)
        if not first and target.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {target.shape[1]} columns, but {type(self).__name__} was fitted "
                f"with targets of n_outputs_={self.n_outputs_} columns."
            )
        return target

    def _initialize(self, call):
        target = self._target_rows
        target_scaling = Scaling.fit(target)
        self.n_outputs_ = target.shape[1]
        self.target_mean_ = target_scaling.center_array.astype(target.dtype)
        self.target_scale_ = target_scaling.scale_value
        # The fitted float64 scaling goes into the module; a loaded model's
        # comes from its file.
        self._fitted_target_scaling = target_scaling
        try:
            super()._initialize(call)
        finally:
            del self._fitted_target_scaling

    def _resolve_loss(self, X, processes):
        # The loss compares the output with the targets: their range decides.
        return super()._resolve_loss(self._target_rows, processes)

    def _target_scaling(self):
        """The target scaling for a new module: the fitted one, or one from the attributes."""
        fitted = vars(self).get("_fitted_target_scaling")
        if fitted is not None:
            return fitted
        n_outputs = getattr(self, "n_outputs_", None)
        mean = getattr(self, "target_mean_", None)
        scale = getattr(self, "target_scale_", None)
        if not (
            isinstance(n_outputs, int)
            and isinstance(mean, np.ndarray)
            and mean.shape == (n_outputs,)
            and isinstance(scale, float)
            and scale > 0
        ):
            raise ValueError("the fitted targets' n_outputs_, target_mean_ or target_scale_.")
        return Scaling(mean, scale)

    def _build_module(self, n_features, scaling, loss):
        target_scaling = self._target_scaling()
        n_outputs = int(target_scaling.center.shape[0])
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        n_components = self._n_components(n_features)
        encoder = dense_stack((n_features, *hidden, n_components), self.activation)
        decoder = dense_stack((n_components, *hidden[::-1], n_outputs), self.activation)
        starts_linear = self.init == "linear"
        if starts_linear:
            encoder = AffinePlusNetwork(encoder, n_features, n_components)
            decoder = AffinePlusNetwork(decoder, n_components, n_outputs)
        module = PairedAutoencoder(
            encoder,
            decoder,
            scaling=scaling,
            target_scaling=target_scaling,
            loss=loss,
            noise=self.noise,
            clip_output=starts_linear,
        )
        module.needs_input_gradient = self.contraction > 0
        return module

    def _training_target(self):
        return self._target_rows

    def _scaled_held_out_rows(self, X, positions):
        # The guard scores pairs in one row each: the input, then the target.
        module = self.net_.module_
        inputs = module.scaling.rows_tensor(X[positions], self.device_)
        targets = module.target_scaling.rows_tensor(self._target_rows[positions], self.device_)
        return torch.cat([inputs, targets], dim=1)

    @property
    def _n_decoded_features(self):
        return self.n_outputs_

    def inverse_transform(self, X):
        """Decode codes to the target space, in the targets' original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_outputs)
            The predicted targets, in the codes' float dtype.
        """
        return super().inverse_transform(X)

    def predict(self, X):
        """Predict the target of each input row: decode the code of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets in ``X``'s float dtype; one column is returned
            flat, as ``MLPRegressor`` returns it.
        """
        prediction = self.inverse_transform(self.transform(X))
        return prediction.ravel() if prediction.shape[1] == 1 else prediction

    def score_pairs(self, X, y):
        """Negative squared error of each pair's prediction to its target.

        Summed over the target's features, in its original units: greater is
        better; the same error the floor's held-out decision compares. The
        autoencoders' ``score_samples(X)`` for pairs: scikit-learn calls a
        ``score_samples`` with ``X`` alone, which pairs cannot be scored by.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Per-pair score.
        """
        check_is_fitted(self)
        X = self._validate_rows(X, reset=False)
        target = self._validate_targets(X, y, first=False).astype(X.dtype, copy=False)
        if sp.issparse(X):
            pairs = sp.hstack([X, sp.csr_matrix(target)], format="csr")
        else:
            pairs = np.hstack([X, target])
        return self._map_rows("score_rows", pairs, 1).ravel()

    def score(self, X, y, sample_weight=None):
        """R^2 of :meth:`predict` on the pairs ``(X, y)``, as scikit-learn's regressors score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the pairs.

        Returns
        -------
        score : float
            R^2, averaged over the target's features.
        """
        return RegressorMixin.score(self, X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
