"""layer_outputs and get_layer_names: every layer's representation, for every network."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sk_autoencoder import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    CustomAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from tests.conftest import ConvEncoder, ImageDecoder, TinyDecoder, TinyEncoder

FAST = dict(max_iter=2, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:200].astype(np.float32)


# Each network with the names and per-row shapes of some of its layers.
CASES = {
    "dense": (
        AutoencoderTransformer(3, hidden_layer_sizes=(16,), **FAST),
        {"encoder.0": (16,), "encoder.1": (16,), "encoder": (3,), "decoder.2": (64,)},
    ),
    "conv": (
        ConvAutoencoderTransformer(3, image_shape=(8, 8), channels=(4,), **FAST),
        {
            "encoder.0": (1, 8, 8),
            "encoder.1": (4, 4, 4),
            "decoder.2": (4, 4, 4),
            "decoder.3": (1, 8, 8),
        },
    ),
    "variational": (
        VariationalAutoencoderTransformer(3, hidden_layer_sizes=(16,), loss="mse", **FAST),
        {"encoder.1": (16,), "encoder": (6,), "decoder.0": (16,), "decoder": (64,)},
    ),
    "custom": (
        CustomAutoencoderTransformer(TinyEncoder, TinyDecoder, 3, **FAST),
        {"encoder.layers.0": (8,), "encoder": (3,), "decoder.layers.1": (8,), "decoder": (64,)},
    ),
    "custom-conv": (
        CustomAutoencoderTransformer(ConvEncoder, ImageDecoder, input_shape=(1, 8, 8), **FAST),
        {"encoder.conv": (2, 4, 4), "encoder.head.2": (3,), "decoder": (1, 8, 8)},
    ),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request, X):
    estimator, shapes = CASES[request.param]
    return estimator.fit(X), shapes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_outputs_have_the_layers_shapes_and_the_input_dtype(case, X, dtype):
    estimator, shapes = case
    outputs = estimator.layer_outputs(X.astype(dtype))
    assert list(outputs) == estimator.get_layer_names()
    for name, shape in shapes.items():
        assert outputs[name].shape == (len(X), *shape), name
    assert all(output.dtype == dtype for output in outputs.values())


def test_layer_names_list_encoder_then_decoder(case):
    estimator, shapes = case
    names = estimator.get_layer_names()
    assert set(shapes) <= set(names)
    assert names[0] == "encoder"
    assert names.index("decoder") > max(i for i, n in enumerate(names) if n.startswith("encoder"))


def test_layer_outputs_do_not_depend_on_batching(case, X):
    estimator, _ = case
    whole = estimator.layer_outputs(X)
    pieces = [estimator.layer_outputs(X[start : start + 37]) for start in range(0, len(X), 37)]
    for name, output in whole.items():
        assert_allclose(
            np.concatenate([piece[name] for piece in pieces]), output, rtol=1e-5, atol=1e-5
        )


def test_the_decoder_layers_see_the_transform_codes(X):
    # The dense network's decoder starts at its code; its first linear layer's
    # input is what transform returns.
    estimator = AutoencoderTransformer(3, hidden_layer_sizes=(16,), init="random", **FAST).fit(X)
    first = estimator.net_.module_.decoder[0]
    outputs = estimator.layer_outputs(X, layers=["decoder.0"])
    codes = estimator.transform(X)
    expected = codes @ first.weight.detach().numpy().T + first.bias.detach().numpy()
    assert_allclose(outputs["decoder.0"], expected, rtol=1e-4, atol=1e-4)


def test_a_switched_off_network_still_reports_its_layers(X):
    estimator = AutoencoderTransformer(3, hidden_layer_sizes=(16,), **FAST).fit(X)
    estimator.net_.module_.use_network(False)
    outputs = estimator.layer_outputs(X[:5])
    assert outputs["encoder.1"].shape == (5, 16)


def test_unknown_layers_are_refused_with_the_names(X):
    estimator = AutoencoderTransformer(3, hidden_layer_sizes=(16,), **FAST).fit(X)
    with pytest.raises(ValueError, match=r"\['encoder.9'\] are not layers.*'encoder.0'"):
        estimator.layer_outputs(X, layers=["encoder.9"])
    assert list(estimator.layer_outputs(X, layers="encoder.1")) == ["encoder.1"]
