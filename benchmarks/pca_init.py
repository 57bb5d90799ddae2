"""PCA initialisation and ordered codes on MNIST-10k, against PCA.

Run with ``python -m benchmarks.pca_init`` (``--epochs``, ``--code-sizes``).
It measures and reports, it does not fail:

- per code size, PCA's held-out squared error per image; for each start of the
  dense autoencoder (``init="pca"``, and ``init="random"`` with the default
  cross-entropy and with the squared error), its held-out error after every
  epoch: the worst over epochs (with the PCA start, before the first epoch
  too), the last, and the training seconds until it is first 10% below PCA's;
- one ordered autoencoder (``ordered=True``) with a code of the largest size:
  its held-out error from the first ``k`` units, for every code size, against
  PCA's and against the separately trained autoencoders of that size.

Held-out error is ``((X_test - X_reconstructed) ** 2).sum(1).mean()``. Torch
uses one thread, so the seconds compare across runs on a busy machine.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.base import clone
from sklearn.decomposition import PCA
from skorch.callbacks import Callback

from benchmarks.datasets import load_mnist10k

# Runs of the dense autoencoder: name and the parameters it differs by.
STARTS = {
    "pca-init": dict(init="pca"),
    "random (bce)": dict(init="random"),
    "random (mse)": dict(init="random", loss="mse"),
}
TARGET_GAIN = 0.10


def held_out_error(X, X_reconstructed):
    """Squared reconstruction error per sample, summed over features."""
    return float(((X - X_reconstructed) ** 2).sum(axis=1, dtype=np.float64).mean())


class HeldOutError(Callback):
    """Record the held-out error and the training seconds after every epoch.

    The seconds exclude the evaluation itself. ``encode`` and ``decode`` run
    in eval mode without autograd, as ``transform`` does.
    """

    def __init__(self, X_test):
        self.X_test = X_test

    def initialize(self):
        self.errors_ = []
        self.seconds_ = []
        self._training_seconds = 0.0
        return self

    def on_epoch_begin(self, net, **kwargs):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        self._training_seconds += time.perf_counter() - self._epoch_start
        self.errors_.append(reconstruction_error(net.module_, self.X_test))
        self.seconds_.append(self._training_seconds)


def reconstruction_error(module, X):
    was_training = module.training
    module.eval()
    with torch.inference_mode():
        X_tensor = torch.as_tensor(X)
        error = held_out_error(X, module.decode(module.encode(X_tensor)).numpy())
    module.train(was_training)
    return error


def fit_with_curve(X_train, X_test, n_components, epochs, random_state, **params):
    """Fit the dense autoencoder; return it, its error before training and the callback."""
    from sk_autoencoder import AutoencoderTransformer

    autoencoder = AutoencoderTransformer(
        n_components=n_components,
        max_iter=epochs,
        n_iter_no_change=epochs,
        device="cpu",
        random_state=random_state,
        callbacks=[HeldOutError(X_test)],
        **params,
    )
    # The error at step 0: the same network with a zero learning rate, one epoch.
    frozen = clone(autoencoder).set_params(max_iter=1, callbacks=None, net_params={"lr": 0.0})
    frozen.fit(X_train)
    initial_error = held_out_error(X_test, frozen.inverse_transform(frozen.transform(X_test)))
    autoencoder.fit(X_train)
    return autoencoder, initial_error, dict(autoencoder.net_.callbacks_)["HeldOutError"]


def seconds_to_target(curve, target):
    reached = [
        seconds
        for error, seconds in zip(curve.errors_, curve.seconds_, strict=True)
        if error <= target
    ]
    return f"{reached[0]:.1f}" if reached else f"> {curve.seconds_[-1]:.1f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--code-sizes", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = load_mnist10k()
    X_train, X_test = data.X_train, data.X_test

    pca_errors, final_errors = {}, {}
    print(f"## Start as PCA: held-out squared error per image, MNIST-10k, {args.epochs} epochs\n")
    print(
        "| code size | PCA | start | error at step 0 | worst epoch | last epoch "
        "| epochs above PCA | seconds to 10% below PCA |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n_components in args.code_sizes:
        pca = PCA(n_components=n_components, random_state=args.random_state).fit(X_train)
        pca_error = held_out_error(X_test, pca.inverse_transform(pca.transform(X_test)))
        pca_errors[n_components] = pca_error
        for name, params in STARTS.items():
            _, initial, curve = fit_with_curve(
                X_train, X_test, n_components, args.epochs, args.random_state, **params
            )
            errors = np.array(curve.errors_)
            worst = max(errors.max(), initial) if name == "pca-init" else errors.max()
            final_errors[name, n_components] = errors[-1]
            print(
                f"| {n_components} | {pca_error:.2f} | {name} | {initial:.2f} | {worst:.2f} "
                f"| {errors[-1]:.2f} | {int((errors > pca_error).sum())}/{len(errors)} "
                f"| {seconds_to_target(curve, (1 - TARGET_GAIN) * pca_error)} |",
                flush=True,
            )

    from sk_autoencoder import AutoencoderTransformer

    largest = max(args.code_sizes)
    print(f"\n## One ordered autoencoder (code of {largest}) against separate ones\n")
    print("| start | k | PCA | ordered, first k units | separate, k units | ordered / separate |")
    print("|---|---|---|---|---|---|")
    for name in ("pca-init", "random (mse)"):
        start = time.perf_counter()
        ordered = AutoencoderTransformer(
            n_components=largest,
            ordered=True,
            max_iter=args.epochs,
            n_iter_no_change=args.epochs,
            device="cpu",
            random_state=args.random_state,
            **STARTS[name],
        ).fit(X_train)
        seconds = time.perf_counter() - start
        curve = ordered.error_curve(X_test)
        for k in args.code_sizes:
            separate = final_errors[name, k]
            print(
                f"| {name} | {k} | {pca_errors[k]:.2f} | {curve[k - 1]:.2f} | {separate:.2f} "
                f"| {curve[k - 1] / separate:.3f} |",
                flush=True,
            )
        print(f"| {name} | fit seconds | | {seconds:.1f} | | |", flush=True)


if __name__ == "__main__":
    main()
