"""CustomAutoencoderTransformer: the user's torch networks, frozen layers, the PCA floor, save."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA

from sk_autoencoder import CustomAutoencoderTransformer, load, save
from tests.conftest import (
    CONSTRUCTED,
    ConvEncoder,
    DigitsEncoder,
    ImageDecoder,
    TinyDecoder,
    TinyEncoder,
)

FAST = dict(max_iter=2, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:300]


def tiny(**params):
    autoencoder = CustomAutoencoderTransformer(TinyEncoder, TinyDecoder, n_components=3, **FAST)
    return autoencoder.set_params(**params)


def test_custom_starts_as_pca(X):
    # Before the first step, the reconstruction is PCA's: the user's networks
    # enter through layers that start at zero.
    autoencoder = tiny(max_iter=1, learning_rate_init=1e-12, loss="mse").fit(X)
    pca = PCA(n_components=3).fit(X)
    assert_allclose(
        autoencoder.inverse_transform(autoencoder.transform(X)),
        pca.inverse_transform(pca.transform(X)),
        atol=1e-6 * np.abs(X).max(),
    )


def test_custom_pca_start_keeps_pretrained_weights(X):
    encoder = DigitsEncoder()
    weight = encoder.fc.weight.detach().clone()
    autoencoder = CustomAutoencoderTransformer(
        encoder, TinyDecoder, frozen=["encoder"], **FAST
    ).fit(X)
    # The user's instance is copied, never trained; frozen weights stay, and the
    # PCA start zeroed a layer of its own, not the encoder's last one.
    assert_array_equal(encoder.fc.weight.detach(), weight)
    assert_array_equal(autoencoder.encoder_.fc.weight.detach(), weight)
    assert autoencoder.encoder_ is not encoder


def test_custom_infers_n_components_from_the_encoder(X):
    autoencoder = CustomAutoencoderTransformer(DigitsEncoder, TinyDecoder, **FAST).fit(X)
    assert autoencoder.n_components_ == 4
    assert autoencoder.transform(X).shape == (len(X), 4)
    assert autoencoder.inverse_transform(autoencoder.transform(X)).shape == X.shape


def test_custom_frozen_parameters_do_not_change(X):
    autoencoder = tiny(frozen=["encoder.layers.0", "decoder.layers.2.bias"], init="random")
    autoencoder.fit(X)
    start = tiny(frozen=["encoder.layers.0"], init="random", max_iter=1, learning_rate_init=1e-12)
    start.fit(X)
    encoder, initial = autoencoder.encoder_, start.encoder_
    # Same seed, same initial weights: frozen ones are where they started.
    assert_array_equal(encoder.layers[0].weight.detach(), initial.layers[0].weight.detach())
    assert not torch.equal(encoder.layers[2].weight, initial.layers[2].weight)
    assert not autoencoder.decoder_.layers[2].bias.requires_grad
    assert autoencoder.decoder_.layers[2].weight.requires_grad


def test_custom_learning_rate_scales_are_parameter_groups(X):
    autoencoder = tiny(learning_rate_scales={"encoder": 0.1, "encoder.layers.2": 0.01})
    autoencoder.fit(X)
    optimizer = autoencoder.net_.optimizer_
    initial = {
        id(parameter): group["initial_lr"]
        for group in optimizer.param_groups
        for parameter in group["params"]
    }
    encoder, decoder = autoencoder.encoder_, autoencoder.decoder_
    assert initial[id(encoder.layers[0].weight)] == pytest.approx(1e-4)
    assert initial[id(encoder.layers[2].weight)] == pytest.approx(1e-5)
    assert initial[id(decoder.layers[0].weight)] == pytest.approx(1e-3)


def test_custom_convolutional_encoder_and_image_decoder(X):
    autoencoder = CustomAutoencoderTransformer(
        ConvEncoder, ImageDecoder, input_shape=(1, 8, 8), **FAST
    ).fit(X)
    assert autoencoder.n_components_ == 3
    assert autoencoder.inverse_transform(autoencoder.transform(X)).shape == X.shape


def test_custom_partial_fit_trains_on(X):
    autoencoder = tiny()
    autoencoder.partial_fit(X)
    autoencoder.partial_fit(X)
    assert autoencoder.n_iter_ == 2
    assert autoencoder.score_samples(X).shape == (len(X),)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            dict(encoder_params={"n_features": 10}),
            r"encoder TinyEncoder does not accept .*\(2, 64\)",
        ),
        (dict(encoder_params={"n_components": 4}), r"codes of 4 values, but n_components=3"),
        (dict(decoder_params={"n_features": 10}), r"must hold n_features=64 values"),
        (dict(decoder_params={"n_components": 5}), r"decoder TinyDecoder does not accept codes"),
        (dict(frozen=["encoder.nothing"]), r"frozen names 'encoder.nothing'"),
        (dict(learning_rate_scales={"decoder": -1.0}), r"must be a positive number"),
        (dict(encoder_params={"depth": 2}), r"cannot be built with arguments"),
        (dict(input_shape=(1, 7, 7)), r"input_shape=\(1, 7, 7\) holds 49 values"),
        (dict(encoder=torch.nn.Linear(64, 3), encoder_params={"a": 1}), r"instance"),
        (dict(encoder="TinyEncoder"), r"must be a torch.nn.Module class or instance"),
    ],
)
def test_custom_networks_that_do_not_fit_fail_clearly(X, params, message):
    with pytest.raises((ValueError, TypeError), match=message) as error:
        tiny(**params).fit(X)
    # The error is the package's, not a stack trace from inside torch.
    assert "torch" not in str(error.traceback[-1].path)
    assert error.value.__cause__ is None
    assert error.value.__context__ is None or error.value.__suppress_context__


def test_custom_clone_copies_an_instance(X):
    encoder = DigitsEncoder()
    autoencoder = CustomAutoencoderTransformer(encoder, TinyDecoder, **FAST)
    cloned = clone(autoencoder)
    assert cloned.encoder is not encoder
    assert_array_equal(cloned.encoder.fc.weight.detach(), encoder.fc.weight.detach())


def test_custom_save_load_round_trips_with_its_classes_trusted(X, tmp_path):
    autoencoder = tiny().fit(X)
    path = tmp_path / "custom.safetensors"
    save(autoencoder, path)
    loaded = load(path, trusted=[TinyEncoder, TinyDecoder])
    assert loaded.encoder is TinyEncoder
    assert_array_equal(loaded.transform(X), autoencoder.transform(X))
    assert_array_equal(loaded.score_samples(X), autoencoder.score_samples(X))


def test_custom_load_refuses_untrusted_classes_before_building_any(X, tmp_path):
    autoencoder = tiny().fit(X)
    path = tmp_path / "custom.safetensors"
    save(autoencoder, path)
    CONSTRUCTED.clear()
    with pytest.raises(ValueError, match="not trusted") as error:
        load(path)
    assert "encoder is the class 'tests.conftest.TinyEncoder'" in str(error.value)
    assert "decoder is the class 'tests.conftest.TinyDecoder'" in str(error.value)
    # Trusting one class is not trusting the other: refused before either is built.
    with pytest.raises(ValueError, match=r"decoder is the class 'tests.conftest.TinyDecoder'"):
        load(path, trusted=[TinyEncoder])
    assert CONSTRUCTED == []
    with pytest.raises(TypeError, match="trusted must hold torch.nn.Module classes"):
        load(path, trusted=["tests.conftest.TinyEncoder"])


def test_custom_instance_saves_with_its_weights(X, tmp_path):
    encoder = DigitsEncoder()
    autoencoder = CustomAutoencoderTransformer(
        encoder, TinyDecoder, frozen=["encoder"], learning_rate_scales={"decoder": 0.5}, **FAST
    ).fit(X)
    path = tmp_path / "instance.safetensors"
    save(autoencoder, path)
    loaded = load(path, trusted=[DigitsEncoder, TinyDecoder])
    assert isinstance(loaded.encoder, DigitsEncoder)
    assert_array_equal(loaded.encoder.fc.weight.detach(), encoder.fc.weight.detach())
    assert_array_equal(loaded.transform(X), autoencoder.transform(X))
    # The optimizer's groups and state come back: training goes on alike.
    loaded.partial_fit(X)
    autoencoder.partial_fit(X)
    assert_array_equal(loaded.transform(X), autoencoder.transform(X))


def test_custom_instance_without_a_no_argument_constructor_is_not_saved(X, tmp_path):
    autoencoder = CustomAutoencoderTransformer(TinyEncoder(64, 3), TinyDecoder, **FAST).fit(X)
    with pytest.raises(TypeError, match=r"rebuilds it as TinyEncoder\(\) with no arguments"):
        save(autoencoder, tmp_path / "instance.safetensors")
