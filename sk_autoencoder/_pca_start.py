"""Starting a network as PCA: fixed affine paths beside trainable parts that start at zero.

The torch side of the PCA floor (:mod:`sk_autoencoder._floor` is the
estimator side): an encoder or decoder built with :func:`with_affine_paths`
computes a fixed float64 affine map plus trainable parts, and the ``start_as``
functions set the map to PCA's (or probabilistic PCA's) and zero the
trainable parts' outputs, so the network computes PCA exactly before the
first step.
"""

import numpy as np
import torch
from torch import nn

from sk_autoencoder._losses import MIN_LIKELIHOOD_VARIANCE


class AffinePlusNetwork(nn.Module):
    """A fixed affine map beside trainable parts: ``X @ weight.T + bias + linear(X) + network(X)``.

    The affine map is a pair of float64 buffers, never trained: set to PCA's
    (:func:`start_as_pca`) it keeps float64 accuracy whatever dtype the
    network trains in. The trainable ``linear`` map starts at zero, and so
    does the network's last layer (:func:`start_as_pca`), so the sum starts as
    the affine map exactly; ``linear`` lets training turn or cancel the fixed
    map directly, which a ReLU network does only approximately. ``network_on``
    switches the trainable parts off for inference, leaving the affine map
    alone: the estimators' fallback to PCA.

    Parameters
    ----------
    network : nn.Module
        Maps ``n_in`` values to ``n_out``.
    n_in, n_out : int
        Shape of the affine map.
    """

    def __init__(self, network, n_in, n_out):
        super().__init__()
        self.network = network
        self.linear = nn.Linear(n_in, n_out, bias=False)
        nn.init.zeros_(self.linear.weight)
        self.register_buffer("weight", torch.zeros(n_out, n_in, dtype=torch.float64))
        self.register_buffer("bias", torch.zeros(n_out, dtype=torch.float64))
        self.register_buffer("network_on", torch.tensor(True))

    def affine(self, X):
        return torch.addmm(self.bias.to(X.dtype), X, self.weight.to(X.dtype).T)

    def forward(self, X):
        # Training always trains the trainable parts; switched off, they are
        # left out of inference only.
        if not (self.training or self.network_on):
            return self.affine(X)
        # One product with the summed weights instead of one per map: the
        # same function, and a tenth of a small network's step.
        weight = self.weight.to(X.dtype) + self.linear.weight
        return torch.addmm(self.bias.to(X.dtype), X, weight.T) + self.network(X)


def with_affine_paths(encoder, decoder, n_features, n_encoder_outputs, n_components):
    """``encoder`` and ``decoder`` each beside a fixed affine map of the same shape."""
    return (
        AffinePlusNetwork(encoder, n_features, n_encoder_outputs),
        AffinePlusNetwork(decoder, n_components, n_features),
    )


def _zero_last_layer(network):
    """Zero the weight and bias of ``network``'s last layer, so that it outputs zeros.

    Its earlier layers still compute nonzero features, so the zeroed layer
    gets gradients at the first step and the network starts learning.
    """
    for layer in reversed(list(network.modules())):
        if isinstance(getattr(layer, "weight", None), torch.Tensor):
            layer.weight.zero_()
            if getattr(layer, "bias", None) is not None:
                layer.bias.zero_()
            return


def _start_trainable_parts_at_zero(module):
    for part in (module.encoder, module.decoder):
        part.linear.weight.zero_()
        _zero_last_layer(part.network)


@torch.no_grad()
def set_affine_paths(module, encoder_weight, decoder_weight, encoder_bias=0.0, decoder_bias=0.0):
    """Set the fixed affine paths of ``module`` (built with :func:`with_affine_paths`).

    Parameters
    ----------
    module : Autoencoder
    encoder_weight : ndarray of shape (n_encoder_outputs, n_features)
    decoder_weight : ndarray of shape (n_features, n_components)
    encoder_bias : ndarray of shape (n_encoder_outputs,) or float, default=0.0
    decoder_bias : ndarray of shape (n_features,) or float, default=0.0
    """
    for part, weight, bias in (
        (module.encoder, encoder_weight, encoder_bias),
        (module.decoder, decoder_weight, decoder_bias),
    ):
        part.weight.copy_(torch.as_tensor(weight, dtype=torch.float64))
        part.bias.copy_(torch.as_tensor(bias, dtype=torch.float64))


