"""PyTorch modules: encoders, decoders and the autoencoder that joins them.

The estimators build these; nothing here knows about scikit-learn. Every
autoencoder works on flat rows in the user's units: scaling to the network's
units happens inside, in :class:`Autoencoder`, so ``encode`` and ``decode``
are the whole story for transform and inverse_transform.
"""

import itertools
from dataclasses import dataclass

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


def dense_stack(layer_sizes, activation):
    """Linear layers of the given sizes with ``activation`` between them.

    The last layer has no activation: it is a code or an output, whose range
    the caller decides.
    """
    layers = []
    n_layers = len(layer_sizes) - 1
    for index, (n_in, n_out) in enumerate(itertools.pairwise(layer_sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if index < n_layers - 1:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


@dataclass
class AutoencoderOutput:
    """What a training forward pass returns to the loss.

    ``reconstruction`` and ``target`` live in the loss's space: scaled units
    for the squared error, [0, 1] probabilities (as logits for the
    reconstruction) for the cross-entropy. ``encoder_input`` is the tensor the
    contractive penalty differentiates the code with respect to.
    """

    reconstruction: torch.Tensor
    target: torch.Tensor
    code: torch.Tensor
    encoder_input: torch.Tensor
    mean: torch.Tensor | None = None
    log_var: torch.Tensor | None = None


class Autoencoder(nn.Module):
    """An encoder and a decoder around the internal scaling of the data.

    Parameters
    ----------
    encoder, decoder : nn.Module
        Maps from scaled rows to codes and from codes to the loss's space.
    center : array-like of shape (n_features,)
        Per-feature centre subtracted before encoding.
    scale : float
        Global scale the centred data are divided by.
    loss : {"mse", "bce"}
        With "bce" the decoder outputs logits of values in [0, 1]; with "mse"
        it outputs scaled values.
    noise : float
        Standard deviation of the Gaussian corruption of the scaled input
        during training (denoising autoencoder).
    """

    def __init__(self, encoder, decoder, *, center, scale, loss, noise=0.0):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.register_buffer("center", torch.as_tensor(center, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(float(scale), dtype=torch.float32))
        self.loss = loss
        self.noise = noise
        # Set by the trainer when a loss term needs d(code)/d(input).
        self.needs_input_gradient = False

    def standardize(self, X):
        return (X - self.center) / self.scale

    def to_input_space(self, reconstruction):
        """Map the decoder's output back to the user's units."""
        if self.loss == "bce":
            return torch.sigmoid(reconstruction)
        return reconstruction * self.scale + self.center

    def encode(self, X):
        return self.encoder(self.standardize(X))

    def decode(self, code):
        return self.to_input_space(self.decoder(code))

    def score_rows(self, X):
        """Negative squared reconstruction error per row, in the user's units."""
        error = X - self.decode(self.encode(X))
        return -error.pow(2).flatten(1).sum(dim=1, keepdim=True)

    def _encoder_input(self, X):
        encoder_input = self.standardize(X)
        if self.training and self.noise > 0:
            encoder_input = encoder_input + self.noise * torch.randn_like(encoder_input)
        if self.training and self.needs_input_gradient and torch.is_grad_enabled():
            encoder_input = encoder_input.detach().requires_grad_(True)
        return encoder_input

    def _target(self, X):
        return X if self.loss == "bce" else self.standardize(X)

    def forward(self, X):
        encoder_input = self._encoder_input(X)
        code = self.encoder(encoder_input)
        return AutoencoderOutput(
            reconstruction=self.decoder(code),
            target=self._target(X),
            code=code,
            encoder_input=encoder_input,
        )
