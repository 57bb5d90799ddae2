"""Rows in, tensors out: the data path for training and inference.

skorch's default path builds a ``DataLoader`` over a ``Dataset`` and collates
one row at a time, which costs up to 2x the training time of small networks.
Here a dense in-memory array becomes one tensor on the device, and a batch is
an index into it. Sparse matrices and memory-mapped arrays stay where they are
and are densified one batch at a time.
"""

import collections
import copy
import mmap
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils._chunking import get_chunk_n_rows


def chunk_rows(X, values_per_row=None):
    """Rows of ``X`` to read at a time within scikit-learn's ``working_memory``.

    Chunked passes over the data (scaling statistics, PCA start-up,
    inference) hold about ``values_per_row`` float64 values per row (default:
    the row itself); ``sklearn.set_config(working_memory=...)`` (MiB) bounds
    them, as it bounds scikit-learn's own chunked computations, so a
    memory-mapped array larger than RAM is read a bounded chunk at a time.
    """
    values_per_row = values_per_row or X.shape[1]
    return get_chunk_n_rows(row_bytes=8 * max(1, values_per_row), max_n_rows=max(1, X.shape[0]))


def is_memory_mapped(X):
    """Whether ``X`` is, or is a view of, a memory-mapped array."""
    while X is not None:
        if isinstance(X, (np.memmap, mmap.mmap)):
            return True
        X = getattr(X, "base", None)
    return False


def dense_rows(X):
    """Rows of a dense or sparse array as a dense numpy array (a sparse one densified)."""
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def rows_to_tensor(X, device, dtype=torch.float32):
    """A dense tensor on ``device`` from rows of a dense or sparse array."""
    X = dense_rows(X)
    if not X.flags.writeable:
        # torch refuses to share memory it may not write; copy this batch only.
        X = X.copy()
    return torch.as_tensor(X, dtype=dtype).to(device)


class RowDataset:
    """The rows of ``X``, served a batch at a time; skorch's ``dataset``.

    Batches come in the network's units, as ``scaling`` puts them.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data in the user's units.
    y : None
        Ignored; an autoencoder's target is its input.
    device : str or torch.device
        Where batches are delivered.
    scaling : Scaling
        The internal scaling (:class:`~sk_autoencoder._scaling.Scaling`).
    """

    def __init__(self, X, y=None, *, device="cpu", scaling):
        self.X = X
        self.device = device
        self.scaling = scaling
        self.indices = None
        self._tensor = None
        # The batches of the pass under way, for rounds shorter than a pass
        # (BatchIterator's ``max_batches``).
        self.pending_batches = collections.deque()
        if not (sp.issparse(X) or is_memory_mapped(X)):
            # The one scaled float32 copy of the rows that training holds.
            self._tensor = scaling.rows_tensor(X, device)

    def __len__(self):
        return self.X.shape[0] if self.indices is None else len(self.indices)

    @property
    def index_device(self):
        """Where row positions are drawn: with the rows on a device, there too."""
        return torch.device("cpu") if self._tensor is None else self._tensor.device

    def subset(self, positions):
        """The rows at ``positions`` (of this dataset), sharing storage."""
        child = copy.copy(self)
        positions = torch.as_tensor(positions, dtype=torch.long, device=self.index_device)
        child.indices = positions if self.indices is None else self.indices[positions]
        child.pending_batches = collections.deque()
        return child

    def rows(self, positions):
        """Float32 tensor of the rows at ``positions`` (a LongTensor)."""
        if self.indices is not None:
            positions = self.indices[positions]
        if self._tensor is not None:
            return self._tensor[positions]
        # Sorted indices read memory-mapped files and CSR rows in order; the
        # order of rows inside a batch does not matter to a mean loss.
        sorted_positions = np.sort(positions.numpy())
        return self.scaling.rows_tensor(self.X[sorted_positions], self.device)

    def batch(self, positions):
        """``(X_batch, target_batch)`` at ``positions``: an autoencoder's target is its input."""
        X_batch = self.rows(positions)
        return X_batch, X_batch


class BatchIterator:
    """Mini-batches of a :class:`RowDataset`; skorch's ``iterator_train``.

    Each batch is the dataset's ``batch(positions)``: ``(X_batch, X_batch)``
    for an autoencoder, whose target is its input. Shuffling draws from
    torch's global generator, which the estimator seeds from ``random_state``.

    Parameters
    ----------
    dataset : RowDataset
    batch_size : int
        Rows per batch (the last one may have fewer).
    shuffle : bool, default=False
    n_batches : int, default=None
        Split the rows into this many batches of nearly equal size instead:
        processes training one model on shards of different sizes then take
        the same number of steps.
    max_batches : int, default=None
        Serve at most this many batches per iteration, a *round* of training
        between two validations: the next iteration goes on with the same
        shuffled pass, and a new pass starts where one ends. None: one whole
        pass per iteration (an epoch).
    """

    def __init__(self, dataset, batch_size, shuffle=False, n_batches=None, max_batches=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.n_batches = n_batches
        self.max_batches = max_batches

    def batches_per_pass(self):
        if self.n_batches is not None:
            return self.n_batches
        return -(-len(self.dataset) // self.batch_size)

    def __len__(self):
        if self.max_batches is None:
            return self.batches_per_pass()
        # A round may end in the pass after the one it started in.
        return self.max_batches

    def _one_pass(self):
        n_samples = len(self.dataset)
        # Drawn where the rows are, so that a batch on a GPU needs nothing
        # from the host; on the CPU, from the same generator as ever.
        device = self.dataset.index_device
        if self.shuffle:
            order = torch.randperm(n_samples, device=device)
        else:
            order = torch.arange(n_samples, device=device)
        if self.n_batches is not None:
            return list(torch.tensor_split(order, self.n_batches))
        return list(torch.split(order, self.batch_size))

    def _round(self):
        """Row positions of each batch of the next round."""
        if self.max_batches is None:
            return self._one_pass()
        pending = self.dataset.pending_batches
        batches = []
        while len(batches) < len(self):
            if not pending:
                pending.extend(self._one_pass())
            batches.append(pending.popleft())
        return batches

    def __iter__(self):
        for positions in self._round():
            yield self.dataset.batch(positions)


@contextmanager
def rounds_of(net, batches_per_round):
    """Inside, ``net`` trains in rounds of ``batches_per_round`` steps (None: whole passes)."""
    if batches_per_round is None:
        yield
        return
    net.iterator_train__max_batches = batches_per_round
    try:
        yield
    finally:
        del net.iterator_train__max_batches


class TrainRows:
    """skorch's ``train_split``: train on the rows at ``positions`` only.

    The estimator holds its validation rows out itself and scores them in
    its own callback, so skorch gets no validation set.
    """

    def __init__(self, positions):
        self.positions = positions

    def __call__(self, dataset, y=None, **fit_params):
        return dataset.subset(self.positions), None


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
