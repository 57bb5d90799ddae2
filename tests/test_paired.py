"""Paired targets: PairedAutoencoderRegressor, its reduced-rank linear floor and its data path."""

import os

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sk_autoencoder import AutoencoderTransformer, PairedAutoencoderRegressor, load, save
from sk_autoencoder._paired_training import PairedRowDataset
from sk_autoencoder._reduced_rank import reduced_rank_map
from sk_autoencoder._scaling import Scaling

# A zero learning rate runs the training loop without moving a weight.
UNTRAINED = dict(max_iter=1, net_params={"lr": 0.0})


def small(**params):
    defaults = dict(n_components=4, hidden_layer_sizes=(16,), random_state=0, device="cpu")
    return PairedAutoencoderRegressor(**{**defaults, **params})


def squared_error(target, prediction):
    return float(((target - prediction) ** 2).sum(axis=1).mean())


def scikit_learn_reduced_rank(X_train, target_train, X_test, n_components):
    """Least squares of the targets on the inputs, then PCA of its fitted values."""
    regression = LinearRegression().fit(X_train, target_train)
    pca = PCA(n_components=n_components).fit(regression.predict(X_train))
    return pca.inverse_transform(pca.transform(regression.predict(X_test)))


def digit_halves(training_digits, held_out_digits):
    """Top half of each digit in, bottom half out: a target of the input's width."""
    (X_train, _), (X_test, _) = training_digits, held_out_digits
    return X_train[:, :32], X_train[:, 32:], X_test[:, :32], X_test[:, 32:]


def grey_to_colour(n_samples=900, seed=0):
    """Inputs of 6 values, targets of 18 (three colours of each), nonlinear in the input."""
    rng = np.random.RandomState(seed)
    grey = rng.uniform(size=(n_samples, 6))
    colour = np.hstack([np.sin(3 * grey), grey**2, np.cos(2 * grey) * grey])
    n_train = 2 * n_samples // 3
    return grey[:n_train], colour[:n_train], grey[n_train:], colour[n_train:]


