"""Parameter and attribute docs written once, for every estimator that shares them.

A class docstring names a shared entry, or a group of them, on a line of its
own, ``{{name}}``; :func:`fill_shared_docs` puts the entries there, indented
as the line is. This
is how skorch's classifier builds its docstring from ``NeuralNet``'s: the
estimators share their knobs, so their docs must not drift apart.
"""

import re

_ENTRIES = {
    # Parameters
    "hidden_layer_sizes": """\
hidden_layer_sizes : tuple of int, default=(256, 128)
    Widths of the encoder's hidden layers, mirrored in the decoder. ``()``
    gives the vanilla autoencoder (input -> code -> output).""",
    "activation": """\
activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    Activation of the hidden layers.""",
    "loss": """\
loss : {"auto", "mse", "bce"}, default="auto"
    Reconstruction loss. "auto" takes "bce" when the training data lie in
    [0, 1], else "mse". "mse" is the squared error, which PCA minimises.
    "bce" is the binary cross-entropy: starting as PCA (``init="pca"``), of
    the reconstruction clipped to [0, 1], which is never further from data in
    [0, 1] than PCA's own; from a random start, of a sigmoid output.""",
    "init": """\
init : {"pca", "random"}, default="pca"
    "pca" makes PCA the floor: the encoder and the decoder each carry a fixed
    linear path set to PCA's components (kept in float64) beside trainable
    parts that start at zero, so before the first step the reconstruction is
    PCA's; ``validation_fraction`` of the rows are held out and scored from
    that start on; the best state is kept, and it is PCA itself unless the
    network beats PCA on the held-out rows by more than their noise. Where
    they are fewer than 100 (a table of under 1,000 rows), the network is
    also trained again with other folds of the rows held out, until 100 rows
    or all have been, and must gain on average over all of them.
    ``validation_error_`` and ``pca_validation_error_`` show by how much;
    ``n_judged_rows_`` says on how many rows.
    "random" is PyTorch's default initialisation, with no floor and no
    held-out rows (unless ``early_stopping``).""",
    "ordered": """\
ordered : bool, default=False
    Train ordered codes: each row is reconstructed from a prefix of its
    code, of 1, 2, 4, ... units or the whole code, drawn at random (nested
    dropout), so the first ``k`` columns of ``transform(X)`` are a good
    ``k``-dimensional code for every ``k``, as PCA's are. Gives
    ``explained_variance_ratio_``, :meth:`error_curve` and a fractional
    ``n_components``. Starting as PCA, whose components are ordered, the
    ratios start as PCA's.""",
    "noise": """\
noise : float, default=0.0
    Standard deviation of the Gaussian noise added to the scaled input
    during training (denoising autoencoder). The target stays clean.""",
    "sparsity": """\
sparsity : float, default=0.0
    Weight of an L1 penalty on the code (sparse autoencoder).""",
    "contraction": """\
contraction : float, default=0.0
    Weight of the squared Frobenius norm of the encoder's Jacobian
    (contractive autoencoder), estimated with one random projection per
    batch.""",
    "batch_size": """\
batch_size : int or "auto", default="auto"
    Mini-batch size; "auto" is ``min(200, max(16, n_samples // 20))`` (at
    most ``n_samples``): about 20 steps per epoch on small data.""",
    "learning_rate_init": """\
learning_rate_init : float, default=1e-3
    Adam's learning rate at the start of a fit; it anneals to zero along a
    half cosine over the planned rounds (``partial_fit`` keeps it constant).""",
    "max_iter": """\
max_iter : int or "auto", default="auto"
    How long a fit trains. "auto" sets a budget of optimizer steps that
    follows the data: 100 passes over small data (30 for the convolutional
    autoencoder); over large data, rows seen times trainable parameters
    capped at 10^12 (about 12 million rows for the default network on a
    table); it trains in rounds of at most 100 steps, scoring the held-out rows
    after each, and stops once they stop improving (``n_iter_no_change``,
    ``tol``). An int trains that many epochs, a round each, as
    ``MLPRegressor``'s ``max_iter``.""",
    "early_stopping": """\
early_stopping : bool, default=False
    Stop when the error on the held-out rows has not improved for
    ``n_iter_no_change`` epochs; the state of the best epoch is kept. Holds
    out ``validation_fraction`` of the rows where they are not held out
    already (they are for the PCA floor).""",
    "validation_fraction": """\
validation_fraction : float, default=0.1
    Share of the training rows held out for the PCA floor and early
    stopping (at least one row). The floor's refits on small data hold
    out other folds of the same size.""",
    "n_iter_no_change": """\
n_iter_no_change : int, default=10
    Rounds without a relative improvement of ``tol`` of the monitored
    loss before training stops: the held-out error with ``early_stopping``
    or with ``max_iter="auto"`` and held-out rows, else the training loss.
    With ``max_iter="auto"``, at least a fifth of the budget's rounds.""",
    "tol": """\
tol : float, default=1e-4
    Relative improvement that counts.""",
    "device": """\
device : {"auto", "cpu", "cuda"}, default="auto"
    Where to train and infer; "auto" takes CUDA when available.""",
    "random_state": """\
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, the held-out rows, shuffling and noise. On
    the CPU an equal ``random_state`` gives bit-identical results.""",
    "verbose": """\
verbose : int, default=0
    1 shows a progress bar over the training rounds with the current loss,
    and says whether the PCA floor kept the network; 2 also prints skorch's
    per-round table.""",
    "callbacks": """\
callbacks : list of skorch callbacks, default=None
    Extra callbacks for the skorch net (instances or ``(name, callback)``
    pairs); copied at fit, never modified.""",
    "net_params": """\
net_params : dict, default=None
    Extra keyword arguments of :class:`skorch.NeuralNet`, applied last,
    e.g. ``{"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9}``.""",
    # Attributes
    "n_components_": """\
n_components_ : int
    Size of the code ``transform`` returns.""",
    "explained_variance_ratio_": """\
explained_variance_ratio_ : ndarray of shape (`n_components_`,)
    With ``ordered=True``: gain in reconstruction R^2 on the training data
    from each code unit, added in order; their sum is the R^2 of the code,
    as PCA's ratios sum to its explained variance.""",
    "n_features_in_": """\
n_features_in_ : int
    Number of features seen during fit.""",
    "feature_names_in_": """\
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during fit, when ``X`` has string column names.""",
    "mean_": """\
mean_ : ndarray of shape (`n_features_in_`,)
    Per-feature mean of the training data, subtracted inside.""",
    "scale_": """\
scale_ : float
    Root mean per-feature variance of the training data, divided by inside.""",
    "loss_": """\
loss_ : {"mse", "bce"}
    The reconstruction loss used.""",
    "validation_error_": """\
validation_error_ : float
    Squared reconstruction error per held-out row, summed over features, of
    the model returned (with the PCA floor).""",
    "pca_validation_error_": """\
pca_validation_error_ : float
    PCA's error on the same held-out rows: ``validation_error_`` is never
    above it, and equals it where the estimator fell back to PCA.""",
    "network_kept_": """\
network_kept_ : bool
    Whether the estimator uses its trained network. False where the PCA
    floor fell back to PCA: the network did not beat PCA on the held-out
    rows, judged as of the round the other half of them chose, and
    ``transform`` and ``inverse_transform`` then compute PCA exactly.""",
    "n_judged_rows_": """\
n_judged_rows_ : int
    The held-out rows the PCA floor's decision was judged on: over every
    fold where a small table was refitted; a stream's, those of its last
    ``partial_fit`` step that held rows out (0 before any).""",
    "incremental_pca_": """\
incremental_pca_ : dict
    After ``partial_fit`` with the PCA floor: the fitted attributes of the
    ``IncrementalPCA`` of the chunks seen so far, which the network follows.""",
    "loss_curve_": """\
loss_curve_ : list of float
    Training loss of each round.""",
    "validation_loss_curve_": """\
validation_loss_curve_ : list of float
    Held-out error at the end of each round (with ``early_stopping``).""",
    "n_iter_": """\
n_iter_ : int
    Number of training rounds run: epochs with an int ``max_iter``, rounds
    of at most 100 steps with "auto".""",
    "net_": """\
net_ : skorch.NeuralNet
    The trained skorch net; ``net_.module_`` is the torch module.""",
    "device_": """\
device_ : torch.device
    The device used.""",
}

