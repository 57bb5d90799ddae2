"""CodeSizeSearchCV: every code size from one ordered fit per fold and network setting."""

import copy
import doctest
import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, LeaveOneGroupOut, ParameterGrid
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from benchmarks import search as search_benchmark
from benchmarks.cli import cpu_model
from sk_autoencoder import (
    AutoencoderTransformer,
    CodeSizeSearchCV,
    VariationalAutoencoderTransformer,
    load,
    save,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = dict(hidden_layer_sizes=(16,), max_iter=2, random_state=0, device="cpu")
CODE_SIZES = [2, 4, 8]
CV = KFold(3, shuffle=True, random_state=0)


class CountingAutoencoder(AutoencoderTransformer):
    """An AutoencoderTransformer that records the parameters of every fit, in ``FITS``."""

    def fit(self, X, y=None):
        FITS.append(self.get_params())
        return super().fit(X, y)


FITS = []


@pytest.fixture
def fits():
    FITS.clear()
    yield FITS
    FITS.clear()


@pytest.fixture(scope="module")
def data(training_digits):
    X, y = training_digits
    return X[:300], y[:300]


def classifier_pipeline(autoencoder_class=AutoencoderTransformer, **params):
    return make_pipeline(
        StandardScaler(),
        autoencoder_class(**{**FAST, **params}),
        LogisticRegression(max_iter=300),
    )


def test_search_fits_the_autoencoder_once_per_fold_however_many_candidates(data, fits):
    X, y = data
    grid = {"logisticregression__C": [0.01, 0.1, 1.0]}
    search = CodeSizeSearchCV(
        classifier_pipeline(CountingAutoencoder), CODE_SIZES, param_grid=grid, cv=CV
    )
    search.fit(X, y)
    # 9 candidates x 3 folds, 27 fits under GridSearchCV: 3 here, and the refit.
    assert len(search.cv_results_["params"]) == 9
    assert len(fits) == 3 + 1
    assert all(fit["n_components"] == 8 and fit["ordered"] for fit in fits)


def test_search_fits_once_per_fold_per_network_setting(data, fits):
    # The autoencoder's noise and the scaler in front change the network; the
    # classifier's C does not.
    X, y = data
    grid = {
        "countingautoencoder__noise": [0.0, 0.5],
        "standardscaler__with_mean": [True, False],
        "logisticregression__C": [0.1, 1.0],
    }
    search = CodeSizeSearchCV(
        classifier_pipeline(CountingAutoencoder), [2, 4], param_grid=grid, cv=2, refit=False
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2 * 2 * 2 * 2
    # 4 network settings x 2 folds.
    assert len(fits) == 4 * 2
    settings = [(fit["noise"], fit["n_components"]) for fit in fits]
    assert settings.count((0.0, 4)) == settings.count((0.5, 4)) == 2 * 2


@pytest.mark.slow
def test_search_parallel_scores_equal_sequential_ones(data):
    # Two processes, one network fit each at a time: the same fits as in one.
    X, _ = data
    search = CodeSizeSearchCV(AutoencoderTransformer(**FAST), CODE_SIZES, cv=2, refit=False)
    sequential = search.fit(X).cv_results_["mean_test_score"]
    # On one thread in each worker, as here: bit for bit the same fits on
    # any CPU. On more, sums split over threads round otherwise.
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = clone(search).set_params(n_jobs=2).fit(X).cv_results_["mean_test_score"]
    assert_array_equal(parallel, sequential)


def fold_models(X, y, train, C):
    """Each code size's pipeline, fitted on ``train`` from one ordered fit cut by hand."""
    scaler = StandardScaler().fit(X[train])
    X_scaled = scaler.transform(X[train])
    autoencoder = AutoencoderTransformer(n_components=8, ordered=True, **FAST).fit(X_scaled)
    models = {}
    for k in sorted(CODE_SIZES, reverse=True):
        cut = copy.deepcopy(autoencoder.truncate(k))
        classifier = LogisticRegression(max_iter=300, C=C).fit(cut.transform(X_scaled), y[train])
        models[k] = make_pipeline(scaler, cut, classifier)
    return models


def test_search_scores_are_those_of_the_cut_model_evaluated_apart(data):
    X, y = data
    grid = {"logisticregression__C": [0.1, 1.0]}
    search = CodeSizeSearchCV(classifier_pipeline(), CODE_SIZES, param_grid=grid, cv=CV)
    search.fit(X, y)
    results = search.cv_results_
    for split, (train, test) in enumerate(CV.split(X)):
        for C in grid["logisticregression__C"]:
            for k, model in fold_models(X, y, train, C).items():
                (index,) = np.flatnonzero(
                    (results["param_autoencodertransformer__n_components"] == k)
                    & (results["param_logisticregression__C"] == C)
                )
                # The same fits on the same rows, on the CPU: equal up to
                # float64 rounding.
                assert_allclose(
                    results[f"split{split}_test_score"][index],
                    model.score(X[test], y[test]),
                    rtol=1e-12,
                )


def test_bare_autoencoder_scores_are_the_reconstruction_of_each_prefix(data):
    X, _ = data
    search = CodeSizeSearchCV(AutoencoderTransformer(**FAST), CODE_SIZES, cv=CV).fit(X)
    for split, (train, test) in enumerate(CV.split(X)):
        autoencoder = AutoencoderTransformer(n_components=8, ordered=True, **FAST).fit(X[train])
        # The reconstruction score of each prefix, as error_curve measures it.
        expected = -autoencoder.error_curve(X[test])[np.array(CODE_SIZES) - 1]
        assert_allclose(search.cv_results_[f"split{split}_test_score"], expected, rtol=1e-6)
    # The reconstruction error falls as the code grows, and the largest code wins.
    assert np.all(np.diff(search.cv_results_["mean_test_score"]) > 0)
    assert search.best_params_ == {"n_components": 8}


def test_best_estimator_is_cut_to_the_chosen_code_size(data):
    X, y = data
    search = CodeSizeSearchCV(classifier_pipeline(), [8, 2, 4], cv=CV).fit(X, y)
    best_size = search.best_params_["autoencodertransformer__n_components"]
    assert search.best_index_ == int(np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_score_ == search.cv_results_["mean_test_score"][search.best_index_]
    autoencoder = search.best_estimator_.named_steps["autoencodertransformer"]
    # Trained ordered at the largest size, cut to the best one.
    assert (autoencoder.n_components, autoencoder.ordered) == (8, True)
    assert autoencoder.n_components_ == best_size
    scaled = search.best_estimator_[0].transform(X)
    codes = autoencoder.transform(scaled)
    assert codes.shape == (len(X), best_size)
    assert autoencoder.inverse_transform(codes).shape == X.shape
    assert autoencoder.get_feature_names_out().shape == (best_size,)
    assert autoencoder.explained_variance_ratio_.shape == (best_size,)
    assert_array_equal(search.predict(X), search.best_estimator_.predict(X))
    assert_array_equal(search.classes_, np.unique(y))
    assert search.score(X, y) == search.best_estimator_.score(X, y)
    assert search.n_features_in_ == X.shape[1]


def test_best_autoencoder_survives_save_and_load(data, tmp_path):
    X, _ = data
    search = CodeSizeSearchCV(AutoencoderTransformer(**FAST), [2, 4], cv=2).fit(X)
    path = tmp_path / "best.safetensors"
    save(search.best_estimator_, path)
    assert_array_equal(load(path).transform(X), search.transform(X))


def test_cv_results_are_laid_out_as_grid_search_cv_ones(data):
    # The same keys, and the candidates in the same order, as GridSearchCV over
    # the grid with the code size in it.
    X, y = data
    pipeline = classifier_pipeline(max_iter=1)
    grid = {"logisticregression__C": [0.1, 1.0]}
    search = CodeSizeSearchCV(pipeline, [2, 4], param_grid=grid, cv=2).fit(X, y)
    full_grid = {**grid, "autoencodertransformer__n_components": [2, 4]}
    reference = GridSearchCV(pipeline, full_grid, cv=2, return_train_score=False).fit(X, y)
    results = search.cv_results_
    assert set(results) == set(reference.cv_results_)
    assert results["params"] == list(ParameterGrid(full_grid)) == reference.cv_results_["params"]
    for key, values in results.items():
        if key != "params":
            assert len(values) == 4, key
    assert isinstance(results["param_logisticregression__C"], np.ma.MaskedArray)
    assert results["rank_test_score"].dtype == np.int32
    assert results["rank_test_score"][search.best_index_] == 1
    assert np.all(results["mean_fit_time"] > 0)


def test_search_inside_a_pipeline_after_a_scaler(data):
    X, _ = data
    pipeline = make_pipeline(
        StandardScaler(), CodeSizeSearchCV(AutoencoderTransformer(**FAST), [2, 4], cv=2)
    )
    codes = pipeline.fit_transform(X)
    best_size = pipeline[-1].best_params_["n_components"]
    assert codes.shape == (len(X), best_size)
    assert_allclose(pipeline.transform(X), codes, rtol=1e-6)


def test_search_orders_a_convolutional_autoencoder(data, fast_conv):
    X, _ = data
    search = CodeSizeSearchCV(fast_conv(), [1, 4], cv=2).fit(X)
    assert search.best_estimator_.n_components_ == search.best_params_["n_components"]
    assert search.transform(X).shape == (len(X), search.best_params_["n_components"])


@pytest.mark.parametrize(
    "estimator, n_components, param_grid, error, message",
    [
        (
            make_pipeline(StandardScaler(), LogisticRegression()),
            [2],
            None,
            ValueError,
            r"no autoencoder step \(steps \['standardscaler', 'logisticregression'\]\)",
        ),
        (
            make_pipeline(AutoencoderTransformer(), AutoencoderTransformer(), LogisticRegression()),
            [2],
            None,
            ValueError,
            r"2 autoencoder steps, \['autoencodertransformer-1', 'autoencodertransformer-2'\]",
        ),
        (
            VariationalAutoencoderTransformer(),
            [2],
            None,
            ValueError,
            "VariationalAutoencoderTransformer cannot be ordered",
        ),
        (PCA(), [2], None, TypeError, "estimator must be an AutoencoderTransformer"),
        (AutoencoderTransformer(), [], None, ValueError, "n_components is empty"),
        (AutoencoderTransformer(), [2, 0], None, ValueError, "must hold positive integers"),
        (AutoencoderTransformer(), [2.5], None, ValueError, "must hold positive integers"),
        (
            AutoencoderTransformer(),
            [2],
            {"n_components": [4]},
            ValueError,
            "param_grid sets 'n_components', which the search sets",
        ),
        (
            classifier_pipeline(),
            [2],
            {"autoencodertransformer__ordered": [False]},
            ValueError,
            "param_grid sets 'autoencodertransformer__ordered'",
        ),
    ],
)
def test_search_rejects_what_it_cannot_search(
    data, estimator, n_components, param_grid, error, message
):
    X, y = data
    search = CodeSizeSearchCV(estimator, n_components, param_grid=param_grid, cv=2)
    with pytest.raises(error, match=message):
        search.fit(X, y)


@pytest.mark.parametrize(
    "estimator, n_features",
    [
        (AutoencoderTransformer(**FAST), 64),
        # The width the autoencoder receives, after the steps before it.
        (make_pipeline(PCA(10), AutoencoderTransformer(**FAST)), 10),
    ],
)
def test_search_rejects_a_code_wider_than_the_autoencoder_input(data, estimator, n_features):
    X, _ = data
    search = CodeSizeSearchCV(estimator, [4, 65], cv=2)
    with pytest.raises(ValueError, match=f"n_components=65 must be <= .* n_features={n_features}"):
        search.fit(X)


def test_search_clones_with_its_parameters():
    search = CodeSizeSearchCV(
        classifier_pipeline(), [2, 4], param_grid={"logisticregression__C": [1.0]}, cv=3
    )
    cloned = clone(search)
    assert cloned.get_params(deep=False).keys() == search.get_params(deep=False).keys()
    assert cloned.n_components == [2, 4] and cloned.cv == 3
    # Nested parameters route to the pipeline, as in GridSearchCV.
    cloned.set_params(estimator__logisticregression__C=0.5)
    assert cloned.estimator.named_steps["logisticregression"].C == 0.5
    assert search.estimator.named_steps["logisticregression"].C == 1.0


def test_user_guide_page_examples_run():
    page = Path(__file__).resolve().parent.parent / "docs" / "user_guide" / "code_size_search.rst"
    outcome = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert outcome.attempted > 10 and outcome.failed == 0


@pytest.mark.slow
def test_search_benchmark_quick_run_writes_its_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(search_benchmark, "DIGITS_CODE_SIZES", [4, 8])
    (result,) = search_benchmark.main(["--quick", "--only", "digits", "--out", str(tmp_path)])
    written = json.loads((tmp_path / "search_quick.json").read_text())
    assert written["results"] == json.loads(json.dumps([result]))
    assert written["settings"]["quick"] and written["settings"]["threads"] == 1
    assert written["settings"]["cpu"] == cpu_model()  # figures depend on the CPU
    assert result["search_best_n_components"] in (4, 8)
    assert 0 < result["search_best_accuracy"] <= 1
    assert "| digits: 2 code sizes, 3 folds" in capsys.readouterr().out


def test_search_fits_clones_of_the_estimators_in_the_grid(data):
    X, y = data
    classifiers = [LogisticRegression(C=0.1, max_iter=300), LogisticRegression(max_iter=300)]
    grid = {"logisticregression": classifiers, "standardscaler": [StandardScaler()]}
    search = CodeSizeSearchCV(classifier_pipeline(), [2, 4], param_grid=grid, cv=2).fit(X, y)
    assert not any(hasattr(step, "coef_") for step in classifiers)
    assert not hasattr(grid["standardscaler"][0], "mean_")
    best = search.best_estimator_.named_steps["logisticregression"]
    assert best.C == search.best_params_["logisticregression"].C and hasattr(best, "coef_")


def test_search_passes_groups_to_the_splitter_and_nothing_else(data):
    X, y = data
    search = CodeSizeSearchCV(AutoencoderTransformer(**FAST), [2], cv=LeaveOneGroupOut())
    assert search.fit(X, groups=y % 3).n_splits_ == 3
    with pytest.raises(TypeError, match=r"takes groups only, not \['sample_weight'\]"):
        search.fit(X, sample_weight=np.ones(len(X)))


# scikit-learn's estimator checks, all of them, around a bare autoencoder. A
# meta-estimator cannot be built from its defaults, so tests/test_common.py leaves
# it out; scikit-learn too checks GridSearchCV around an estimator it chooses.
# Around a pipeline ending in a classifier the checks pass as well, in a minute:
# too slow for every run.
@parametrize_with_checks([CodeSizeSearchCV(AutoencoderTransformer(**FAST), [1, 2], cv=2)])
def test_sklearn_compatible_search(estimator, check):
    check(estimator)
