"""Transfer learning: an encoder pretrained on some digits, reused frozen on a few others.

Run with ``python -m benchmarks.transfer``. MNIST-10k's standard split
(``benchmarks.datasets.load_mnist10k``): an autoencoder is pretrained on
the training split's digits 0 to 4; its encoder, frozen, goes into a
:class:`~sk_autoencoder.CustomAutoencoderTransformer` fitted on
``N_SMALL`` (500) training images of digits 5 to 9. Measured on the test
split's digits 5 to 9, as held-out squared error per image, against the same
network trained from scratch on the 500 images and against PCA fitted on them,
at code sizes 8 and 32 and several seeds, for two networks (``--networks``):
``dense``, two hidden layers on flat rows, and ``conv``, two stride-2
convolutions on 28 x 28 images, whose local filters are the kind of layer
that carries over from some digits to others. One more row bounds what a frozen
encoder can bring here: ``in_domain``, the same reuse of an encoder pretrained
on the *other* training images of digits 5 to 9 (not the 500), as if the
pretraining data had been of the new digits all along. ``--quick`` trains a few epochs on
a few hundred images, to check that it runs, not to quote. Nothing fails on
time: it reports a markdown table on stdout and JSON in ``--out``
(``transfer.json``, ``transfer_quick.json`` with ``--quick``), which the
documentation renders.
"""

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.decomposition import PCA
from torch import nn

from benchmarks.cli import machine_settings
from benchmarks.datasets import load_mnist10k
from benchmarks.metrics import limited_threads
from benchmarks.report import measurements_text
from sk_autoencoder import CustomAutoencoderTransformer

RESULTS_DIR = Path(__file__).parent / "results"
# Training images of the new digits the reused encoder is fitted on.
N_SMALL = 500
PRETRAINING_DIGITS = (0, 1, 2, 3, 4)
NEW_DIGITS = (5, 6, 7, 8, 9)
CODE_SIZES = (8, 32)
SEEDS = (0, 1, 2)
# Epochs of the pretraining and of the fits on the 500 images.
PRETRAINING_EPOCHS = 30
SMALL_EPOCHS = 100
QUICK = dict(n_pretraining=600, n_small=200, n_test=200, pretraining_epochs=2, small_epochs=2)
HIDDEN_WIDTHS = (256, 128)
CONV_CHANNELS = (16, 32)


def relu_stack(sizes):
    """Linear layers of the given sizes, each followed by a ReLU."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class DigitEncoder(nn.Module):
    """An image of 784 pixels (a flat row) to a code of ``n_components``: two hidden layers."""

    def __init__(self, n_components=8, n_features=784, widths=HIDDEN_WIDTHS):
        super().__init__()
        self.hidden = relu_stack((n_features, *widths))
        self.code = nn.Linear(widths[-1], n_components)

    def forward(self, X):
        return self.code(self.hidden(X))


class DigitDecoder(nn.Module):
    """A code of ``n_components`` back to 784 pixels: the encoder's layers mirrored."""

    def __init__(self, n_components=8, n_features=784, widths=HIDDEN_WIDTHS):
        super().__init__()
        self.hidden = relu_stack((n_components, *widths[::-1]))
        self.pixels = nn.Linear(widths[0], n_features)

    def forward(self, code):
        return self.pixels(self.hidden(code))


