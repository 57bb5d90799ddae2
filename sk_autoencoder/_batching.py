"""Rows in, tensors out: the data path for training and inference.

skorch's default path builds a ``DataLoader`` over a ``Dataset`` and collates
one row at a time, which costs up to 2x the training time of small networks.
Here a dense in-memory array becomes one tensor on the device, and a batch is
an index into it. Sparse matrices and memory-mapped arrays stay where they are
and are densified one batch at a time.
"""

import mmap

import numpy as np
import scipy.sparse as sp
import torch


def is_memory_mapped(X):
    """Whether ``X`` is, or is a view of, a memory-mapped array."""
    while X is not None:
        if isinstance(X, (np.memmap, mmap.mmap)):
            return True
        X = getattr(X, "base", None)
    return False


def rows_to_tensor(X, device, dtype=torch.float32):
    """A dense tensor on ``device`` from rows of a dense or sparse array."""
    if sp.issparse(X):
        X = X.toarray()
    X = np.asarray(X)
    if not X.flags.writeable:
        # torch refuses to share memory it may not write; copy this batch only.
        X = X.copy()
    return torch.as_tensor(X, dtype=dtype).to(device)


class RowDataset:
    """The rows of ``X``, served a batch at a time; skorch's ``dataset``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data in the user's units.
    y : None
        Ignored; an autoencoder's target is its input.
    device : str or torch.device
        Where batches are delivered.
    """

    def __init__(self, X, y=None, *, device="cpu"):
        self.X = X
        self.device = device
        self.indices = None
        self._tensor = None
        if not (sp.issparse(X) or is_memory_mapped(X)):
            self._tensor = rows_to_tensor(X, device)

    def __len__(self):
        return self.X.shape[0] if self.indices is None else len(self.indices)

    def subset(self, positions):
        """The rows at ``positions`` (of this dataset), sharing storage."""
        child = object.__new__(RowDataset)
        child.__dict__.update(self.__dict__)
        positions = torch.as_tensor(positions, dtype=torch.long)
        child.indices = positions if self.indices is None else self.indices[positions]
        return child

    def rows(self, positions):
        """Float32 tensor of the rows at ``positions`` (a LongTensor)."""
        if self.indices is not None:
            positions = self.indices[positions]
        if self._tensor is not None:
            return self._tensor[positions.to(self._tensor.device)]
        # Sorted indices read memory-mapped files and CSR rows in order; the
        # order of rows inside a batch does not matter to a mean loss.
        sorted_positions = np.sort(positions.numpy())
        return rows_to_tensor(self.X[sorted_positions], self.device)


class BatchIterator:
    """Mini-batches of a :class:`RowDataset`; skorch's ``iterator_train``.

    Each batch is ``(X_batch, X_batch)``: the target of an autoencoder is its
    input. Shuffling draws from torch's global generator, which the estimator
    seeds from ``random_state``.
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n_samples = len(self.dataset)
        order = torch.randperm(n_samples) if self.shuffle else torch.arange(n_samples)
        for start in range(0, n_samples, self.batch_size):
            X_batch = self.dataset.rows(order[start : start + self.batch_size])
            yield X_batch, X_batch


class HoldOut:
    """Random train/validation split of a :class:`RowDataset`; skorch's ``train_split``."""

    def __init__(self, validation_fraction):
        self.validation_fraction = validation_fraction

    def __call__(self, dataset, y=None, **fit_params):
        n_samples = len(dataset)
        n_valid = int(round(self.validation_fraction * n_samples))
        if n_valid < 1 or n_valid >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no "
                f"training or no validation sample out of n_samples={n_samples}; "
                "use more samples or set early_stopping=False."
            )
        order = torch.randperm(n_samples)
        return dataset.subset(order[n_valid:]), dataset.subset(order[:n_valid])


def map_in_batches(function, X, *, n_outputs, dtype, device, batch_size):
    """Apply a tensor ``function`` to ``X`` in row batches, into a numpy array.

    Memory is bounded by one batch (plus the output): no autograd graph is
    kept, and sparse or memory-mapped rows are densified a batch at a time.

    Parameters
    ----------
    function : callable
        Maps a tensor of shape (batch, n_features) to (batch, n_outputs).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    n_outputs : int
    dtype : numpy dtype
        Dtype of the computation and of the result.
    device : torch.device
    batch_size : int
    """
    n_samples = X.shape[0]
    result = np.empty((n_samples, n_outputs), dtype=dtype)
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    with torch.inference_mode():
        for start in range(0, n_samples, batch_size):
            X_batch = rows_to_tensor(X[start : start + batch_size], device, torch_dtype)
            result[start : start + batch_size] = function(X_batch).cpu().numpy()
    return result
