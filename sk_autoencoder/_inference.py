"""Running a trained module over rows in batches, without autograd."""

import copy
import itertools
import weakref

import numpy as np
import torch

from sk_autoencoder._batching import chunk_rows, map_in_batches

# A forward pass holds the batch's input, output and hidden activations: this
# many values per input and output value, for the batch size within
# scikit-learn's ``working_memory``.
_ACTIVATION_FACTOR = 4


# Rows per inference batch at the most: the estimate above does not see the
# hidden layers, which hold several times the input's values per row (a
# 100-256-128-8 network on 200,000 rows in one batch held 938 MiB). Batches
# of a few thousand rows keep a transform at full speed.
MAX_INFERENCE_ROWS = 4096


def inference_batch_rows(X, n_outputs):
    """Rows per inference batch within ``working_memory`` (``sklearn.set_config``)."""
    values_per_row = _ACTIVATION_FACTOR * (X.shape[1] + n_outputs)
    return min(chunk_rows(X, values_per_row=values_per_row), MAX_INFERENCE_ROWS)


# The float64 copy of each module that float64 rows were last mapped through,
# with the state it was copied from. Keyed weakly: a module that is gone
# takes its copy with it, and estimators pickle without it.
_FLOAT64_COPIES = weakref.WeakKeyDictionary()


def _state(module):
    return list(itertools.chain(module.parameters(), module.buffers()))


def _snapshot(module):
    """Each parameter and buffer of ``module``, weakly, with a copy of its values.

    Values, not torch's version counters: a fused optimizer step changes
    parameters without counting a version.
    """
    return [(weakref.ref(tensor), tensor.detach().clone()) for tensor in _state(module)]


def _equal(values, tensor):
    if tensor.device.type == "cpu" and tensor.dtype != torch.bfloat16:
        # numpy compares a CPU buffer several times faster than torch.equal.
        return np.array_equal(values.numpy(), tensor.detach().numpy())
    return torch.equal(values, tensor)


def _unchanged(snapshot, module):
    """Whether ``module`` holds the very tensors of ``snapshot``, with the same values."""
    tensors = _state(module)
    return len(tensors) == len(snapshot) and all(
        reference() is tensor
        and values.shape == tensor.shape
        and values.dtype == tensor.dtype
        and values.device == tensor.device
        and _equal(values, tensor)
        for tensor, (reference, values) in zip(tensors, snapshot, strict=True)
    )


def inference_module(module, dtype):
    """``module`` in eval mode, computing in ``dtype``.

    The network trains in float32. For float64 input it is evaluated in
    float64 on a copy, so results do not depend on how rows are batched and
    float64 users get float64 arithmetic, as PCA gives them. The copy is kept
    while the module holds the same parameters and buffers with the same
    values, so that a call on a few rows does not pay for copying the
    network (comparing values costs a fraction of that). Callers must not
    change the module they get.
    """
    if dtype != np.float64:
        return module.eval()
    cached = _FLOAT64_COPIES.get(module)
    if cached is not None and _unchanged(cached[0], module):
        return cached[1].eval()
    snapshot = _snapshot(module)
    float64_copy = copy.deepcopy(module).double()
    _FLOAT64_COPIES[module] = (snapshot, float64_copy)
    return float64_copy.eval()


def map_rows(module, method_name, X, *, n_outputs, device):
    """Apply ``module.<method_name>`` to the rows of ``X`` batch by batch, in X's dtype.

    Parameters
    ----------
    module : torch.nn.Module
    method_name : str
        A method of ``module`` from (batch, n_features) to (batch, n_outputs).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    n_outputs : int
    device : torch.device

    Returns
    -------
    ndarray of shape (n_samples, n_outputs), in X's dtype
    """
    module = inference_module(module, X.dtype)
    batch_size = inference_batch_rows(X, n_outputs)
    return map_in_batches(
        getattr(module, method_name),
        X,
        n_outputs=n_outputs,
        dtype=X.dtype,
        device=device,
        batch_size=batch_size,
    )


# Rows scored per batch by :func:`score_scaled`.
SCALED_SCORING_ROWS = 1024


def score_scaled(module, X_scaled):
    """Per-row scores (float64 array) of a float32 tensor of rows in the network's units.

    The held-out rows that training validates on are scaled once and scored
    in the dtype the network trains in, without a float64 copy of it.
    """
    training = module.training
    module.eval()
    try:
        with torch.inference_mode():
            scores = [
                module.score_scaled_rows(X_scaled[start : start + SCALED_SCORING_ROWS])
                for start in range(0, X_scaled.shape[0], SCALED_SCORING_ROWS)
            ]
    finally:
        module.train(training)
    if not scores:
        return np.empty(0)
    return torch.cat(scores).ravel().double().cpu().numpy()
