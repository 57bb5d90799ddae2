"""The loss terms, written once and shared by every estimator.

Scales: the reconstruction term is a mean over samples of a sum over features,
divided by the number of features, so its size does not grow with the input's
width and a learning rate carries over between data sets. The regularisers are
means over samples, added with their weights.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F


def reconstruction_error(reconstruction, target, loss):
    """Per-sample reconstruction loss, summed over features.

    Parameters
    ----------
    reconstruction : Tensor of shape (n_samples, n_features)
        Decoder output: scaled values for "mse", logits for "bce".
    target : Tensor of shape (n_samples, n_features)
        Scaled inputs for "mse", inputs in [0, 1] for "bce".
    loss : {"mse", "bce"}
    """
    if loss == "bce":
        elementwise = F.binary_cross_entropy_with_logits(reconstruction, target, reduction="none")
    else:
        elementwise = (reconstruction - target) ** 2
    return elementwise.flatten(1).sum(dim=1)


def sparsity_penalty(code):
    """Mean over samples of the L1 norm of the code."""
    return code.abs().sum(dim=1).mean()


def contraction_penalty(code, encoder_input):
    """Unbiased estimate of the mean squared Frobenius norm of d(code)/d(input).

    For a random probe ``v`` with identity covariance,
    ``E ||J^T v||^2 = ||J||_F^2`` (Hutchinson's estimator). One
    vector-Jacobian product per batch costs about one extra backward pass,
    whatever the code size, where the full Jacobian would cost
    ``n_components`` of them.
    """
    probe = torch.randn_like(code)
    (vector_jacobian,) = torch.autograd.grad(
        code, encoder_input, grad_outputs=probe, create_graph=True
    )
    return vector_jacobian.pow(2).flatten(1).sum(dim=1).mean()


def kl_divergence(mean, log_var):
    """Per-sample KL divergence of N(mean, exp(log_var)) from N(0, I)."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=1)


# Floor of the likelihood's variance in scaled units (where the data have unit
# mean variance): it keeps the log-density finite when a batch is
# reconstructed exactly. It must stay below the variance PCA leaves in raw
# tables whose columns differ in scale by orders of magnitude (1e-9 of the
# mean variance is seen), or the VAE could not even start as PPCA there.
MIN_LIKELIHOOD_VARIANCE = 1e-12


def gaussian_negative_log_likelihood(reconstruction, target, likelihood_variance):
    """Per-sample negative log-density of ``target`` under N(reconstruction, likelihood_variance I).

    Parameters
    ----------
    reconstruction, target : Tensor of shape (n_samples, n_features)
        Mean of the likelihood and the observed values, in scaled units.
    likelihood_variance : Tensor of shape ()
        One variance shared by every feature.
    """
    n_features = target[0].numel()
    squared_error = (reconstruction - target).pow(2).flatten(1).sum(dim=1)
    return 0.5 * (
        squared_error / likelihood_variance
        + n_features * (torch.log(likelihood_variance) + math.log(2 * math.pi))
    )


def optimal_likelihood_variance(reconstruction, target):
    """The shared variance that maximises a batch's Gaussian likelihood: its mean squared error.

    With this variance plugged in, the Gaussian likelihood of a variational
    autoencoder weighs reconstruction against the KL term as the data warrant
    ("optimal sigma-VAE", Rybkin et al., 2021). It is returned without
    gradient: at the optimum the likelihood's derivative with respect to the
    variance is zero, so the gradient with respect to the network is the same
    either way.
    """
    squared_error = (reconstruction - target).detach().pow(2).mean()
    return squared_error.clamp_min(MIN_LIKELIHOOD_VARIANCE)


def per_sample_objective(output, loss, beta=1.0):
    """Per-sample loss of one forward pass, before the batch-level regularisers.

    The reconstruction term is the squared error or the cross-entropy, or the
    Gaussian negative log-likelihood when ``output`` carries a noise variance.
    When ``output`` carries a posterior (``mean`` and ``log_var``), ``beta``
    times its KL divergence from the prior is added: with ``beta=1`` this is
    a one-draw estimate of the negative evidence lower bound (ELBO).

    Parameters
    ----------
    output : AutoencoderOutput
        The forward pass.
    loss : {"mse", "bce"}
        Reconstruction loss.
    beta : float, default=1.0
        Weight of the KL term.
    """
    if output.likelihood_variance is not None:
        per_sample = gaussian_negative_log_likelihood(
            output.reconstruction, output.target, output.likelihood_variance
        )
    else:
        per_sample = reconstruction_error(output.reconstruction, output.target, loss)
    if output.mean is not None:
        per_sample = per_sample + beta * kl_divergence(output.mean, output.log_var)
    return per_sample


class AutoencoderLoss(nn.Module):
    """Training objective of every autoencoder: reconstruction plus regularisers.

    It is the skorch ``criterion``; skorch calls it with the module's
    :class:`~sk_autoencoder._modules.AutoencoderOutput` and the batch.

    Parameters
    ----------
    loss : {"mse", "bce"}
        Reconstruction loss.
    sparsity : float
        Weight of the L1 penalty on the code.
    contraction : float
        Weight of the contractive penalty.
    beta : float
        Weight of the KL term, used when the output carries a posterior.
    """

    def __init__(self, loss="mse", sparsity=0.0, contraction=0.0, beta=1.0):
        super().__init__()
        self.loss = loss
        self.sparsity = sparsity
        self.contraction = contraction
        self.beta = beta

    def forward(self, output, X=None):
        n_features = output.target[0].numel()
        per_sample = per_sample_objective(output, self.loss, beta=self.beta)
        total = per_sample.mean() / n_features
        if self.sparsity > 0:
            total = total + self.sparsity * sparsity_penalty(output.code)
        if self.contraction > 0 and output.encoder_input.requires_grad:
            total = total + self.contraction * contraction_penalty(
                output.code, output.encoder_input
            )
        return total
