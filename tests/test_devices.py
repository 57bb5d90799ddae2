"""Training and inference on a CUDA device; skipped where torch finds none.

CI has no GPU: these run wherever one is available (``pytest -m gpu``).
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from sk_autoencoder import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    VariationalAutoencoderTransformer,
    load,
    save,
)
from tests._helpers import reconstruction_error

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture(scope="module")
def digits01(training_digits, held_out_digits):
    return training_digits[0] / 16.0, held_out_digits[0] / 16.0


def dense(device):
    return AutoencoderTransformer(
        n_components=8, hidden_layer_sizes=(64,), max_iter=30, random_state=0, device=device
    )


def test_auto_device_trains_on_cuda(digits01):
    X, _ = digits01
    fitted = AutoencoderTransformer(n_components=4, max_iter=2, random_state=0).fit(X)
    assert fitted.device_.type == "cuda"
    assert all(p.is_cuda for p in fitted.net_.module_.parameters())
    codes = fitted.transform(X)
    assert isinstance(codes, np.ndarray) and codes.dtype == np.float64


def test_cuda_fit_is_as_good_as_a_cpu_fit(digits01):
    X, X_test = digits01
    on_gpu = dense("cuda").fit(X)
    on_cpu = dense("cpu").fit(X)
    assert reconstruction_error(on_gpu, X_test) <= 1.05 * reconstruction_error(on_cpu, X_test)
    assert on_gpu.validation_error_ <= on_gpu.pca_validation_error_


@pytest.mark.parametrize("family", [ConvAutoencoderTransformer, VariationalAutoencoderTransformer])
def test_other_families_train_on_cuda(family, digits01):
    X, X_test = digits01
    fitted = family(n_components=8, max_iter=3, random_state=0, device="cuda").fit(X)
    assert np.isfinite(fitted.score(X_test))
    assert fitted.transform(X_test).shape == (len(X_test), 8)


def test_model_trained_on_cuda_loads_on_the_cpu(digits01, tmp_path):
    X, X_test = digits01
    fitted = dense("cuda").set_params(max_iter=3).fit(X)
    save(fitted, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors", device="cpu")
    assert loaded.device_.type == "cpu"
    assert_allclose(loaded.transform(X_test), fitted.transform(X_test), rtol=1e-5, atol=1e-6)
