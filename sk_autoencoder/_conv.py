"""Convolutional autoencoder for images given as flat rows."""

import math
from numbers import Integral

from sklearn.utils._param_validation import Interval

from sk_autoencoder._deterministic import DeterministicAutoencoder
from sk_autoencoder._docstrings import fill_shared_docs
from sk_autoencoder._modules import check_layer_sizes, conv_stacks


def resolve_image_shape(image_shape, n_features):
    """``image_shape`` as ``(C, H, W)`` for rows of ``n_features`` values, or a clear error.

    ``None`` takes a square one-channel image when ``n_features`` is a perfect
    square (784 -> 28 x 28) and else a strip one pixel high, a 1-D signal.
    """
    if image_shape is None:
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else (1, 1, n_features)
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or not all(
        isinstance(size, Integral) and size > 0 for size in shape
    ):
        raise ValueError(
            "image_shape must be (height, width) or (channels, height, width) "
            f"with positive integers, got {image_shape!r}."
        )
    shape = tuple(int(size) for size in shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {math.prod(shape)} values per image, "
            f"but X has n_features={n_features} columns; a row must be one image "
            "flattened in (channels, height, width) order."
        )
    return shape


def check_kernel_sizes(kernel_size, n_layers):
    """One positive kernel size per convolution, from an int or a sequence."""
    sizes = (kernel_size,) * n_layers if isinstance(kernel_size, Integral) else tuple(kernel_size)
    if len(sizes) != n_layers or not all(isinstance(size, Integral) and size > 0 for size in sizes):
        raise ValueError(
            "kernel_size must be a positive integer or one per entry of channels "
            f"({n_layers}), got {kernel_size!r}."
        )
    return tuple(int(size) for size in sizes)


@fill_shared_docs
class ConvAutoencoderTransformer(DeterministicAutoencoder):
    """Convolutional autoencoder for images, as a scikit-learn transformer.

    ``n_components`` defaults to 2, where ``PCA()`` keeps every component:
    pass the code size you want (``None`` keeps as many units as features).

    It takes flat rows, ``(n_samples, C * H * W)``, like any transformer, so
    it fits in a Pipeline where PCA would; ``image_shape`` says how a row
    folds into an image. The encoder halves the height and width with a
    stride-2 convolution per entry of ``channels`` and maps the feature maps
    linearly to a code of ``n_components`` values; the decoder mirrors it with
    transposed convolutions and reproduces any height and width exactly, odd
    ones included. Scaling, training and the denoising, sparse and
    contractive variants are those of :class:`AutoencoderTransformer`.

    Parameters
    ----------
    n_components : int or None, default=2
        Size of the code, as PCA's ``n_components``; None keeps as many units
        as features.
    image_shape : tuple of int, default=None
        ``(H, W)`` for one-channel images or ``(C, H, W)``; a row holds the
        image in channels-first order (transpose ``(H, W, C)`` images first).
        ``None`` takes a square one-channel image when the number of features
        is a perfect square, else a strip one pixel high (a 1-D signal).
    channels : tuple of int, default=(32, 64)
        Output channels of the convolutions, each of which halves the height
        and width (rounding up); mirrored in the decoder.
    kernel_size : int or tuple of int, default=3
        Kernel size of every convolution, or one per entry of ``channels``.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation after each convolution.
    {{variants}}
    max_iter : int or "auto", default="auto"
        As the dense estimator's, with a budget of 30 passes over small data
        rather than 100: a pass of convolutions costs about ten times more,
        and on MNIST the error is within a few percent of its plateau by
        the 30th.
    {{training}}

    Attributes
    ----------
    {{n_components_}}
    {{explained_variance_ratio_}}
    image_shape_ : tuple of (int, int, int)
        The ``(C, H, W)`` shape a row is folded into.
    {{fitted_data}}
    {{fitted_floor}}
    {{fitted_training}}

    See Also
    --------
    AutoencoderTransformer : Dense autoencoder for any tabular data.
    VariationalAutoencoderTransformer : Generative autoencoder.
    sklearn.decomposition.PCA : The linear reduction this one replaces.

    Notes
    -----
    Convolutions share weights across positions, so the network needs far
    fewer parameters than a dense one of the same depth and learns local
    structure (strokes, edges) that PCA's global components blur.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import ConvAutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> autoencoder = ConvAutoencoderTransformer(
    ...     n_components=8, image_shape=(8, 8), channels=(8, 16),
    ...     max_iter=2, random_state=0,
    ... )
    >>> codes = autoencoder.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    >>> autoencoder.inverse_transform(codes).shape
    (1797, 64)
    """

    _parameter_constraints: dict = {
        **DeterministicAutoencoder._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "image_shape": [tuple, list, None],
        "channels": [tuple, list],
        "kernel_size": [Integral, tuple, list],
    }

    _budget_epochs = 30

    def __init__(
        self,
        n_components=2,
        *,
        image_shape=None,
        channels=(32, 64),
        kernel_size=3,
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
        self.image_shape = image_shape
        self.channels = channels
        self.kernel_size = kernel_size
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

    def _check_training_data(self, X):
        super()._check_training_data(X)
        resolve_image_shape(self.image_shape, X.shape[1])

    def _build_module(self, n_features, scaling, loss):
        self.image_shape_ = resolve_image_shape(self.image_shape, n_features)
        channels = check_layer_sizes(self.channels, name="channels")
        encoder, decoder = conv_stacks(
            self.image_shape_,
            channels,
            check_kernel_sizes(self.kernel_size, len(channels)),
            self._n_components(n_features),
            self.activation,
        )
        return self._assemble_module(
            encoder,
            decoder,
            n_features=n_features,
            scaling=scaling,
            loss=loss,
            noise=self.noise,
        )
