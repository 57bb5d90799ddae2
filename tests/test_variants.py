"""A variant written outside the package: its own module, one export, nothing else.

An adversarial autoencoder (a discriminator on the codes, trained against the
prior with an optimizer of its own) does not start as PCA; it is written here
with the base class's public hooks only, as a new module of the package would
be, and must fit, transform, save and load like the built-in estimators. Its
``_after_training`` hook measures the trained discriminator on the rows of the
training call it is handed, over every process that trains the model.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from torch import nn

import sk_autoencoder
from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._distributed import SingleProcess
from sk_autoencoder._modules import Autoencoder, dense_stack
from sk_autoencoder._net import AutoencoderNet


class AdversarialNet(AutoencoderNet):
    """Registers a discriminator on the codes and its optimizer; trains it after every step."""

    def initialize_module(self):
        super().initialize_module()
        n_components = self.module_.encoder[-1].out_features
        self.discriminator_ = nn.Sequential(nn.Linear(n_components, 8), nn.ReLU(), nn.Linear(8, 1))
        return self

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        self.discriminator_optimizer_ = torch.optim.Adam(self.discriminator_.parameters(), self.lr)
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        # The encoder is pushed towards codes the discriminator takes for the prior's.
        fooled = self.discriminator_(y_pred.code)
        return loss + 0.1 * nn.functional.binary_cross_entropy_with_logits(
            fooled, torch.ones_like(fooled)
        )

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        code = step["y_pred"].code.detach()
        real, fake = self.discriminator_(torch.randn_like(code)), self.discriminator_(code)
        bce = nn.functional.binary_cross_entropy_with_logits
        loss = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
        self.discriminator_optimizer_.zero_grad()
        loss.backward()
        self.discriminator_optimizer_.step()
        return step


class AdversarialAutoencoderTransformer(BaseAutoencoder):
    _net_class = AdversarialNet

    def __init__(
        self,
        n_components=2,
        *,
        activation="relu",
        loss="auto",
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
        self.activation = activation
        self.loss = loss
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
        widths = (n_features, 16, self._n_components(n_features))
        encoder = dense_stack(widths, self.activation)
        decoder = dense_stack(widths[::-1], self.activation)
        return Autoencoder(encoder, decoder, scaling=scaling, loss=loss)

    def _after_training(self, call):
        super()._after_training(call)
        self.fooled_fraction_ = fooled_fraction(self, call.X, call.processes)


def fooled_fraction(autoencoder, X, processes):
    """Share of the rows of ``X``, over every process, whose codes fool the discriminator."""
    discriminator = autoencoder.net_.discriminator_
    dtype = next(discriminator.parameters()).dtype
    with torch.no_grad():
        logits = discriminator(torch.as_tensor(autoencoder.transform(X), dtype=dtype))
    n_fooled = processes.sum(int((logits > 0).sum()))
    return float(n_fooled / processes.sum(X.shape[0]))


@pytest.fixture
def exported(monkeypatch):
    """The variant exported as its line in ``__init__.py`` would export it."""
    name = AdversarialAutoencoderTransformer.__name__
    monkeypatch.setattr(sk_autoencoder, name, AdversarialAutoencoderTransformer, raising=False)
    monkeypatch.setattr(sk_autoencoder, "__all__", [*sk_autoencoder.__all__, name])
    return AdversarialAutoencoderTransformer


def test_a_variant_in_its_own_module_fits_saves_and_loads(exported, tmp_path):
    X = load_digits().data[:600]
    autoencoder = exported(n_components=2, max_iter=3, random_state=0, device="cpu").fit(X)
    codes = autoencoder.transform(X)
    assert codes.shape == (600, 2) and np.isfinite(codes).all()
    assert autoencoder.inverse_transform(codes).shape == X.shape
    assert autoencoder.n_iter_ == 3
    # The discriminator trained beside the autoencoder, and the hook measured
    # the fitted one on the rows of the fit.
    assert autoencoder.net_.discriminator_optimizer_.state
    assert autoencoder.fooled_fraction_ == fooled_fraction(autoencoder, X, SingleProcess())
    path = tmp_path / "adversarial.safetensors"
    sk_autoencoder.save(autoencoder, path)
    loaded = sk_autoencoder.load(path)
    assert type(loaded) is exported
    assert loaded.fooled_fraction_ == autoencoder.fooled_fraction_
    assert_array_equal(loaded.transform(X), codes)
    for name in ("discriminator", "module"):
        saved_state = getattr(autoencoder.net_, name + "_").state_dict()
        loaded_state = getattr(loaded.net_, name + "_").state_dict()
        for key, tensor in saved_state.items():
            assert torch.equal(loaded_state[key], tensor)