def offset_regression(n_samples=600, seed=1):
    """Raw units far from the network's: offsets of 1e6 and spreads of 1e3 on either side."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 10))
    target = X[:, :3] @ rng.normal(size=(3, 5)) + 0.1 * np.tanh(X[:, 3:8]) * X[:, :5]
    X, target = 1e6 + 1e3 * X, -5e5 + 2e3 * target
    return X[:400], target[:400], X[400:], target[400:]


@pytest.fixture(scope="module")
def data_sets(training_digits, held_out_digits):
    return {
        "digit_halves": digit_halves(training_digits, held_out_digits),
        "grey_to_colour": grey_to_colour(),
        "offset_regression": offset_regression(),
    }


@pytest.mark.parametrize("name", ["digit_halves", "grey_to_colour", "offset_regression"])
@pytest.mark.parametrize("n_components", [1, 4])
def test_start_equals_scikit_learn_reduced_rank_regression(data_sets, name, n_components):
    X_train, target_train, X_test, _ = data_sets[name]
    model = small(n_components=n_components, **UNTRAINED).fit(X_train, target_train)
    expected = scikit_learn_reduced_rank(X_train, target_train, X_test, n_components)
    # The linear paths are float64 and so is the prediction of float64 rows.
    tolerance = 1e-9 * np.abs(target_train).max()
    assert_allclose(model.predict(X_test), expected, atol=tolerance, rtol=0)


def test_reduced_rank_map_of_a_rank_deficient_input_is_the_minimum_norm_fit():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 6))
    X[:, 4] = X[:, 0] + X[:, 1]  # rank 5 in 6 columns
    X -= X.mean(axis=0)
    target = rng.normal(size=(50, 3))
    target -= target.mean(axis=0)
    linear_map = reduced_rank_map(X, target, n_components=5)
    coefficients = np.linalg.lstsq(X, target, rcond=None)[0]
    # Rank 5 >= the target's 3 columns: the full least-squares map, padded.
    linear = linear_map.decoder_weight @ linear_map.encoder_weight
    assert_allclose(linear, coefficients.T, atol=1e-12)
    assert_array_equal(linear_map.encoder_weight[3:], 0.0)
    assert linear_map.singular_values.shape == (3,)


@pytest.mark.parametrize("name", ["digit_halves", "grey_to_colour", "offset_regression"])
def test_held_out_error_never_above_the_linear_map(data_sets, name):
    X_train, target_train, X_test, target_test = data_sets[name]
    model = small(hidden_layer_sizes=(32,), max_iter=30).fit(X_train, target_train)
    assert model.validation_error_ <= model.linear_validation_error_
    if not model.network_kept_:
        assert model.validation_error_ == model.linear_validation_error_
    linear = scikit_learn_reduced_rank(X_train, target_train, X_test, 4)
    # On new pairs the network kept was judged on others: within a few percent.
    assert squared_error(target_test, model.predict(X_test)) <= 1.03 * squared_error(
        target_test, linear
    )


def test_network_beats_the_linear_map_on_a_nonlinear_target(data_sets):
    X_train, target_train, X_test, target_test = data_sets["grey_to_colour"]
    model = small(n_components=6, hidden_layer_sizes=(64,), max_iter=60).fit(X_train, target_train)
    assert model.network_kept_
    linear = scikit_learn_reduced_rank(X_train, target_train, X_test, 6)
    assert squared_error(target_test, model.predict(X_test)) < 0.8 * squared_error(
        target_test, linear
    )


def test_shapes_follow_the_input_and_the_target(data_sets):
    X_train, target_train, X_test, _ = data_sets["grey_to_colour"]
    model = small(n_components=3, max_iter=2).fit(X_train, target_train)
    codes = model.transform(X_test)
    assert codes.shape == (len(X_test), 3)
    assert model.inverse_transform(codes).shape == (len(X_test), 18)
    assert model.predict(X_test).shape == (len(X_test), 18)
    assert (model.n_features_in_, model.n_outputs_) == (6, 18)
    assert model.target_mean_.shape == (18,)
    assert_allclose(model.target_mean_, target_train.mean(axis=0))


def test_one_target_column_predicts_flat(data_sets):
    X_train, target_train, X_test, _ = data_sets["offset_regression"]
    model = small(n_components=2, max_iter=2).fit(X_train, target_train[:, 0])
    assert model.predict(X_test).shape == (len(X_test),)
    assert model.inverse_transform(model.transform(X_test)).shape == (len(X_test), 1)


def test_score_pairs_is_the_negative_squared_error_and_score_is_r2(data_sets):
    X_train, target_train, X_test, target_test = data_sets["digit_halves"]
    model = small(max_iter=3).fit(X_train, target_train)
    prediction = model.predict(X_test)
    expected = -((target_test - prediction) ** 2).sum(axis=1)
    assert_allclose(model.score_pairs(X_test, target_test), expected, rtol=1e-6)
    assert model.score(X_test, target_test) == pytest.approx(r2_score(target_test, prediction))


def test_float32_pairs_give_float32_results(data_sets):
    X_train, target_train, X_test, target_test = (
        array.astype(np.float32) for array in data_sets["digit_halves"]
    )
    model = small(max_iter=2).fit(X_train, target_train)
    assert model.transform(X_test).dtype == np.float32
    assert model.predict(X_test).dtype == np.float32
    assert model.score_pairs(X_test, target_test).dtype == np.float32


def test_sparse_inputs_train_and_score_as_dense_ones(data_sets):
    X_train, target_train, X_test, target_test = data_sets["digit_halves"]
    dense = small(max_iter=3).fit(X_train, target_train)
    sparse = small(max_iter=3).fit(sp.csr_matrix(X_train), target_train)
    # The same training: only float32 rounding separates them, which depends on
    # the CPU's kernels and grows over the steps, so the predictions agree to a
    # small share of their spread rather than element by element.
    dense_prediction = dense.predict(X_test)
    difference = sparse.predict(sp.csr_matrix(X_test)) - dense_prediction
    spread = dense_prediction - dense_prediction.mean(axis=0)
    assert np.sqrt(np.mean(difference**2)) < 1e-2 * np.sqrt(np.mean(spread**2))
    dense_error = -dense.score_pairs(X_test, target_test).mean()
    sparse_error = -sparse.score_pairs(sp.csr_matrix(X_test), target_test).mean()
    assert sparse_error == pytest.approx(dense_error, rel=1e-3)
    # Trained: both moved away from their reduced-rank start, alike.
    start = small(**UNTRAINED).fit(X_train, target_train)
    start_error = -start.score_pairs(X_test, target_test).mean()
    assert abs(dense_error - start_error) > 10 * abs(sparse_error - dense_error)


@pytest.mark.parametrize("sparse_inputs", [False, True], ids=["dense", "sparse"])
def test_batches_pair_each_input_with_its_own_target(sparse_inputs):
    X = np.arange(40.0).reshape(20, 2)
    target = np.hstack([10 * X[:, :1], -X])
    inputs = sp.csr_matrix(X) if sparse_inputs else X
    scaling, target_scaling = Scaling(np.zeros(2), 1.0), Scaling(np.zeros(3), 1.0)
    dataset = PairedRowDataset(inputs, target, scaling=scaling, target_scaling=target_scaling)
    subset = dataset.subset(np.array([17, 3, 11, 5, 8]))
    X_batch, target_batch = subset.batch(torch.tensor([4, 0, 2, 1]))
    assert_array_equal(target_batch[:, :1].numpy(), 10 * X_batch[:, :1].numpy())
    assert_array_equal(target_batch[:, 1:].numpy(), -X_batch.numpy())
    assert sorted(X_batch[:, 0].tolist()) == [6.0, 16.0, 22.0, 34.0]


def test_plain_autoencoder_in_a_pipeline_still_ignores_class_labels(training_digits):
    X, labels = training_digits
    autoencoder = AutoencoderTransformer(
        n_components=4, hidden_layer_sizes=(16,), max_iter=2, random_state=0, device="cpu"
    )
    alone = autoencoder.fit(X).transform(X)
    pipeline = make_pipeline(autoencoder, LogisticRegression(max_iter=200)).fit(X, labels)
    assert_array_equal(pipeline[0].transform(X), alone)


def test_paired_codes_feed_a_classifier_through_frozen_estimator(data_sets, training_digits):
    X_train, target_train, _, _ = data_sets["digit_halves"]
    _, labels = training_digits
    paired = small(max_iter=2).fit(X_train, target_train)
    classifier = make_pipeline(FrozenEstimator(paired), LogisticRegression(max_iter=500))
    classifier.fit(X_train, labels)
    assert_array_equal(classifier[0].transform(X_train), paired.transform(X_train))
    assert classifier.score(X_train, labels) > 0.5


def test_cross_validation_splits_inputs_and_targets_together(data_sets):
    X_train, target_train, _, _ = data_sets["offset_regression"]
    scores = cross_val_score(small(n_components=3, max_iter=2), X_train, target_train, cv=3)
    # Each fold is scored on its own held-out pairs: R^2 of at least the linear map's start.
    assert scores.shape == (3,)
    assert np.all(scores > 0.5)


def test_save_and_load_keep_the_target_scaling(data_sets, tmp_path):
    X_train, target_train, X_test, target_test = data_sets["offset_regression"]
    model = small(max_iter=3).fit(X_train, target_train)
    path = os.fspath(tmp_path / "paired.safetensors")
    save(model, path)
    loaded = load(path, device="cpu")
    assert isinstance(loaded, PairedAutoencoderRegressor)
    state = loaded.net_.module_.state_dict()
    assert_array_equal(state["target_scaling.center"].numpy(), target_train.mean(axis=0))
    assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    # Training goes on after loading as it would have without saving.
    model.partial_fit(X_train, target_train)
    loaded.partial_fit(X_train, target_train)
    assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_partial_fit_starts_from_the_first_chunk_and_keeps_its_floor(data_sets):
    X_train, target_train, X_test, target_test = data_sets["grey_to_colour"]
    model = small(n_components=6, hidden_layer_sizes=(32,))
    chunks = np.array_split(np.arange(len(X_train)), 3)
    for chunk in chunks:
        model.partial_fit(X_train[chunk], target_train[chunk])
        assert model.validation_error_ <= model.linear_validation_error_
    first = chunks[0]
    linear = scikit_learn_reduced_rank(X_train[first], target_train[first], X_test, 6)
    model.net_.module_.use_network(False)
    # Switched off, the network is the first chunk's linear map exactly.
    assert_allclose(model.predict(X_test), linear, atol=1e-9)


def test_clear_errors_for_missing_or_mismatched_targets(data_sets):
    X_train, target_train, X_test, target_test = data_sets["grey_to_colour"]
    with pytest.raises(ValueError, match="requires y to be passed"):
        small().fit(X_train, None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small().fit(X_train, target_train[:-1])
    model = small(max_iter=1).fit(X_train, target_train)
    with pytest.raises(ValueError, match="n_outputs_=18"):
        model.partial_fit(X_train, target_train[:, :5])
    with pytest.raises(ValueError, match="n_outputs_=18"):
        model.score_pairs(X_test, target_test[:, :5])


def test_loss_follows_the_targets_range(data_sets):
    X_train, target_train, _, _ = data_sets["offset_regression"]
    in_unit_interval = (target_train - target_train.min()) / np.ptp(target_train)
    assert small(max_iter=1).fit(X_train, in_unit_interval).loss_ == "bce"
    assert small(max_iter=1).fit(X_train / X_train.max(), target_train).loss_ == "mse"


@pytest.mark.parametrize("attribute, hint", [("coef_", "predict"), ("intercept_", "target_mean_")])
def test_missing_linear_model_attributes_say_what_to_use_instead(data_sets, attribute, hint):
    X_train, target_train, _, _ = data_sets["digit_halves"]
    model = small(max_iter=1).fit(X_train, target_train)
    with pytest.raises(AttributeError, match=f"has no attribute '{attribute}'.*{hint}"):
        getattr(model, attribute)


def test_few_pairs_judge_the_linear_floor_on_refits_that_see_their_targets():
    # 60 pairs hold out 6: the refits on the other folds train on the same
    # targets, and the network's gain over the rank-1 map holds on them.
    rng = np.random.RandomState(0)
    t = rng.uniform(-1, 1, size=80)
    X = np.c_[t, 0.05 * rng.normal(size=80)]
    Y = np.c_[t**2, np.sin(3 * t)]
    model = PairedAutoencoderRegressor(
        n_components=1, hidden_layer_sizes=(16,), max_iter=100, random_state=0, device="cpu"
    ).fit(X[:60], Y[:60])
    assert model.n_judged_rows_ == 60
    assert model.network_kept_
    linear = scikit_learn_reduced_rank(X[:60], Y[:60], X[60:], 1)
    assert squared_error(Y[60:], model.predict(X[60:])) < squared_error(Y[60:], linear)
