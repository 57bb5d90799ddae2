"""An autoencoder around the user's own torch encoder and decoder."""

import dataclasses
import math
from numbers import Integral, Real

from sklearn.utils.validation import check_is_fitted
from torch import nn

from sk_autoencoder._anomaly import AnomalyScoresMixin
from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._docstrings import fill_shared_docs
from sk_autoencoder._floor import PCAStartMixin
from sk_autoencoder._modules import Autoencoder
from sk_autoencoder._pca_start import with_affine_paths
from sk_autoencoder._regularisers import RegularisersMixin
from sk_autoencoder._user_networks import (
    NETWORK_NAMES,
    FlatRows,
    ZeroGate,
    build_network,
    check_network_spec,
    matching_parameters,
    probe_decoder,
    probe_encoder,
)


@fill_shared_docs
class CustomAutoencoderTransformer(
    AnomalyScoresMixin, PCAStartMixin, RegularisersMixin, BaseAutoencoder
):
    """Autoencoder around your own torch encoder and decoder, as a scikit-learn transformer.

    ``encoder`` maps rows of ``n_features`` values (scaled inside, as every
    estimator of the package scales them) to codes of ``n_components``
    values; ``decoder`` maps codes back to ``n_features`` values per row.
    Each is a ``torch.nn.Module`` class, built in ``fit`` from
    ``encoder_params`` / ``decoder_params``, or an instance, such as a
    pretrained network, which ``fit`` copies and never changes. Layers can be
    kept fixed (``frozen``) or trained at a lower rate
    (``learning_rate_scales``): transfer learning.

    With ``init="pca"`` (the default), PCA is the floor as for the built-in
    networks: the encoder and the decoder each sit beside a fixed affine path
    set to PCA's components, and their outputs enter through a trainable
    layer that starts at zero (a ``code x code`` linear map after the encoder,
    an elementwise scale after the decoder), so the estimator starts as PCA
    exactly, without zeroing any of your, possibly pretrained, weights; rows
    are held out and the network is kept only where it beats PCA on them.
    This needs nothing of your networks but the shapes above: the code must
    be flat, ``(batch, n_components)``, and the decoder's output, of any
    shape, must hold ``n_features`` values per row. With ``init="random"``
    the code is your encoder's output itself and there is no floor: use it
    when a pretrained encoder's code should be the code.

    Parameters
    ----------
    encoder : torch.nn.Module class or instance
        The encoder. A class is built as ``encoder(**encoder_params)``; if its
        constructor takes ``n_features`` or ``n_components`` and
        ``encoder_params`` does not set them, it gets the data's width and
        ``n_components``. An instance is copied (with its weights).
    decoder : torch.nn.Module class or instance
        The decoder, built or copied as ``encoder`` is.
    n_components : int or None, default=None
        Width of the code. None takes the width of the encoder's output on a
        probe row; an int is checked against it.
    encoder_params, decoder_params : dict or None, default=None
        Constructor arguments of a class ``encoder`` / ``decoder``.
    input_shape : tuple of int or None, default=None
        Shape the encoder reads each row in, such as ``(1, 28, 28)`` for a
        convolutional encoder; None gives it flat rows.
    frozen : tuple of str, default=()
        Parameters kept fixed during training, named as ``named_parameters``
        names them behind "encoder" or "decoder": ``"encoder"`` freezes the
        whole encoder, ``"encoder.0"`` its first submodule,
        ``"decoder.fc.bias"`` one tensor. Buffers (batch-norm statistics)
        are not parameters and still update in training.
    learning_rate_scales : dict of str to float or None, default=None
        Learning-rate factors by parameter prefix (named as in ``frozen``),
        such as ``{"encoder": 0.1}`` to fine-tune a pretrained encoder at a
        tenth of ``learning_rate_init``; the longest matching prefix wins.
        Implemented with skorch's optimizer parameter groups.
    {{loss}}
    {{init}}
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
    encoder_, decoder_ : torch.nn.Module
        The trained encoder and decoder (your modules, without the affine
        paths of the PCA floor), inside ``net_``: copy them
        (``copy.deepcopy``) before changing them, for instance to reuse a
        trained encoder in another estimator.
    {{fitted_data}}
    {{fitted_floor}}
    {{fitted_training}}

    See Also
    --------
    AutoencoderTransformer : Dense encoder and decoder built from layer sizes.
    ConvAutoencoderTransformer : Convolutional autoencoder for images.

    Notes
    -----
    The networks run in float32 for training, and, on a copy, in float64 for
    float64 input, as the built-in networks do. :func:`sk_autoencoder.save`
    stores your classes by name and :func:`sk_autoencoder.load` rebuilds them
    only from the classes you pass as ``trusted``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from torch import nn
    >>> from sk_autoencoder import CustomAutoencoderTransformer
    >>> class Network(nn.Module):
    ...     def __init__(self, n_in, n_out, width=32):
    ...         super().__init__()
    ...         self.layers = nn.Sequential(
    ...             nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, n_out)
    ...         )
    ...     def forward(self, X):
    ...         return self.layers(X)
    >>> X, _ = load_digits(return_X_y=True)
    >>> autoencoder = CustomAutoencoderTransformer(
    ...     Network, Network, n_components=8,
    ...     encoder_params={"n_in": 64, "n_out": 8},
    ...     decoder_params={"n_in": 8, "n_out": 64},
    ...     max_iter=5, random_state=0,
    ... ).fit(X)
    >>> autoencoder.transform(X).shape
    (1797, 8)
    >>> autoencoder.get_layer_names()[:3]
    ['encoder', 'encoder.layers', 'encoder.layers.0']
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **PCAStartMixin._parameter_constraints,
        **RegularisersMixin._parameter_constraints,
        "encoder": "no_validation",
        "decoder": "no_validation",
        "encoder_params": [dict, None],
        "decoder_params": [dict, None],
        "input_shape": [tuple, list, None],
        "frozen": [tuple, list],
        "learning_rate_scales": [dict, None],
    }

    def __init__(
        self,
        encoder,
        decoder,
        n_components=None,
        *,
        encoder_params=None,
        decoder_params=None,
        input_shape=None,
        frozen=(),
        learning_rate_scales=None,
        loss="auto",
        init="pca",
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
        self.encoder = encoder
        self.decoder = decoder
        self.n_components = n_components
        self.encoder_params = encoder_params
        self.decoder_params = decoder_params
        self.input_shape = input_shape
        self.frozen = frozen
        self.learning_rate_scales = learning_rate_scales
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

    # -- the networks --------------------------------------------------------

    def _input_shape(self, n_features):
        if self.input_shape is None:
            return None
        shape = tuple(self.input_shape)
        if not (shape and all(isinstance(size, Integral) and size > 0 for size in shape)):
            raise ValueError(
                f"input_shape must be a tuple of positive integers, got {self.input_shape!r}."
            )
        if math.prod(shape) != n_features:
            raise ValueError(
                f"input_shape={self.input_shape!r} holds {math.prod(shape)} values, but X "
                f"has n_features={n_features} columns."
            )
        return tuple(int(size) for size in shape)

    def _network(self, name, n_features, n_components):
        """A fresh copy of the user's ``name`` ("encoder" or "decoder")."""
        network, params = getattr(self, name), getattr(self, f"{name}_params")
        check_network_spec(network, params, name)
        return build_network(
            network, params, name, n_features=n_features, n_components=n_components
        )

    def _networks(self, n_features, n_components):
        """Fresh copies of the user's encoder and decoder, by name."""
        return {name: self._network(name, n_features, n_components) for name in NETWORK_NAMES}

    def _validate_training_data(self, X, reset):
        X = super()._validate_training_data(X, reset)
        if reset:
            # A probe batch before anything is trained: a network that does
            # not fit the data fails here, with an error naming the mismatch.
            # The encoder's output gives the code width the decoder is built for.
            n_features = X.shape[1]
            encoder = self._network("encoder", n_features, self.n_components)
            self._code_width = probe_encoder(
                encoder,
                n_features=n_features,
                n_components=self.n_components,
                input_shape=self._input_shape(n_features),
            )
            decoder = self._network("decoder", n_features, self._code_width)
            probe_decoder(decoder, n_features=n_features, n_components=self._code_width)
            self._check_names({"encoder": encoder, "decoder": decoder})
        return X

    def _check_training_data(self, X):
        # n_components is checked against the encoder's output by the probe.
        pass

    def _check_names(self, networks):
        """Every entry of ``frozen`` and ``learning_rate_scales`` names parameters."""
        for prefix in self.frozen:
            matching_parameters(networks, prefix, "frozen")
        for prefix, scale in (self.learning_rate_scales or {}).items():
            matching_parameters(networks, prefix, "learning_rate_scales")
            if not (isinstance(scale, Real) and scale > 0 and math.isfinite(scale)):
                raise ValueError(
                    f"learning_rate_scales[{prefix!r}] must be a positive number, got {scale!r}."
                )

    def _n_components(self, n_features):
        if self.n_components is not None:
            return int(self.n_components)
        return int(self._code_width)

    def _build_module(self, n_features, scaling, loss):
        n_components = self._n_components(n_features)
        networks = self._networks(n_features, n_components)
        for prefix in self.frozen:
            for name in matching_parameters(networks, prefix, "frozen"):
                network_name, _, parameter = name.partition(".")
                networks[network_name].get_parameter(parameter).requires_grad_(False)
        encoder = FlatRows(networks["encoder"], self._input_shape(n_features))
        decoder = FlatRows(networks["decoder"])
        starts_as_pca = self.init == "pca"
        if starts_as_pca:
            # The PCA start zeroes each part's last layer: here a layer of its
            # own after the user's network, so that pretrained weights stay.
            encoder, decoder = with_affine_paths(
                nn.Sequential(encoder, nn.Linear(n_components, n_components, bias=False)),
                nn.Sequential(decoder, ZeroGate(n_features)),
                n_features,
                n_components,
                n_components,
            )
        module = Autoencoder(
            encoder,
            decoder,
            scaling=scaling,
            loss=loss,
            noise=self.noise,
            clip_output=starts_as_pca,
        )
        # Where the user's networks sit in the module: for frozen layers, rate
        # groups, layer_outputs and encoder_ / decoder_.
        module.network_paths = self._network_paths()
        module.needs_input_gradient = self.contraction > 0
        return module

    def _net_config(self, scaling, batch_size, call):
        config = super()._net_config(scaling, batch_size, call)
        if not self.learning_rate_scales:
            return config
        paths = self._network_paths()
        groups = []
        # skorch gives a parameter to the first group whose pattern matches it:
        # the longest prefix first, so that the most specific factor wins.
        for prefix in sorted(self.learning_rate_scales, key=len, reverse=True):
            network_name, _, rest = prefix.partition(".")
            path = paths[network_name] + (f".{rest}" if rest else "")
            scale = float(self.learning_rate_scales[prefix])
            lr = self.learning_rate_init * scale
            groups += [(path, {"lr": lr}), (f"{path}.*", {"lr": lr})]
        net_params = {"optimizer__param_groups": groups, **config.net_params}
        return dataclasses.replace(config, net_params=net_params)

    def _network_paths(self):
        """Where the user's encoder and decoder sit in the module :meth:`_build_module` builds."""
        if self.init == "pca":
            # Inside the affine path, before the layer that starts at zero.
            return {"encoder": "encoder.network.0.network", "decoder": "decoder.network.0.network"}
        return {"encoder": "encoder.network", "decoder": "decoder.network"}

    def _user_network(self, name):
        check_is_fitted(self)
        module = self.net_.module_
        return module.get_submodule(module.network_paths[name])

    @property
    def encoder_(self):
        return self._user_network("encoder")

    @property
    def decoder_(self):
        return self._user_network("decoder")
