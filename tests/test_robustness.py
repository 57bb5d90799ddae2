"""Interrupted, diverging and early-stopped training; data larger than memory."""

import functools
import os
import sys
import tracemalloc

import numpy as np
import pytest
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

import sk_autoencoder._batching
import sk_autoencoder._held_out
import sk_autoencoder._inference
import sk_autoencoder._scaling


@pytest.fixture(scope="module")
def X(digits):
    return digits[0]


def weights_of(module):
    return {name: tensor.detach().clone() for name, tensor in module.state_dict().items()}


def assert_same_weights(module, weights):
    state = module.state_dict()
    assert state.keys() == weights.keys()
    for name, tensor in weights.items():
        assert torch.equal(state[name], tensor), name


class WeightRecorder(Callback):
    """Keeps a copy of the weights at the end of every epoch."""

    def initialize(self):
        self.weights_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights_.append(weights_of(net.module_))


class InterruptInEpoch(Callback):
    """Raises KeyboardInterrupt, as Ctrl-C would, in epoch 3: mid-epoch or at its end."""

    def __init__(self, at_end):
        self.at_end = at_end

    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history) == 3 and not self.at_end:
            self._interrupt(net)

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 3 and self.at_end:
            self._interrupt(net)

    def _interrupt(self, net):
        self.weights_ = weights_of(net.module_)
        raise KeyboardInterrupt


def callback(autoencoder, name):
    return dict(autoencoder.net_.callbacks_)[name]


@pytest.mark.parametrize("at_end, epochs_done", [(False, 2), (True, 3)])
def test_keyboard_interrupt_leaves_a_usable_model_trained_so_far(
    X, at_end, epochs_done, fast_dense
):
    # A random start: no held-out rows, so the weights trained so far are kept.
    autoencoder = fast_dense(
        init="random",
        batch_size=100,
        max_iter=10,
        callbacks=[WeightRecorder(), InterruptInEpoch(at_end=at_end)],
    ).fit(X)
    # An epoch interrupted before its end is not counted, but its first
    # batch's update is kept: the weights are those trained so far.
    assert autoencoder.n_iter_ == epochs_done
    assert len(autoencoder.loss_curve_) == epochs_done
    assert np.isfinite(autoencoder.loss_curve_).all()
    interrupted_at = callback(autoencoder, "InterruptInEpoch").weights_
    assert_same_weights(autoencoder.net_.module_, interrupted_at)
    after_epoch_2 = callback(autoencoder, "WeightRecorder").weights_[1]
    assert not all(torch.equal(interrupted_at[name], after_epoch_2[name]) for name in after_epoch_2)
    assert np.isfinite(autoencoder.transform(X)).all()
    autoencoder.partial_fit(X)
    assert autoencoder.n_iter_ == epochs_done + 1


