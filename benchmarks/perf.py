"""Performance benchmarks: overheads and scaling, as ratios within one run.

Run with ``python -m benchmarks.perf``. Every figure is a ratio of two timings
taken in the same process, back to back, so it survives a slow or busy
machine better than absolute seconds do. Nothing here fails on time: it
measures and reports.

- fit: ``AutoencoderTransformer.fit`` against a hand-written torch loop that
  trains the same network (same widths, Adam, batch size, epochs, loss) on the
  same data;
- transform: rows per second of the autoencoder's ``transform`` against
  ``PCA.transform``;
- grid search: ``GridSearchCV`` over ``n_components`` with ``n_jobs=2``
  against ``n_jobs=1``;
- memory: peak resident memory of ``transform`` over a memory-mapped array of
  a million rows, against the array's size.
"""

import statistics
import time

import numpy as np
import torch
from sklearn.base import clone

from sk_autoencoder import AutoencoderTransformer


def _median_seconds(function, repeats):
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def hand_written_fit(X, estimator, epochs, seed=0):
    """Train ``estimator``'s network with a plain torch loop.

    The reference a fit should match: the same torch module (scaling layer
    included), tensors in memory, batches by index, Adam, binary
    cross-entropy on logits normalised as the package does. No validation, no
    callbacks, no history.
    """
    torch.manual_seed(seed)
    X_tensor = torch.as_tensor(X, dtype=torch.float32)
    n_samples, n_features = X_tensor.shape
    center = X.mean(axis=0, dtype=np.float64)
    scale = float(np.sqrt(X.var(axis=0, dtype=np.float64).mean()))
    network = estimator._build_module(n_features, center, scale, "bce").train()
    optimizer = torch.optim.Adam(network.parameters(), lr=estimator.learning_rate_init)
    for _ in range(epochs):
        order = torch.randperm(n_samples)
        for start in range(0, n_samples, estimator.batch_size):
            X_batch = X_tensor[order[start : start + estimator.batch_size]]
            logits = network(X_batch).reconstruction
            loss = (
                torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, X_batch, reduction="none"
                )
                .sum(dim=1)
                .mean()
                / n_features
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return network


def bench_fit_overhead(X, *, epochs, repeats, hidden_layer_sizes=(256, 128), n_components=32):
    """Median fit seconds of the package and of the hand-written loop."""
    estimator = AutoencoderTransformer(
        n_components,
        hidden_layer_sizes=hidden_layer_sizes,
        batch_size=200,
        max_iter=epochs,
        tol=0.0,
        device="cpu",
        random_state=0,
    )

    def package():
        clone(estimator).fit(X)

    def reference():
        hand_written_fit(X, estimator, epochs)

    # Interleave the two so that a change in the machine's load hits both.
    package_seconds, reference_seconds = [], []
    for _ in range(repeats):
        package_seconds.append(_median_seconds(package, 1))
        reference_seconds.append(_median_seconds(reference, 1))
    package_median = statistics.median(package_seconds)
    reference_median = statistics.median(reference_seconds)
    return {
        "benchmark": "fit vs hand-written torch loop",
        "network": f"{X.shape[1]}-{'-'.join(map(str, hidden_layer_sizes))}-{n_components}",
        "epochs": epochs,
        "package_seconds": package_median,
        "torch_loop_seconds": reference_median,
        "ratio": package_median / reference_median,
    }