# Runs of entries that several estimators share in the same order.
_GROUPS = {
    "variants": (
        "loss",
        "init",
        "ordered",
        "noise",
        "sparsity",
        "contraction",
        "batch_size",
        "learning_rate_init",
    ),
    "training": (
        "early_stopping",
        "validation_fraction",
        "n_iter_no_change",
        "tol",
        "device",
        "random_state",
        "verbose",
        "callbacks",
        "net_params",
    ),
    "fitted_data": ("n_features_in_", "feature_names_in_", "mean_", "scale_", "loss_"),
    "fitted_floor": (
        "network_kept_",
        "validation_error_",
        "pca_validation_error_",
        "n_judged_rows_",
    ),
    "fitted_training": (
        "incremental_pca_",
        "loss_curve_",
        "validation_loss_curve_",
        "n_iter_",
        "net_",
        "device_",
    ),
}

_PLACEHOLDER = re.compile(r"^( *)\{\{(\w+)\}\}$", flags=re.MULTILINE)


def _entry(match):
    indent, name = match.groups()
    text = "\n".join(_ENTRIES[entry] for entry in _GROUPS.get(name, (name,)))
    return "\n".join(indent + line for line in text.splitlines())


def fill_shared_docs(cls):
    """Class decorator: replace each ``{{name}}`` line of the docstring by the shared entry."""
    cls.__doc__ = _PLACEHOLDER.sub(_entry, cls.__doc__)
    return cls
