"""Scaling out: grid search on Dask through joblib, threads in joblib workers, and
data on a Dask cluster through dask-ml's Incremental and ParallelPostFit.
"""

import pickle
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import IncrementalPCA
from sklearn.model_selection import GridSearchCV

from sk_autoencoder import AutoencoderTransformer
from tests._helpers import reconstruction_error, threads_recorder

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:300]


def grid_search(**params):
    autoencoder = AutoencoderTransformer(
        hidden_layer_sizes=(8,), max_iter=2, random_state=0, device="cpu"
    )
    return GridSearchCV(autoencoder, {"n_components": [2, 4]}, cv=2, **params)


def test_grid_search_runs_on_a_dask_cluster(X):
    # Workers as threads of this process start in about a second; what is
    # tested is the joblib-to-Dask path, the same for process workers.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            on_dask = grid_search(n_jobs=-1).fit(X)
        assert len(tasks.data) >= 4, "the fits did not run on the cluster"
    sequential = grid_search(n_jobs=1).fit(X)
    assert_allclose(
        on_dask.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
        rtol=1e-5,
    )
    assert on_dask.best_params_ == sequential.best_params_
    assert on_dask.best_estimator_.transform(X).shape == (300, on_dask.best_params_["n_components"])


def worker_share(n_workers):
    """The cores each of ``n_workers`` workers may use without oversubscribing the machine."""
    return max(joblib.cpu_count() // n_workers, 1)


@pytest.mark.slow
def test_fits_in_joblib_workers_train_on_their_share_of_cores_at_most(X):
    ThreadsSeen, threads_seen = threads_recorder()

    def most_threads(estimator, X, y=None):
        return float(max(threads_seen(estimator)))

    search = grid_search(n_jobs=2, scoring=most_threads)
    search.estimator.set_params(callbacks=[ThreadsSeen()])
    search.fit(X)
    # What every epoch of every fit in the two workers trained on: more
    # threads than a worker's share would oversubscribe the cores, and on a
    # busy machine collapse (one thread each on two cores).
    results = search.cv_results_
    threads = np.concatenate([results[f"split{split}_test_score"] for split in range(2)])
    assert len(threads) == 4 and np.all((1 <= threads) & (threads <= worker_share(2)))


def test_fits_in_threads_of_one_process_stay_reproducible(X):
    def fit_and_transform(seed):
        autoencoder = AutoencoderTransformer(
            hidden_layer_sizes=(8,), noise=0.1, max_iter=3, random_state=seed, device="cpu"
        )
        return autoencoder.fit(X).transform(X)

    seeds = [0, 1, 0, 1]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(fit_and_transform, seeds))
    for seed, codes in zip(seeds, concurrent, strict=True):
        assert_array_equal(codes, fit_and_transform(seed))


# Data on a cluster: dask-ml's Incremental trains block by block (one epoch
# per partial_fit call), ParallelPostFit maps fitted estimators over blocks.
# Worker processes, as on a real cluster: what the workers get travels
# pickled, and their torch is their own.

da = pytest.importorskip("dask.array")

N_TRAIN = 1500
BLOCK_ROWS = 250
N_PASSES = 3


@pytest.fixture(scope="module")
def wrappers():
    return pytest.importorskip("dask_ml.wrappers")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def digits_split():
    X = load_digits().data
    return X[:N_TRAIN], X[N_TRAIN:]


def small_autoencoder():
    return AutoencoderTransformer(
        n_components=4, hidden_layer_sizes=(32,), random_state=0, device="cpu"
    )


def ran_on_workers(client, tasks, prefix):
    """The workers that ran the recorded tasks whose keys start with ``prefix``."""
    workers = {task["worker"] for task in tasks.data if task["key"][0].startswith(prefix)}
    assert workers, f"no {prefix!r} task ran on the cluster"
    assert workers <= set(client.scheduler_info()["workers"])
    return workers


@pytest.fixture(scope="module")
def streamed(wrappers, client, digits_split):
    """Incremental(AutoencoderTransformer) after N_PASSES passes over the blocks, and its tasks."""
    X_train, _ = digits_split
    blocks = da.from_array(X_train, chunks=(BLOCK_ROWS, -1))
    incremental = wrappers.Incremental(small_autoencoder(), shuffle_blocks=False)
    with distributed.get_task_stream(client) as tasks:
        for _ in range(N_PASSES):
            incremental.partial_fit(blocks)
    return incremental, tasks


@pytest.mark.slow
def test_fits_on_dask_workers_train_on_their_share_of_cores_at_most(client, X):
    ThreadsSeen, threads_seen = threads_recorder()

    def threads_of_a_fit(X):
        autoencoder = AutoencoderTransformer(
            hidden_layer_sizes=(8,), max_iter=2, callbacks=[ThreadsSeen()], device="cpu"
        )
        return threads_seen(autoencoder.fit(X))

    # A fit as a task on each of the 2 worker processes (one thread each).
    workers = list(client.scheduler_info()["workers"])
    assert len(workers) == 2
    tasks = [client.submit(threads_of_a_fit, X, workers=[worker], pure=False) for worker in workers]
    for seen in client.gather(tasks):
        assert seen and all(1 <= n_threads <= worker_share(2) for n_threads in seen)


