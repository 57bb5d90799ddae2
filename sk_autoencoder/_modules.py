"""PyTorch modules: encoders, decoders and the autoencoder that joins them.

The estimators build these; nothing here knows about scikit-learn. Training
feeds rows already scaled to the network's units (centred per feature and
divided by one global scale, in float64, before the cast to float32), so a
large offset costs no precision. ``encode``, ``decode`` and ``score_rows``
take and give the user's units, so they are the whole story for transform
and inverse_transform.
"""

import itertools
import math
from dataclasses import dataclass
from numbers import Integral

import torch
from torch import nn

from sk_autoencoder._losses import optimal_likelihood_variance, per_sample_objective

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


def check_layer_sizes(hidden_layer_sizes, name="hidden_layer_sizes"):
    """``hidden_layer_sizes`` as a tuple of positive ints, or a clear error."""
    try:
        sizes = tuple(hidden_layer_sizes)
    except TypeError:
        sizes = (hidden_layer_sizes,)
    if not all(isinstance(size, Integral) and size > 0 for size in sizes):
        raise ValueError(
            f"{name} must be a tuple of positive integers, got {hidden_layer_sizes!r}."
        )
    return tuple(int(size) for size in sizes)


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
    contractive penalty differentiates the code with respect to. A variational
    autoencoder adds its posterior (``mean``, ``log_var``) and, for a Gaussian
    likelihood, the likelihood's variance shared by every feature, in scaled
    units (``likelihood_variance``).
    """

    reconstruction: torch.Tensor
    target: torch.Tensor
    code: torch.Tensor
    encoder_input: torch.Tensor
    mean: torch.Tensor | None = None
    log_var: torch.Tensor | None = None
    likelihood_variance: torch.Tensor | None = None


class Autoencoder(nn.Module):
    """An encoder and a decoder around the internal scaling of the data.

    Parameters
    ----------
    encoder, decoder : nn.Module
        Maps from scaled rows to codes and from codes to the loss's space.
    scaling : Scaling
        The internal scaling (:class:`~sk_autoencoder._scaling.Scaling`),
        held as a submodule so that it moves and saves with the weights.
    loss : {"mse", "bce"}
        With "bce" the decoder outputs logits of values in [0, 1]; with "mse"
        it outputs scaled values.
    noise : float
        Standard deviation of the Gaussian corruption of the scaled input
        during training (denoising autoencoder).
    clip_output : bool
        With "bce": the decoder outputs values in the user's units (as PCA's
        reconstruction does, so a network that starts as PCA can), clipped to
        [0, 1]; the cross-entropy sees them clipped a little inside, where
        its logarithms are finite. Otherwise the decoder outputs logits.
    """

    # Margin of the clipped probabilities inside (0, 1) in the cross-entropy.
    CLIP_MARGIN = 1e-3

    def __init__(self, encoder, decoder, *, scaling, loss, noise=0.0, clip_output=False):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.scaling = scaling
        self.loss = loss
        self.noise = noise
        self.clip_output = clip_output
        # Set by the trainer when a loss term needs d(code)/d(input).
        self.needs_input_gradient = False

    @torch.no_grad()
    def use_network(self, on):
        """Switch the networks beside the fixed affine paths on or off, for inference."""
        for part in (self.encoder, self.decoder):
            # Parts beside a fixed affine path (sk_autoencoder._pca_start) have the switch.
            if hasattr(part, "network_on"):
                part.network_on.fill_(bool(on))

    @property
    def output_scaling(self):
        """The scaling of what the decoder outputs: the input's, for an autoencoder."""
        return self.scaling

    def standardize(self, X):
        return self.scaling(X)

    def unstandardize(self, X_scaled):
        """Decoder-side rows (outputs, targets) in the network's units back to the user's."""
        return self.output_scaling.inverse(X_scaled)

    def to_input_space(self, reconstruction):
        """Map the decoder's output back to the user's units."""
        if self.loss == "bce" and not self.clip_output:
            return torch.sigmoid(reconstruction)
        if self.loss == "bce":
            return self.unstandardize(reconstruction).clamp(0.0, 1.0)
        return self.unstandardize(reconstruction)

    def _loss_space(self, reconstruction):
        """The decoder's training output as the loss reads it (logits for "bce")."""
        if self.loss == "bce" and self.clip_output:
            margin = self.CLIP_MARGIN
            return torch.logit(self.unstandardize(reconstruction).clamp(margin, 1.0 - margin))
        return reconstruction

    def encode(self, X):
        return self.encode_scaled(self.standardize(X))

    def decode(self, code):
        return self.to_input_space(self.decode_scaled(code))

    def encode_scaled(self, X_scaled):
        """The code of rows already in the network's units."""
        return self.encoder(X_scaled)

    def decode_scaled(self, code):
        """The decoder's output for ``code``, before :meth:`to_input_space`."""
        return self.decoder(code)

    def score_rows(self, X):
        """Negative squared reconstruction error per row, in the user's units."""
        return self.score_scaled_rows(self.standardize(X))

    def score_scaled_rows(self, X_scaled):
        """:meth:`score_rows` of rows already in the network's units.

        The error of a squared-error network is taken in scaled units and
        then rescaled, so that float32 rows scaled once (as training and its
        validation see them) lose no digits to a large offset.
        """
        return self._score_scaled(X_scaled, X_scaled)

    def _score_scaled(self, X_scaled, target_scaled):
        """Negative squared error per row of the output for ``X_scaled`` to ``target_scaled``."""
        output = self.decode_scaled(self.encode_scaled(X_scaled))
        if self.loss == "mse":
            error = (target_scaled - output) * self.output_scaling.scale.to(target_scaled.dtype)
        else:
            error = self.unstandardize(target_scaled) - self.to_input_space(output)
        return -error.pow(2).flatten(1).sum(dim=1, keepdim=True)

    def _encoder_input(self, X_scaled):
        encoder_input = X_scaled
        if self.training and self.noise > 0:
            encoder_input = encoder_input + self.noise * torch.randn_like(encoder_input)
        if self.training and self.needs_input_gradient and torch.is_grad_enabled():
            encoder_input = encoder_input.detach().requires_grad_(True)
        return encoder_input

    def _target(self, X_scaled):
        return self.unstandardize(X_scaled) if self.loss == "bce" else X_scaled

    def _decoder_input(self, code):
        """The code as the decoder sees it in a training forward pass."""
        return code

    def forward(self, X_scaled, target_scaled=None):
        """The training pass over rows already in the network's (scaled) units.

        The output is compared with ``target_scaled``, the batch's targets in
        the network's units; None: with ``X_scaled`` itself, as an autoencoder's.
        """
        encoder_input = self._encoder_input(X_scaled)
        code = self.encoder(encoder_input)
        return AutoencoderOutput(
            reconstruction=self._loss_space(self.decoder(self._decoder_input(code))),
            target=self._target(X_scaled if target_scaled is None else target_scaled),
            code=code,
            encoder_input=encoder_input,
        )


