"""Dense (multi-layer perceptron) autoencoder."""

from sk_autoencoder._deterministic import DeterministicAutoencoder
from sk_autoencoder._docstrings import fill_shared_docs
from sk_autoencoder._modules import check_layer_sizes, dense_stack


@fill_shared_docs
class AutoencoderTransformer(DeterministicAutoencoder):
    """Dense autoencoder as a scikit-learn transformer, a drop-in for PCA.

    ``n_components`` defaults to 2, where ``PCA()`` keeps every component:
    pass the code size you want (``None`` keeps as many units as features).

    The encoder maps each row through ``hidden_layer_sizes`` to a linear code
    of ``n_components`` values; the decoder mirrors it back. Data are centred
    per feature and divided by one global scale inside, so raw data of any
    magnitude work, and the squared-error loss weighs features as PCA does.
    The denoising, sparse and contractive variants are parameters, so a grid
    search can explore them.

    Parameters
    ----------
    n_components : int, float or None, default=2
        Size of the code, as PCA's ``n_components``. None keeps as many units
        as features: PCA with every component reconstructs exactly, and so
        does the network that starts as it. A float in (0, 1), with
        ``ordered=True``, asks for the smallest code whose reconstruction R^2
        on the training data reaches it: the network learns a code of
        ``min(n_features, 128)`` units, and ``transform`` returns the first
        ``n_components_`` of them.
    {{hidden_layer_sizes}}
    {{activation}}
    {{variants}}
    {{max_iter}}
    {{training}}

    Attributes
    ----------
    {{n_components_}}
    {{explained_variance_ratio_}}
    {{fitted_data}}
    {{fitted_floor}}
    {{fitted_training}}

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
    >>> autoencoder = AutoencoderTransformer(
    ...     n_components=8, max_iter=5, random_state=0
    ... )
    >>> codes = autoencoder.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    >>> autoencoder.inverse_transform(codes).shape
    (1797, 64)
    """

    _parameter_constraints: dict = {
        **DeterministicAutoencoder._parameter_constraints,
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

    def _build_module(self, n_features, scaling, loss):
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        widths = (n_features, *hidden, self._n_components(n_features))
        return self._assemble_module(
            dense_stack(widths, self.activation),
            dense_stack(widths[::-1], self.activation),
            n_features=n_features,
            scaling=scaling,
            loss=loss,
            noise=self.noise,
        )