@torch.no_grad()
def start_as_pca(module, components):
    """Make ``module`` (built with :func:`with_affine_paths`) compute PCA's reconstruction.

    Parameters
    ----------
    module : Autoencoder
        Its encoder and decoder are :class:`AffinePlusNetwork`, and its
        internal scaling centres on PCA's mean.
    components : ndarray of shape (n_components, n_features)
        PCA's orthonormal components (rows); rows of zeros where PCA has fewer
        components than the code has units.
    """
    start_as_linear_map(module, components, components.T)


@torch.no_grad()
def start_as_linear_map(module, encoder_weight, decoder_weight):
    """Make ``module`` (its encoder and decoder :class:`AffinePlusNetwork`) compute a linear map.

    The fixed paths get the weights and the trainable parts output zero, so
    the network computes ``decoder_weight @ encoder_weight`` of the scaled
    rows before the first step: PCA's projection (:func:`start_as_pca`), or a
    reduced-rank regression from inputs to targets.

    Parameters
    ----------
    module : Autoencoder
    encoder_weight : ndarray of shape (n_components, n_features)
    decoder_weight : ndarray of shape (n_outputs, n_components)
    """
    set_affine_paths(module, encoder_weight, decoder_weight)
    _start_trainable_parts_at_zero(module)


def ppca_affine_paths(components, explained_variance, likelihood_variance, offset=0.0):
    """The affine paths of a linear Gaussian VAE that is probabilistic PCA.

    A linear Gaussian VAE contains probabilistic PCA (Tipping & Bishop,
    1999): with the decoder ``W = U^T (Lambda - sigma^2)^(1/2)`` and the
    encoder giving PPCA's exact posterior, ``N(M^-1 W^T x, sigma^2 M^-1)``
    with ``M = W^T W + sigma^2 = Lambda``, its ELBO is PPCA's log-likelihood.

    Returns
    -------
    encoder_weight : ndarray of shape (2 * n_components, n_features)
        The posterior mean's rows, then zero rows for the log-variance.
    decoder_weight : ndarray of shape (n_features, n_components)
    encoder_bias : ndarray of shape (2 * n_components,)
        For the mean, minus the mean path applied to ``offset``; the
        posterior's log-variances after.
    decoder_bias : ndarray of shape (n_features,) or float
        ``offset``, PPCA's mean relative to the network's centre.
    likelihood_variance : float
        ``sigma^2``, floored where PCA is exact.
    """
    likelihood_variance = max(float(likelihood_variance), MIN_LIKELIHOOD_VARIANCE)
    variance = np.maximum(explained_variance, likelihood_variance)
    loading = np.sqrt(variance - likelihood_variance)
    mean_weight = (loading / variance)[:, None] * components
    encoder_weight = np.vstack([mean_weight, 0 * components])
    mean_bias = -mean_weight @ np.broadcast_to(offset, components.shape[1])
    encoder_bias = np.concatenate([mean_bias, np.log(likelihood_variance / variance)])
    return encoder_weight, components.T * loading, encoder_bias, offset, likelihood_variance


@torch.no_grad()
def start_as_ppca(module, components, explained_variance, likelihood_variance):
    """Make a :class:`VariationalAutoencoder` with affine paths equal probabilistic PCA.

    See :func:`ppca_affine_paths`.

    Parameters
    ----------
    module : VariationalAutoencoder
    components : ndarray of shape (n_components, n_features)
        PCA's components ``U``, rows of zeros past its rank.
    explained_variance : ndarray of shape (n_components,)
        PCA's variances ``Lambda`` in scaled units.
    likelihood_variance : float
        PPCA's ``sigma^2`` in scaled units, the mean discarded variance.
    """
    *paths, likelihood_variance = ppca_affine_paths(
        components, explained_variance, likelihood_variance
    )
    set_affine_paths(module, *paths)
    module.likelihood_variance.fill_(likelihood_variance)
    _start_trainable_parts_at_zero(module)
