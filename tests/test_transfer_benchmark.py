"""benchmarks.transfer: its splits, a quick run end to end, and what the committed run holds."""

import json

import numpy as np
import torch

from benchmarks import transfer
from benchmarks.cli import cpu_model
from benchmarks.datasets import load_mnist10k
from benchmarks.render import RESULTS_DIR

METHODS = ("transfer", "scratch", "pca", "in_domain")


def test_splits_keep_the_pretraining_digits_apart_from_the_new_ones():
    X_pretraining, X_small, X_test = transfer.digit_splits(n_small=50, n_pretraining=80)
    X_in_domain = transfer.in_domain_pretraining_rows(n_small=50, n_pretraining=80)
    data = load_mnist10k()
    labels = {row.tobytes(): label for row, label in zip(data.X_train, data.y_train, strict=True)}
    assert {labels[row.tobytes()] for row in X_pretraining} <= set(transfer.PRETRAINING_DIGITS)
    for rows in (X_small, X_in_domain):
        assert {labels[row.tobytes()] for row in rows} <= set(transfer.NEW_DIGITS)
    # The in-domain pretraining never sees the images the reuse is fitted on.
    assert not {row.tobytes() for row in X_small} & {row.tobytes() for row in X_in_domain}
    assert (len(X_pretraining), len(X_small), len(X_in_domain)) == (80, 50, 80)
    assert len(X_test) > 0


def test_quick_run_writes_every_method_for_every_network(tmp_path):
    argv = ["--quick", "--seeds", "0", "--n-components", "8", "--out", str(tmp_path)]
    assert transfer.main(argv) == 0
    content = json.loads((tmp_path / "transfer_quick.json").read_text())
    assert content["settings"]["quick"]
    assert content["settings"]["cpu"] == cpu_model()  # figures depend on the CPU
    assert content["settings"]["n_in_domain_pretraining"] == transfer.QUICK["n_pretraining"]
    results = content["results"]
    assert [result["network"] for result in results] == list(transfer.NETWORKS)
    for result in results:
        errors = [result[method] for method in METHODS]
        assert np.all(np.isfinite(errors)) and min(errors) > 0


def test_the_convolutional_networks_map_images_to_codes_and_back():
    encoder, decoder = transfer.ConvDigitEncoder(n_components=5), transfer.ConvDigitDecoder(5)
    images = torch.rand(3, 1, 28, 28)
    code = encoder(images)
    assert code.shape == (3, 5)
    assert decoder(code).shape == (3, 784)


def test_committed_run_measures_every_method_at_every_code_size_and_seed():
    content = json.loads((RESULTS_DIR / "transfer.json").read_text())
    assert not content["settings"]["quick"]
    results = content["results"]
    measured = {(result["network"], result["n_components"], result["seed"]) for result in results}
    assert measured == {
        (network, k, seed)
        for network in transfer.NETWORKS
        for k in transfer.CODE_SIZES
        for seed in transfer.SEEDS
    }
    for result in results:
        # Every reused encoder, and the network from scratch, beat PCA on the 500 images.
        for method in ("transfer", "scratch", "in_domain"):
            assert result[method] < result["pca"], (result["benchmark"], method)