class PoisonAtEpoch(Callback):
    """Makes every later loss NaN from the start of ``epoch`` (1-based)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))


def test_keyboard_interrupt_keeps_the_best_validated_state_with_the_floor(X, fast_dense):
    autoencoder = fast_dense(batch_size=100, max_iter=10, callbacks=[InterruptInEpoch(at_end=True)])
    autoencoder.fit(X)
    assert autoencoder.n_iter_ == 3
    assert autoencoder.validation_error_ <= autoencoder.pca_validation_error_
    assert np.isfinite(autoencoder.transform(X)).all()


def test_divergence_is_reported_and_the_best_validation_weights_are_kept(X, fast_dense):
    # A random start, whose best epoch is one of the recorded ones (a PCA
    # start could keep its epoch 0).
    autoencoder = fast_dense(
        init="random",
        max_iter=10,
        early_stopping=True,
        n_iter_no_change=10,
        callbacks=[WeightRecorder(), PoisonAtEpoch(epoch=5)],
    )
    with pytest.warns(ConvergenceWarning, match="diverged.*after 4 epoch.*valid_loss"):
        autoencoder.fit(X)
    assert autoencoder.n_iter_ == 4
    assert np.isfinite(autoencoder.validation_loss_curve_).all()
    best_epoch = int(np.argmin(autoencoder.validation_loss_curve_))
    assert_same_weights(
        autoencoder.net_.module_, callback(autoencoder, "WeightRecorder").weights_[best_epoch]
    )
    assert np.isfinite(autoencoder.transform(X)).all()
    assert np.isfinite(autoencoder.inverse_transform(autoencoder.transform(X))).all()


def test_early_stopping_restores_the_weights_of_the_best_validation_epoch(X, fast_dense):
    # A large learning rate makes the validation loss bounce, so the last
    # epoch is not the best and restoring matters. With tol=0 every
    # decrease counts, so the best epoch is the argmin of the curve.
    autoencoder = fast_dense(
        max_iter=60,
        learning_rate_init=0.03,
        early_stopping=True,
        n_iter_no_change=3,
        tol=0.0,
        callbacks=[WeightRecorder()],
    ).fit(X)
    assert autoencoder.n_iter_ < 60, "early stopping did not stop"
    curve = autoencoder.validation_loss_curve_
    best_epoch = int(np.argmin(curve))
    assert best_epoch == autoencoder.n_iter_ - 1 - 3
    recorded = callback(autoencoder, "WeightRecorder").weights_
    assert_same_weights(autoencoder.net_.module_, recorded[best_epoch])
    assert not all(
        torch.equal(recorded[-1][name], recorded[best_epoch][name]) for name in recorded[-1]
    )


# Data larger than memory. The memmap is small here; what must hold is that
# nothing copies it whole, which the checks below see at any size.
N_SAMPLES, N_FEATURES = 20_000, 784
# Chunks and inference batches honour scikit-learn's working_memory (MiB);
# the default, 1 GiB, would hold this whole memmap at once.
WORKING_MEMORY_MIB = 4


@pytest.fixture(autouse=True)
def bounded_working_memory():
    with sklearn.config_context(working_memory=WORKING_MEMORY_MIB):
        yield


@pytest.fixture(scope="module")
def memmap(tmp_path_factory):
    path = tmp_path_factory.mktemp("memmap") / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(N_SAMPLES, N_FEATURES))
    rng = np.random.default_rng(0)
    for start in range(0, N_SAMPLES, 2000):
        X[start : start + 2000] = rng.random((2000, N_FEATURES), dtype=np.float32)
    X.flush()
    del X
    return np.load(path, mmap_mode="r")


@pytest.fixture(scope="module")
def memmap_autoencoder(fast_dense):
    """Make the small autoencoder that the memmap tests fit."""
    return functools.partial(fast_dense, hidden_layer_sizes=(8,), max_iter=1, batch_size=250)


@pytest.fixture(scope="module")
def warmed_up(memmap, memmap_autoencoder):
    # The first fit in a process imports parts of torch lazily, tens of
    # megabytes that must not count as memory used for the data.
    memmap_autoencoder().fit(memmap[:1000])


@pytest.fixture
def tensor_sizes(monkeypatch):
    """Rows of every array turned into a tensor, by training or inference."""
    sizes = []
    rows_to_tensor = sk_autoencoder._batching.rows_to_tensor

    def recording(X, *args, **kwargs):
        sizes.append(X.shape[0])
        return rows_to_tensor(X, *args, **kwargs)

    # Raw rows in inference, scaled rows in training.
    for module in (sk_autoencoder._batching, sk_autoencoder._scaling):
        monkeypatch.setattr(module, "rows_to_tensor", recording)
    return sizes


@pytest.mark.slow
def test_memmap_reaches_torch_one_batch_at_a_time(memmap, tensor_sizes, memmap_autoencoder):
    autoencoder = memmap_autoencoder().fit(memmap)
    autoencoder.partial_fit(memmap)
    # Training batches of 250 rows; inference batches bounded by a number of
    # values; the held-out rows that training scores, read once, bounded by
    # a number of rows whatever the array's length.
    inference_rows = sk_autoencoder._inference.inference_batch_rows(memmap, n_outputs=N_FEATURES)
    bound = max(250, inference_rows, sk_autoencoder._held_out.MAX_SCORED_ROWS)
    assert tensor_sizes and max(tensor_sizes) <= bound < N_SAMPLES / 4
    tensor_sizes.clear()
    codes = autoencoder.transform(memmap)
    assert codes.shape == (N_SAMPLES, 4) and codes.dtype == np.float32
    assert np.isfinite(codes).all()
    assert tensor_sizes and max(tensor_sizes) < N_SAMPLES
    assert autoencoder.inverse_transform(codes[:10]).shape == (10, N_FEATURES)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fit", "partial_fit", "transform"])
def test_memmap_is_never_copied_whole_by_numpy(memmap, warmed_up, method, memmap_autoencoder):
    autoencoder = memmap_autoencoder()
    if method == "transform":
        autoencoder.fit(memmap[:1000])
    # tracemalloc sees every numpy allocation and nothing else running on
    # the machine: a whole float32 copy would show as memmap.nbytes.
    tracemalloc.start()
    try:
        getattr(autoencoder, method)(memmap)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < memmap.nbytes / 2


def status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


@pytest.mark.slow
@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and os.access("/proc/self/clear_refs", os.W_OK)),
    reason="needs Linux's resettable peak RSS",
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_fitting_a_memmap_keeps_peak_rss_below_a_copy(
    memmap, warmed_up, method, memmap_autoencoder
):
    autoencoder = memmap_autoencoder()
    # Reading the whole file makes its pages resident: they count in RSS
    # before the reset, so any growth of the peak is new memory.
    float(np.sum(memmap, dtype=np.float64))
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    baseline = status_bytes("VmRSS")
    getattr(autoencoder, method)(memmap)
    assert status_bytes("VmHWM") - baseline < memmap.nbytes / 2