def _halved(size, kernel_size):
    """Output size of a stride-2 convolution padded by ``kernel_size // 2``: ceil(size / 2)."""
    padding = kernel_size // 2
    return (size + 2 * padding - kernel_size) // 2 + 1


def conv_stacks(image_shape, channels, kernel_sizes, n_components, activation):
    """A convolutional encoder and its mirrored decoder, both on flat rows.

    The encoder reshapes a row into a ``(C, H, W)`` image, halves the height
    and width with a stride-2 convolution per entry of ``channels``, and maps
    the flattened feature maps linearly to the code. The decoder mirrors it
    with transposed convolutions and flattens its output back into a row.

    Any height and width work: a stride-2 convolution maps ``n`` pixels to
    ``ceil(n / 2)``, whose transpose gives ``2 * ceil(n / 2) - 1`` or, with an
    ``output_padding`` of one, ``2 * ceil(n / 2)``; the padding is chosen per
    layer so that the decoder reproduces each size exactly (28 -> 14 -> 7 -> 4
    comes back as 4 -> 7 -> 14 -> 28).

    Parameters
    ----------
    image_shape : tuple of (int, int, int)
        ``(C, H, W)``; a row holds the image in that (channels-first) order.
    channels : tuple of int
        Output channels of each convolution; ``()`` leaves only the linear map.
    kernel_sizes : tuple of int
        Kernel size of each convolution, as many as ``channels``.
    n_components : int
        Size of the code.
    activation : str
        A key of :data:`ACTIVATIONS`, applied after every convolution and
        before every transposed one.

    Returns
    -------
    encoder, decoder : nn.Sequential
    """
    shapes = [tuple(image_shape)]
    for n_channels, kernel_size in zip(channels, kernel_sizes, strict=True):
        _, height, width = shapes[-1]
        shapes.append((n_channels, _halved(height, kernel_size), _halved(width, kernel_size)))
    n_flat = math.prod(shapes[-1])

    encoder = [nn.Unflatten(1, shapes[0])]
    decoder = []
    for (in_channels, height, width), (out_channels, *small_size), kernel_size in zip(
        shapes[:-1], shapes[1:], kernel_sizes, strict=True
    ):
        padding = kernel_size // 2
        encoder += [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride=2, padding=padding),
            ACTIVATIONS[activation](),
        ]
        transposed_size = [2 * (size - 1) - 2 * padding + kernel_size for size in small_size]
        # Built from the image inwards, so each transposed layer goes in front.
        decoder = [
            ACTIVATIONS[activation](),
            nn.ConvTranspose2d(
                out_channels,
                in_channels,
                kernel_size,
                stride=2,
                padding=padding,
                output_padding=(height - transposed_size[0], width - transposed_size[1]),
            ),
            *decoder,
        ]
    encoder += [nn.Flatten(), nn.Linear(n_flat, n_components)]
    decoder = [nn.Linear(n_components, n_flat), nn.Unflatten(1, shapes[-1]), *decoder, nn.Flatten()]
    return nn.Sequential(*encoder), nn.Sequential(*decoder)


