"""Data-parallel training: one model fitted by two processes of a gloo group.

Each process fits the same estimator on its shard of the rows. The tests check
what the processes must agree on (identical weights and decisions), that the
statistics are those of all the rows, that the model is as good as one fit
in a single process on all of them, and that destroying the group ends its
threads.
"""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

from sk_autoencoder import AutoencoderTransformer, VariationalAutoencoderTransformer, load
from tests._helpers import reconstruction_error

pytestmark = [
    pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available"),
    # Every test launches processes (torchrun or accelerate): 7 to 25 s each.
    pytest.mark.slow,
]

WORLD_SIZE = 2
WORKER = Path(__file__).with_name("ddp_worker.py")
ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "distributed" / "train_mnist_ddp.py"


def torchrun(*arguments):
    """Run ``torchrun --standalone --nproc_per_node=2 arguments``; fail the test if it fails."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    return _launch(command + [f"--nproc_per_node={WORLD_SIZE}", *map(str, arguments)])


def accelerate_launch(*arguments):
    """Run ``accelerate launch`` with 2 processes (its torchrun-based launcher, on CPUs too)."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu"]
    command += [f"--num_processes={WORLD_SIZE}", "--num_machines=1", "--mixed_precision=no"]
    return _launch(command + ["--dynamo_backend=no", *map(str, arguments)])


def _launch(command):
    # The processes import sk_autoencoder from this checkout, as the tests
    # do, not from wherever the package is installed.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=environment, check=False
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout


def fit_in_two_processes(estimators, shards, directory, method="fit"):
    """Each of two gloo processes' fits of ``estimators``, process ``rank`` on ``shards[rank]``."""
    launch_two_processes(estimators, shards, directory, method)
    return read_fits(directory)


def launch_two_processes(estimators, shards, directory, method="fit"):
    """Run :mod:`ddp_worker` on ``estimators``, leaving its files in ``directory``.

    The processes are started by torchrun, as a user's training script is.
    """
    job = directory / "job.pkl"
    job.write_bytes(pickle.dumps((estimators, shards, method)))
    torchrun(WORKER, job, directory)


def read_fits(directory):
    """(rank 0's fits, rank 1's fits), as the worker processes left them in ``directory``."""
    return [
        pickle.loads((directory / f"rank{rank}.pkl").read_bytes()) for rank in range(WORLD_SIZE)
    ]


def dense(**params):
    return AutoencoderTransformer(
        n_components=8, hidden_layer_sizes=(32,), max_iter=30, random_state=0, device="cpu"
    ).set_params(**params)


def assert_identical_weights(first, second):
    """The two processes' fitted estimators hold the same weights and buffers, bit for bit."""
    first_state, second_state = first.net_.module_.state_dict(), second.net_.module_.state_dict()
    for key, tensor in first_state.items():
        assert torch.equal(tensor, second_state[key]), f"{key} differs between the processes"


ESTIMATORS = {
    "dense": dense(),
    "ordered": dense(ordered=True, max_iter=5),
    "variational": VariationalAutoencoderTransformer(
        n_components=8, hidden_layer_sizes=(32,), max_iter=5, random_state=0, device="cpu"
    ),
    "early_stopping": dense(early_stopping=True, n_iter_no_change=2, max_iter=40),
    # A learning rate that makes the loss non-finite in the first epoch.
    "diverging": dense(loss="mse", learning_rate_init=1e8, max_iter=5),
}


@pytest.fixture(scope="module")
def two_process_directory(training_digits, tmp_path_factory):
    """Where two processes left their fits of :data:`ESTIMATORS` on the training digits."""
    X = training_digits[0] / 16.0
    shards = [X[rank::WORLD_SIZE] for rank in range(WORLD_SIZE)]
    directory = tmp_path_factory.mktemp("ddp")
    launch_two_processes(list(ESTIMATORS.values()), shards, directory)
    return directory


@pytest.fixture(scope="module")
def two_process_fits(two_process_directory):
    """name -> (rank 0's fit, rank 1's fit) of :data:`ESTIMATORS` on the training digits."""
    rank0, rank1 = read_fits(two_process_directory)
    return dict(zip(ESTIMATORS, zip(rank0, rank1, strict=True), strict=True))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="lists threads in Linux's /proc")
def test_destroying_the_group_after_fits_ends_its_threads(two_process_directory):
    # gloo threads that outlive destroy_process_group run on into the
    # interpreter's shutdown, where one that frees a tensor aborts the process.
    for rank in range(WORLD_SIZE):
        path = two_process_directory / f"rank{rank}.threads.json"
        threads = json.loads(path.read_text())
        # Else gloo names its threads otherwise, and the next line checks nothing.
        assert threads["while_the_group_ran"], threads
        assert threads["after_destroy_process_group"] == [], threads


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_processes_end_with_identical_models(two_process_fits, name, held_out_digits):
    first, second = two_process_fits[name]
    assert_identical_weights(first, second)
    assert first.n_iter_ == second.n_iter_
    assert_array_equal(first.loss_curve_, second.loss_curve_)
    X_new = held_out_digits[0] / 16.0
    assert_allclose(first.transform(X_new), second.transform(X_new))


