"""benchmarks.perf: the hand-written reference loop and the fit-overhead rows it gives."""

import numpy as np
import pytest
import torch

from benchmarks import perf
from sk_autoencoder import AutoencoderTransformer


def test_hand_written_loop_trains_the_estimators_network_from_its_pca_start(digits):
    X = digits[0]
    estimator = AutoencoderTransformer(8, hidden_layer_sizes=(16,), random_state=0)
    started = perf.hand_written_fit(X, estimator, epochs=0)
    trained = perf.hand_written_fit(X, estimator, epochs=2)
    shapes = {name: tuple(p.shape) for name, p in trained.named_parameters()}
    assert shapes == {name: tuple(p.shape) for name, p in started.named_parameters()}
    moved = [
        not torch.equal(p, q)
        for p, q in zip(started.parameters(), trained.parameters(), strict=True)
    ]
    assert any(moved)
    scaled = torch.as_tensor((X - X.mean(axis=0)) / X.std(), dtype=torch.float32)
    assert torch.isfinite(trained(scaled).reconstruction).all()


def test_fit_overhead_row_times_both_on_the_same_device(digits):
    row = perf.bench_fit_overhead(
        digits[0], data="digits", epochs=2, repeats=1, hidden_layer_sizes=(16,), n_components=4
    )
    assert row["device"] == "cpu" and row["epochs"] == 2
    assert row["ratio"] == pytest.approx(row["package_seconds"] / row["torch_loop_seconds"])
    assert np.isfinite(row["ratio"]) and row["ratio"] > 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is there to measure")
def test_the_cuda_row_says_there_is_no_device_without_one(digits):
    assert perf.bench_fit_on_cuda(digits[0], quick=True)["device"] == "no CUDA device"


def test_one_row_row_times_each_call_of_the_autoencoder_and_of_pca(digits):
    row = perf.bench_one_row_calls(digits[0], digits[0], repeats=1, n_components=4, calls=3)
    assert row["network"] == "64-256-128-4" and row["calls"] == 3
    for name in ("transform_ms", "pca_transform_ms", "score_samples_ms", "pca_score_samples_ms"):
        assert np.isfinite(row[name]) and row[name] > 0, name
    assert row["ratio"] == pytest.approx(row["score_samples_ms"] / row["pca_score_samples_ms"])
