"""Grid search on a Dask cluster through joblib, and threads in joblib workers."""

from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from sk_autoencoder import AutoencoderTransformer

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


def test_torch_uses_its_share_of_cores_in_joblib_workers(X):
    # Defined here, so that it is pickled by value for the workers.
    def torch_threads(estimator, X, y=None):
        import torch

        return float(torch.get_num_threads())

    search = grid_search(n_jobs=2, scoring=torch_threads).fit(X)
    # joblib's loky backend gives each of n_jobs workers cpu_count // n_jobs
    # threads; more would oversubscribe the cores (one thread each on two).
    share = max(joblib.cpu_count() // 2, 1)
    assert np.all(search.cv_results_["mean_test_score"] == share)


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