@pytest.mark.parametrize("name", ["dense", "variational"])
def test_scaling_and_pca_start_are_those_of_all_rows(two_process_fits, training_digits, name):
    # Rows of both shards together, in the order of neither: statistics of
    # all rows do not depend on it.
    X = training_digits[0] / 16.0
    single = clone(ESTIMATORS[name]).set_params(max_iter=1).fit(X)
    fitted, _ = two_process_fits[name]
    assert_allclose(fitted.mean_, single.mean_, rtol=1e-12, atol=1e-15)
    assert fitted.scale_ == pytest.approx(single.scale_, rel=1e-12)
    assert fitted.loss_ == single.loss_
    buffers = dict(fitted.net_.module_.named_buffers())
    for key, value in single.net_.module_.named_buffers():
        if "affine" in key:
            assert_allclose(buffers[key].numpy(), value.numpy(), atol=1e-8, err_msg=key)


def test_two_processes_match_a_single_process_fit(
    two_process_fits, training_digits, held_out_digits
):
    X, X_test = training_digits[0] / 16.0, held_out_digits[0] / 16.0
    single = clone(ESTIMATORS["dense"]).fit(X)
    fitted, _ = two_process_fits["dense"]
    pca = PCA(n_components=8).fit(X)
    pca_error = reconstruction_error(pca, X_test)
    assert reconstruction_error(fitted, X_test) <= 1.05 * reconstruction_error(single, X_test)
    assert reconstruction_error(fitted, X_test) < 0.95 * pca_error
    # The floor's record is that of both processes' held-out rows.
    assert fitted.validation_error_ < fitted.pca_validation_error_


def test_processes_that_diverge_stop_together_at_their_pca_start(two_process_fits, held_out_digits):
    X_test = held_out_digits[0] / 16.0
    for fitted in two_process_fits["diverging"]:
        # As in one process, the epoch that diverged is not counted.
        assert fitted.n_iter_ == 0 and fitted.loss_curve_ == []
        assert fitted.validation_error_ == fitted.pca_validation_error_
        assert np.all(np.isfinite(fitted.transform(X_test)))


def test_ordered_spectrum_is_measured_on_all_rows(two_process_fits):
    first, second = two_process_fits["ordered"]
    assert_allclose(first.explained_variance_ratio_, second.explained_variance_ratio_)


def test_shards_of_different_sizes_take_the_same_steps(tmp_path, training_digits):
    # 450 and 750 rows: each process splits its rows into as many batches as
    # the other, or one would wait forever for the other's gradients.
    X = training_digits[0] / 16.0
    (first,), (second,) = fit_in_two_processes([dense(max_iter=3)], [X[:450], X[450:]], tmp_path)
    assert_identical_weights(first, second)
    assert first.n_iter_ == second.n_iter_ == 3


def test_processes_refuse_shards_of_different_widths(tmp_path, training_digits):
    X = training_digits[0][:40]
    fits = fit_in_two_processes([dense(max_iter=1)], [X[:20], X[20:, :-1]], tmp_path)
    for (error,) in fits:
        assert isinstance(error, ValueError)
        assert "different widths: between 63 and 64 features" in str(error)


def test_a_shard_one_process_rejects_fails_the_fit_on_every_process(tmp_path, training_digits):
    # Left alone, the process with clean rows would wait for the other in its
    # first collective, and pair the rest with the other's next fit.
    X = training_digits[0][:40].copy()
    X[3, 5] = np.nan
    imputed = make_pipeline(SimpleImputer(), dense(max_iter=2))
    fits = fit_in_two_processes([dense(max_iter=2), imputed], [X[:20], X[20:]], tmp_path)
    (first_error, first_pipeline), (second_error, second_pipeline) = fits
    assert isinstance(first_error, ValueError) and "NaN" in str(first_error)
    assert isinstance(second_error, ValueError)
    assert "rank 0 rejected its shard" in str(second_error)
    # The group is still in step: the next fit trains one model on both shards.
    first, second = first_pipeline[-1], second_pipeline[-1]
    assert_identical_weights(first, second)


def test_partial_fit_refuses_to_stream_in_a_process_group(tmp_path, training_digits):
    X = training_digits[0][:40]
    fits = fit_in_two_processes([dense()], [X[:20], X[20:]], tmp_path, method="partial_fit")
    for (error,) in fits:
        assert isinstance(error, ValueError)
        assert "partial_fit trains in one process" in str(error)


@pytest.mark.parametrize("launcher", ["torchrun", "accelerate"])
def test_example_saves_a_model_that_beats_pca_in_a_plain_process(launcher, tmp_path):
    sys.path.insert(0, str(ROOT))
    from benchmarks.datasets import load_mnist10k

    out = tmp_path / "model.safetensors"
    n_train = 2000
    arguments = [EXAMPLE, "--out", out, "--device", "cpu", "--max-iter", 5, "--n-train", n_train]
    if launcher == "torchrun":
        report = torchrun(*arguments)
    else:
        pytest.importorskip("accelerate")
        report = accelerate_launch(*arguments)
    assert "2 process(es) on cpu" in report
    model = load(out, device="cpu")
    data = load_mnist10k()
    pca = PCA(n_components=model.n_components_).fit(data.X_train[:n_train])
    assert reconstruction_error(model, data.X_test) < 0.95 * reconstruction_error(pca, data.X_test)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_two_processes_train_one_model_on_cuda(training_digits, tmp_path):
    # Both processes share one GPU through gloo (NCCL needs a GPU per process):
    # the CUDA data path of data-parallel training, on any machine with a GPU.
    X = training_digits[0] / 16.0
    shards = [X[rank::WORLD_SIZE] for rank in range(WORLD_SIZE)]
    first, second = fit_in_two_processes([dense(device="cuda")], shards, tmp_path)
    (first,), (second,) = first, second
    assert first.device_.type == "cuda"
    assert_identical_weights(first, second)
    assert first.validation_error_ < first.pca_validation_error_
