"""Dense (multi-layer perceptron) autoencoder."""

from sk_autoencoder._base import BaseAutoencoder, check_layer_sizes
from sk_autoencoder._floor import PCAStartMixin
from sk_autoencoder._modules import dense_stack
from sk_autoencoder._regularisers import RegularisersMixin


class AutoencoderTransformer(PCAStartMixin, RegularisersMixin, BaseAutoencoder):
    """Dense autoencoder as a scikit-learn transformer, a drop-in for PCA.

    The encoder maps each row through ``hidden_layer_sizes`` to a linear code
    of ``n_components`` values; the decoder mirrors it back. Data are centred
    per feature and divided by one global scale inside, so raw data of any
    magnitude work, and the squared-error loss weighs features as PCA does.
    The denoising, sparse and contractive variants are parameters, so a grid
    search can explore them.

    Parameters
    ----------
    n_components : int or float, default=2
        Size of the code, as PCA's ``n_components``. A float in (0, 1), with
        ``ordered=True``, asks for the smallest code whose reconstruction R^2
        on the training data reaches it: the network learns a code of
        ``min(n_features, 128)`` units, and ``transform`` returns the first
        ``n_components_`` of them.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers, mirrored in the decoder. ``()``
        gives the vanilla autoencoder (input -> code -> output).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.
    loss : {"auto", "mse", "bce"}, default="auto"
        Reconstruction loss. "auto" uses binary cross-entropy (with a sigmoid
        output) when the training data lie in [0, 1] and ``init="random"``,
        else squared error.
    init : {"random", "pca"}, default="random"
        "pca" starts the network as PCA: the encoder and the decoder each get
        a linear path set to PCA's components, beside the hidden layers whose
        last layer starts at zero, so before training the reconstruction is
        PCA's and training improves on it. It uses the squared error, which
        PCA minimises ("bce" is refused: a sigmoid output cannot reproduce
        PCA's reconstruction). "random" is PyTorch's default initialisation.
    ordered : bool, default=False
        Train ordered codes: each row is reconstructed from a prefix of its
        code, of 1, 2, 4, ... units or the whole code, drawn at random (nested
        dropout), so the first ``k`` columns of ``transform(X)`` are a good ``k``-dimensional
        code for every ``k``, as PCA's are. Gives ``explained_variance_ratio_``,
        :meth:`error_curve` and a fractional ``n_components``.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the scaled input
        during training (denoising autoencoder). The target stays clean.
    sparsity : float, default=0.0
        Weight of an L1 penalty on the code (sparse autoencoder).
    contraction : float, default=0.0
        Weight of the squared Frobenius norm of the encoder's Jacobian
        (contractive autoencoder), estimated with one random projection per
        batch.
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=100
        Maximum number of epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        loss stops improving and keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        Fraction held out with ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without a relative improvement of ``tol`` of the monitored
        loss (validation loss with ``early_stopping``, else training loss)
        before training stops.
    tol : float, default=1e-4
        Relative improvement that counts.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to train and infer; "auto" takes CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and noise. On the CPU an equal
        ``random_state`` gives bit-identical results.
    verbose : int, default=0
        1 shows a progress bar over epochs with the current loss; 2 also
        prints skorch's per-epoch table.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the skorch net (instances or ``(name, callback)``
        pairs); copied at fit, never modified.
    net_params : dict, default=None
        Extra keyword arguments of :class:`skorch.NeuralNet`, applied last,
        e.g. ``{"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9}``.

    Attributes
    ----------
    n_components_ : int
        Size of the code ``transform`` returns.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        With ``ordered=True``: gain in reconstruction R^2 on the training data
        from each code unit, added in order; their sum is the R^2 of the code,
        as PCA's ratios sum to its explained variance.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    mean_ : ndarray of shape (n_features_in_,)
        Per-feature mean of the training data, subtracted inside.
    scale_ : float
        Root mean per-feature variance of the training data, divided by inside.
    loss_ : {"mse", "bce"}
        The reconstruction loss used.
    loss_curve_ : list of float
        Training loss at the end of each epoch.
    validation_loss_curve_ : list of float
        Validation loss at the end of each epoch (with ``early_stopping``).
    n_iter_ : int
        Number of epochs run.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
    device_ : torch.device
        The device used.

    See Also
    --------
    sklearn.decomposition.PCA : The linear reduction this one replaces.
    ConvAutoencoderTransformer : Convolutional autoencoder for images.
    VariationalAutoencoderTransformer : Generative autoencoder.

    Notes
    -----
    With ``hidden_layer_sizes=()`` and the squared-error loss, the network is
    linear and learns the same subspace as PCA (Baldi & Hornik, 1989); its
    nonlinearity comes from hidden layers or from the sigmoid output of the
    cross-entropy loss.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> autoencoder = AutoencoderTransformer(n_components=8, max_iter=5, random_state=0)
    >>> codes = autoencoder.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    >>> autoencoder.inverse_transform(codes).shape
    (1797, 64)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "hidden_layer_sizes": [tuple, list],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        loss="auto",
        init="pca",
        ordered=False,
        noise=0.0,
        sparsity=0.0,
        contraction=0.0,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=100,
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
        self.ordered = ordered
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

    def _build_module(self, n_features, center, scale, loss):
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        widths = (n_features, *hidden, self._n_code_units(n_features))
        return self._assemble_module(
            dense_stack(widths, self.activation),
            dense_stack(widths[::-1], self.activation),
            n_features=n_features,
            center=center,
            scale=scale,
            loss=loss,
            noise=self.noise,
        )