class ConvDigitEncoder(nn.Module):
    """A 28 x 28 image to a code of ``n_components``: two stride-2 convolutions, a linear map."""

    def __init__(self, n_components=8, channels=CONV_CHANNELS):
        super().__init__()
        first, second = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, first, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(first, second, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        # 28 -> 14 -> 7 pixels a side.
        self.code = nn.Linear(second * 7 * 7, n_components)

    def forward(self, images):
        return self.code(self.features(images))


class ConvDigitDecoder(nn.Module):
    """A code of ``n_components`` back to 784 pixels: the encoder's layers mirrored."""

    def __init__(self, n_components=8, channels=CONV_CHANNELS):
        super().__init__()
        first, second = channels
        self.maps = nn.Sequential(
            nn.Linear(n_components, second * 7 * 7), nn.ReLU(), nn.Unflatten(1, (second, 7, 7))
        )
        self.pixels = nn.Sequential(
            nn.ConvTranspose2d(second, first, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(first, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Flatten(),
        )

    def forward(self, code):
        return self.pixels(self.maps(code))


# name: (encoder, decoder, the estimator's input_shape for the encoder)
NETWORKS = {
    "dense": (DigitEncoder, DigitDecoder, None),
    "conv": (ConvDigitEncoder, ConvDigitDecoder, (1, 28, 28)),
}


def digit_splits(n_small=N_SMALL, n_pretraining=None, n_test=None):
    """``(X_pretraining, X_small, X_test)``: digits 0-4 (train), 500 of 5-9 (train), 5-9 (test)."""
    data = load_mnist10k()
    old = np.isin(data.y_train, PRETRAINING_DIGITS)
    new = np.isin(data.y_train, NEW_DIGITS)
    X_test = data.X_test[np.isin(data.y_test, NEW_DIGITS)]
    return data.X_train[old][:n_pretraining], data.X_train[new][:n_small], X_test[:n_test]


def in_domain_pretraining_rows(n_small=N_SMALL, n_pretraining=None):
    """The training images of digits 5 to 9 that are not among the ``n_small`` of the reuse."""
    data = load_mnist10k()
    return data.X_train[np.isin(data.y_train, NEW_DIGITS)][n_small:][:n_pretraining]


def pretraining_autoencoder(n_components, seed, max_iter=PRETRAINING_EPOCHS, network="dense"):
    """The ``network`` of every method (see :data:`NETWORKS`), to pretrain on digits 0 to 4."""
    encoder, decoder, input_shape = NETWORKS[network]
    return CustomAutoencoderTransformer(
        encoder,
        decoder,
        n_components,
        input_shape=input_shape,
        max_iter=max_iter,
        random_state=seed,
    )


def transfer_autoencoder(pretrained, seed, max_iter=SMALL_EPOCHS):
    """The pretrained encoder, frozen, and its decoder fine-tuned, for the new digits."""
    return CustomAutoencoderTransformer(
        pretrained.encoder_,
        pretrained.decoder_,
        pretrained.n_components_,
        input_shape=pretrained.input_shape,
        frozen=["encoder"],
        max_iter=max_iter,
        random_state=seed,
    )


def scratch_autoencoder(n_components, seed, max_iter=SMALL_EPOCHS, network="dense"):
    """The same network, trained from scratch on the new digits alone."""
    return pretraining_autoencoder(n_components, seed, max_iter=max_iter, network=network)


def held_out_error(X_test, X_reconstructed):
    """Mean squared error per image, summed over pixels."""
    return float(np.mean(np.sum((X_test - X_reconstructed) ** 2, axis=1)))


def reconstruction(estimator, X):
    return estimator.inverse_transform(estimator.transform(X))


def pretrained_and_reused(X_pretraining, X_small, n_components, seed, epochs, network="dense"):
    """An autoencoder pretrained on ``X_pretraining``, its encoder reused frozen on ``X_small``."""
    pretrained = pretraining_autoencoder(
        n_components, seed, epochs["pretraining_epochs"], network=network
    )
    pretrained.fit(X_pretraining)
    return transfer_autoencoder(pretrained, seed, epochs["small_epochs"]).fit(X_small)


def measure(n_components, seed, splits, epochs, X_in_domain, network="dense"):
    """The held-out errors of the methods at one code size and seed, for one network."""
    X_pretraining, X_small, X_test = splits
    start = time.perf_counter()
    reuse = partial(pretrained_and_reused, n_components=n_components, seed=seed, epochs=epochs)
    transfer = reuse(X_pretraining, X_small, network=network)
    in_domain = reuse(X_in_domain, X_small, network=network)
    scratch = scratch_autoencoder(n_components, seed, epochs["small_epochs"], network=network)
    scratch.fit(X_small)
    pca = PCA(n_components, random_state=seed).fit(X_small)
    estimators = {"transfer": transfer, "scratch": scratch, "pca": pca, "in_domain": in_domain}
    errors = {
        name: held_out_error(X_test, reconstruction(estimator, X_test))
        for name, estimator in estimators.items()
    }
    return {
        "benchmark": f"{network}, code {n_components}, seed {seed}",
        "network": network,
        "n_components": n_components,
        "seed": seed,
        **errors,
        "transfer_network_kept": bool(transfer.network_kept_),
        "scratch_network_kept": bool(scratch.network_kept_),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main(argv=None):
    """Measure, print a table, write the JSON results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few epochs on a few images")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--n-components", type=int, nargs="+", default=list(CODE_SIZES))
    parser.add_argument(
        "--networks", nargs="+", choices=list(NETWORKS), default=list(NETWORKS), help="networks"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.quick:
        sizes = {key: QUICK[key] for key in ("n_small", "n_pretraining", "n_test")}
        epochs = {key: QUICK[key] for key in ("pretraining_epochs", "small_epochs")}
    else:
        sizes = {"n_small": N_SMALL}
        epochs = {"pretraining_epochs": PRETRAINING_EPOCHS, "small_epochs": SMALL_EPOCHS}
    splits = digit_splits(**sizes)
    X_in_domain = in_domain_pretraining_rows(sizes["n_small"], sizes.get("n_pretraining"))
    results = []
    with limited_threads(args.threads):
        for network in args.networks:
            for n_components in args.n_components:
                for seed in args.seeds:
                    result = measure(n_components, seed, splits, epochs, X_in_domain, network)
                    print(measurements_text(result), file=sys.stderr)
                    results.append(result)
    settings = {
        "quick": args.quick,
        "threads": args.threads,
        **machine_settings(),
        "n_pretraining": len(splits[0]),
        "n_in_domain_pretraining": len(X_in_domain),
        "n_small": len(splits[1]),
        "n_test": len(splits[2]),
        "networks": args.networks,
        **epochs,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("transfer_quick.json" if args.quick else "transfer.json")
    path.write_text(json.dumps({"settings": settings, "results": results}, indent=2) + "\n")
    print("| benchmark | measurements |\n|---|---|")
    for result in results:
        print(f"| {result['benchmark']} | {measurements_text(result)} |")
    print(f"Wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