class VariationalAutoencoder(Autoencoder):
    """An autoencoder whose encoder gives a Gaussian posterior over the code.

    The encoder outputs ``2 * n_components`` values: the posterior's mean and
    log-variance. A forward pass draws the code from the posterior with the
    reparameterisation trick, so the loss is a one-draw estimate of the
    negative evidence lower bound (ELBO); :meth:`encode` gives the mean.

    The likelihood is Bernoulli for ``loss="bce"`` (the decoder outputs
    logits) and, for ``loss="mse"``, Gaussian with one variance shared by all
    features. That variance is not fixed: a fixed unit variance in scaled
    units weighs the reconstruction so little against the KL term that the
    code collapses onto the prior and samples come out blurred. Training uses
    each batch's maximum-likelihood variance, its mean squared error ("optimal
    sigma-VAE", Rybkin et al., 2021), and tracks a running average of it in
    the ``likelihood_variance`` buffer, as batch normalisation tracks its
    statistics, for scoring.

    Parameters
    ----------
    encoder, decoder : nn.Module
        Maps from scaled rows to ``2 * n_components`` values, and from codes
        to the likelihood's parameters.
    scaling, loss
        As in :class:`Autoencoder`.
    """

    # Weight of each training batch in the running likelihood variance: it follows
    # the last few dozen batches, long enough to average out one batch's
    # noise, short enough to track the decoder as it improves.
    VARIANCE_MOMENTUM = 0.1
    # Least number of posterior draws per row for the ELBO in :meth:`score_rows`.
    N_ELBO_DRAWS = 16

    def __init__(self, encoder, decoder, *, scaling, loss):
        super().__init__(encoder, decoder, scaling=scaling, loss=loss)
        self.register_buffer("likelihood_variance", torch.tensor(1.0, dtype=torch.float64))

    def posterior(self, encoder_input):
        """Mean and log-variance of the code given scaled rows."""
        mean, log_var = self.encoder(encoder_input).chunk(2, dim=1)
        return mean, log_var

    def encode_scaled(self, X_scaled):
        return self.posterior(X_scaled)[0]

    def _output(self, X_scaled, encoder_input, mean, log_var, standard_normal):
        """The forward pass for the code ``mean + std * standard_normal``."""
        code = mean + torch.exp(0.5 * log_var) * standard_normal
        likelihood_variance = (
            self.likelihood_variance.to(mean.dtype) if self.loss == "mse" else None
        )
        return AutoencoderOutput(
            reconstruction=self.decoder(code),
            target=self._target(X_scaled),
            code=code,
            encoder_input=encoder_input,
            mean=mean,
            log_var=log_var,
            likelihood_variance=likelihood_variance,
        )

    def forward(self, X_scaled):
        mean, log_var = self.posterior(X_scaled)
        output = self._output(X_scaled, X_scaled, mean, log_var, torch.randn_like(mean))
        if self.loss == "mse" and self.training:
            output.likelihood_variance = optimal_likelihood_variance(
                output.reconstruction, output.target
            )
            with torch.no_grad():
                self.likelihood_variance.lerp_(
                    output.likelihood_variance.to(self.likelihood_variance.dtype),
                    self.VARIANCE_MOMENTUM,
                )
        return output

    def score_scaled_rows(self, X_scaled):
        """ELBO per row, a lower bound of its log-likelihood in the user's units.

        The expectation over the posterior is estimated with the same fixed
        draws for every row (:func:`elbo_draws`), so a row's score does not
        depend on the other rows or on the batching. For the Gaussian likelihood, the log-density
        of the scaled data is converted to the user's units by the Jacobian of
        the scaling, ``-n_features * log(scale)``.
        """
        mean, log_var = self.posterior(X_scaled)
        draws = elbo_draws(mean.shape[1], self.N_ELBO_DRAWS).to(mean.device, mean.dtype)
        negative_elbo = 0.0
        for draw in draws:
            output = self._output(X_scaled, X_scaled, mean, log_var, draw)
            negative_elbo = negative_elbo + per_sample_objective(output, self.loss)
        elbo = -negative_elbo / len(draws)
        if self.loss == "mse":
            elbo = elbo - X_scaled.shape[1] * torch.log(self.scaling.scale.to(elbo.dtype))
        return elbo.unsqueeze(1)


def elbo_draws(n_components, n_draws):
    """Fixed standard normal draws whose mean is 0 and whose covariance is exactly I.

    Antithetic pairs ``(eps, -eps)`` cancel odd moments; their halves are
    scaled orthonormal columns, so the draws' second moments are exact. The
    expectation over a Gaussian posterior of anything quadratic in the code,
    such as a linear decoder's squared error, is then exact: the ELBO of a
    linear Gaussian VAE is computed without sampling error. At least
    ``2 * n_components`` draws are used.
    """
    half = max(-(-n_draws // 2), n_components)
    generator = torch.Generator().manual_seed(0)
    gaussian = torch.randn(half, n_components, generator=generator, dtype=torch.float64)
    orthonormal, _ = torch.linalg.qr(gaussian)
    scaled = orthonormal * math.sqrt(half)
    return torch.cat([scaled, -scaled])