@pytest.mark.slow
def test_incremental_trains_one_epoch_per_block_on_the_workers(streamed, client, digits_split):
    incremental, tasks = streamed
    X_train, X_test = digits_split
    n_blocks = N_TRAIN // BLOCK_ROWS
    estimator = incremental.estimator_
    assert estimator.n_iter_ == N_PASSES * n_blocks == len(estimator.loss_curve_)
    # dask-ml runs each partial_fit as a task, the model passed from task to task.
    ran_on_workers(client, tasks, "fit-")
    # The same stream in this process gives the same model, bit for bit:
    # pickling between worker processes loses nothing of the training state
    # (the Adam moments included) and the seeds follow the stream.
    local = small_autoencoder()
    for _ in range(N_PASSES):
        for start in range(0, N_TRAIN, BLOCK_ROWS):
            local.partial_fit(X_train[start : start + BLOCK_ROWS])
    assert_array_equal(estimator.transform(X_test), local.transform(X_test))
    assert_array_equal(estimator.loss_curve_, local.loss_curve_)


@pytest.mark.slow
def test_streamed_model_is_no_worse_than_incremental_pca(streamed, digits_split):
    incremental, _ = streamed
    X_train, X_test = digits_split
    pca = IncrementalPCA(n_components=4)
    for start in range(0, N_TRAIN, BLOCK_ROWS):
        pca.partial_fit(X_train[start : start + BLOCK_ROWS])
    autoencoder_error = reconstruction_error(incremental.estimator_, X_test)
    pca_error = reconstruction_error(pca, X_test)
    # partial_fit follows an IncrementalPCA of the stream and uses the network
    # only where it beats that PCA on each block's held-out rows; the test
    # rows are new, hence the 1% margin. Here the network is used and wins.
    assert autoencoder_error <= 1.01 * pca_error
    assert autoencoder_error < pca_error, (autoencoder_error, pca_error)


@pytest.mark.slow
def test_post_fit_methods_are_lazy_and_run_on_the_workers(wrappers, streamed, client, digits_split):
    incremental, _ = streamed
    X_train, X_test = digits_split
    n_features = X_test.shape[1]
    # ParallelPostFit: fitted here in memory, applied to blocks on the workers.
    post_fit = wrappers.ParallelPostFit(small_autoencoder().set_params(max_iter=3)).fit(X_train)
    blocks = da.from_array(X_test, chunks=(100, -1))
    for wrapper in (incremental, post_fit):
        # The fitted estimator the wrapper applies to each block.
        fitted = wrapper.estimator_ if wrapper is incremental else wrapper.estimator
        with distributed.get_task_stream(client) as tasks:
            codes = wrapper.transform(blocks)
            # The wrappers have no inverse_transform or score_samples: map the
            # fitted estimator's methods over the blocks, as they do for transform.
            reconstructions = codes.map_blocks(
                fitted.inverse_transform,
                chunks=(codes.chunks[0], (n_features,)),
                meta=np.empty((0, n_features), dtype=X_test.dtype),
            )
            scores = blocks.map_blocks(
                fitted.score_samples, drop_axis=1, meta=np.empty((0,), dtype=X_test.dtype)
            )
            for lazy in (codes, reconstructions, scores):
                assert isinstance(lazy, da.Array)
            assert not tasks.data, "building the graphs computed something"
            codes_, reconstructions_, scores_ = da.compute(codes, reconstructions, scores)
        # The wrappers' transform declares the input's chunks, columns
        # included (dask-ml passes no output chunks to map_blocks); the
        # blocks it computes are the codes. Map fitted.transform with
        # chunks=(blocks.chunks[0], (n_components_,)) for the declared shape.
        assert codes_.shape == (len(X_test), fitted.n_components_)
        assert reconstructions_.shape == X_test.shape
        assert scores_.shape == (len(X_test),)
        assert len(ran_on_workers(client, tasks, "")) >= 1
        assert len(tasks.data) >= 3 * blocks.numblocks[0]
        # Equal to the in-memory results, to float32 rounding: the network
        # computes in float32, and whether batches of other sizes round
        # alike depends on the CPU's matrix kernels.
        assert_allclose(codes_, fitted.transform(X_test), rtol=1e-5, atol=1e-5)
        assert_allclose(
            reconstructions_,
            fitted.inverse_transform(fitted.transform(X_test)),
            rtol=1e-5,
            atol=1e-4,
        )
        assert_allclose(scores_, fitted.score_samples(X_test), rtol=1e-5)


def test_fitted_estimator_pickles_cheaply():
    # What a worker receives with each task of the graphs above.
    X = load_digits().data
    fitted = AutoencoderTransformer(random_state=0, max_iter=1, device="cpu").fit(X)
    weight_bytes = sum(
        tensor.numel() * tensor.element_size()
        for tensor in fitted.net_.module_.state_dict().values()
    )
    size = len(pickle.dumps(fitted))
    # The module's weights, and the Adam optimizer that partial_fit continues
    # with on the next worker: its two moment buffers and, pickled apart by
    # skorch, the parameters once more; about 4.1x the weights in all, plus
    # a few kilobytes of parameters and history.
    assert weight_bytes < size < 4.5 * weight_bytes
    # No copy of the training data: twice the rows add only the positions of
    # the rows the net trained on (8 bytes a row).
    twice = AutoencoderTransformer(random_state=0, max_iter=1, device="cpu").fit(np.vstack([X, X]))
    assert len(pickle.dumps(twice)) - size < 16 * len(X)
