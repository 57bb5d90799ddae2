"""AutoencoderTransformer: the dense autoencoder and the contract every estimator shares."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sk_autoencoder._batching import RowDataset
from sk_autoencoder._inference import inference_module
from sk_autoencoder._losses import contraction_penalty
from sk_autoencoder._scaling import Scaling
from tests._helpers import UNTRAINED, reconstruction, reconstruction_error, squared_error


@pytest.fixture(scope="module")
def fitted(digits, fast_dense):
    return fast_dense().fit(digits[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_and_inverse_keep_float_dtype(digits, dtype, fast_dense):
    X = digits[0].astype(dtype)
    autoencoder = fast_dense().fit(X)
    codes = autoencoder.transform(X)
    assert codes.shape == (400, 4) and codes.dtype == dtype
    reconstructed = autoencoder.inverse_transform(codes)
    assert reconstructed.shape == X.shape and reconstructed.dtype == dtype
    assert autoencoder.mean_.dtype == dtype


def test_integer_input_gives_float64(digits, fast_dense):
    X = digits[0].astype(np.int64)
    assert fast_dense().fit(X).transform(X).dtype == np.float64


def test_same_random_state_gives_bit_identical_output(digits, fast_dense):
    X = digits[0]
    first = fast_dense(max_iter=10, random_state=7).fit(X).transform(X)
    second = fast_dense(max_iter=10, random_state=7).fit(X).transform(X)
    assert_array_equal(first, second)
    # From a random start the seed shows in the result; starting as PCA, a
    # short fit may keep PCA for every seed.
    third = fast_dense(init="random", random_state=7).fit(X).transform(X)
    fourth = fast_dense(init="random", random_state=8).fit(X).transform(X)
    assert not np.array_equal(third, fourth)


def test_fit_does_not_disturb_global_torch_rng(digits, fast_dense):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fast_dense().fit(digits[0])
    assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_fit_transform_equals_fit_then_transform(digits, fast_dense):
    X = digits[0]
    assert_array_equal(fast_dense().fit_transform(X), fast_dense().fit(X).transform(X))


def test_float32_and_float64_transforms_agree(fitted, digits):
    X = digits[0]
    assert_allclose(
        fitted.transform(X.astype(np.float32)), fitted.transform(X), rtol=1e-4, atol=1e-4
    )


def test_float64_calls_reuse_one_copy_of_the_network_until_its_weights_change(digits, fast_dense):
    # Float64 rows go through a float64 copy of the network, kept between
    # calls; every change of the weights must reach it, including a fused
    # optimizer step and a write through .data, which torch counts as no
    # new version of the tensor.
    X = digits[0]
    autoencoder = fast_dense().fit(X)
    module = autoencoder.net_.module_
    assert inference_module(module, np.float64) is inference_module(module, np.float64)
    before = autoencoder.transform(X)
    for parameter in module.parameters():
        parameter.grad = torch.ones_like(parameter)
    torch.optim.Adam(module.parameters(), lr=0.1, fused=True).step()
    stepped = autoencoder.transform(X)
    assert not np.allclose(stepped, before, atol=1e-3)
    assert_allclose(stepped, autoencoder.transform(X.astype(np.float32)), rtol=1e-4, atol=1e-4)
    for parameter in module.parameters():
        parameter.data.mul_(0.5)
    halved = autoencoder.transform(X)
    assert not np.allclose(halved, stepped, atol=1e-3)
    assert_allclose(halved, autoencoder.transform(X.astype(np.float32)), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_beats_pca_on_digits_with_enough_epochs(digits, held_out_digits, fast_dense):
    X, X_test = digits[0], held_out_digits[0]
    autoencoder = fast_dense(n_components=8, hidden_layer_sizes=(64,), batch_size=32, max_iter=60)
    autoencoder.fit(X)
    pca = PCA(n_components=8).fit(X)
    autoencoder_error = reconstruction_error(autoencoder, X_test)
    pca_error = reconstruction_error(pca, X_test)
    # On rows neither saw: 0.80 to 0.82 of PCA's error for seeds 0 to 3 (0.58
    # on the training rows). Falling back to PCA would give 1, to rounding:
    # a margin of 10% tells a network that learned from the floor alone.
    assert autoencoder_error < 0.9 * pca_error


def in_large_units(X):
    return X * 1000.0 + 5e4


def in_small_units(X):
    return (X - 5e4) / 1000.0


def test_raw_units_are_handled_by_internal_scaling(digits, held_out_digits, fast_dense):
    """Scaling the data by 1000 and shifting it changes nothing but the units."""
    X, X_test = digits[0], held_out_digits[0]
    # Before the first step the model is PCA, in float64: in both units the
    # same reconstructions, to float64 rounding.
    small = fast_dense(loss="mse", **UNTRAINED).fit(X)
    large = fast_dense(loss="mse", **UNTRAINED).fit(in_large_units(X))
    assert_allclose(large.scale_, small.scale_ * 1000.0, rtol=1e-6)
    assert_allclose(large.mean_, in_large_units(small.mean_), rtol=1e-12)
    assert_allclose(
        in_small_units(reconstruction(large, in_large_units(X_test))),
        reconstruction(small, X_test),
        atol=1e-6,
    )
    # Trained, the two fits round differently in float32, by amounts that
    # depend on the CPU, and their paths may part: compare how well each
    # learned. From a random start, so that the network meets the raw units
    # alone: starting as PCA (in float64), it learns residuals, and a fit
    # without any scaling still beat PCA here in both units.
    settings = dict(loss="mse", hidden_layer_sizes=(64,), max_iter=30, init="random")
    small = fast_dense(**settings).fit(X)
    large = fast_dense(**settings).fit(in_large_units(X))
    small_error = reconstruction_error(small, X_test)
    large_reconstructed = in_small_units(reconstruction(large, in_large_units(X_test)))
    large_error = squared_error(X_test, large_reconstructed)
    mean_error = squared_error(X_test, X.mean(axis=0))
    # On digits neither saw, 0.45 to 0.50 of the mean image's error in both
    # units for seeds 0 to 3, equal here to the last digit; without the
    # internal scaling, 0.99 in raw units. Seeds span 11%: 15% holds paths
    # that part as far as another seed's.
    assert small_error < 0.7 * mean_error and large_error < 0.7 * mean_error
    assert large_error == pytest.approx(small_error, rel=0.15)


def test_columns_of_very_different_scales_keep_their_weights_as_in_pca(fast_dense):
    """Wine's columns span four orders of magnitude; like PCA, the fit favours the large ones."""
    X, _ = load_wine(return_X_y=True)
    autoencoder = fast_dense(n_components=2, hidden_layer_sizes=(32,), batch_size=16, max_iter=50)
    reconstructed = autoencoder.fit(X).inverse_transform(autoencoder.transform(X))
    assert np.isfinite(reconstructed).all()
    assert r2_score(X, reconstructed, multioutput="variance_weighted") > 0.99
    proline = -1
    assert r2_score(X[:, proline], reconstructed[:, proline]) > 0.99


def test_near_constant_features_stay_harmless(fast_dense):
    rng = np.random.RandomState(0)
    X = rng.rand(300, 20)
    X[:, :5] = 0.0
    X[0, :5] = 1e-3  # lit once, like MNIST's border pixels
    autoencoder = fast_dense(n_components=3, max_iter=20).fit(X)
    assert autoencoder.scale_ > 0.1
    assert np.isfinite(autoencoder.transform(X)).all()


def test_loss_auto_picks_cross_entropy_for_unit_interval_data(digits, fast_dense):
    X = digits[0]
    assert fast_dense().fit(X / 16.0).loss_ == "bce"
    assert fast_dense().fit(X).loss_ == "mse"
    with pytest.raises(ValueError, match="loss='bce' needs training data in \\[0, 1\\]"):
        fast_dense(loss="bce").fit(X)


def test_cross_entropy_reconstructions_stay_in_unit_interval(digits, fast_dense):
    X = digits[0] / 16.0
    autoencoder = fast_dense().fit(X)
    reconstructed = autoencoder.inverse_transform(autoencoder.transform(X))
    assert reconstructed.min() >= 0.0 and reconstructed.max() <= 1.0


def test_sparse_input_trains_like_dense_without_densifying_whole(
    digits, held_out_digits, fast_dense
):
    X = digits[0]
    X_sparse = sp.csr_matrix(X)
    dataset = RowDataset(X_sparse, scaling=Scaling(np.zeros(X.shape[1]), 1.0))
    assert dataset._tensor is None
    assert_array_equal(dataset.rows(torch.tensor([3, 1])).numpy(), X[[1, 3]].astype(np.float32))
    settings = dict(hidden_layer_sizes=(64,), max_iter=30)
    dense = fast_dense(**settings).fit(X)
    sparse = fast_dense(**settings).fit(X_sparse)
    assert_allclose(sparse.mean_, dense.mean_, rtol=1e-12)
    assert sparse.scale_ == pytest.approx(dense.scale_, rel=1e-12)
    # The statistics agree to float64 rounding, not bit for bit, so the two
    # trainings part as in test_raw_units_are_handled_by_internal_scaling:
    # compare how well each learned on digits neither saw (0.84 to 0.85 of
    # PCA's error for seeds 0 to 3, the two within 3e-5 of each other, seeds
    # within 1.2%).
    X_test = held_out_digits[0]
    sparse_error = reconstruction_error(sparse, X_test)
    dense_error = reconstruction_error(dense, X_test)
    assert sparse_error < 0.9 * reconstruction_error(PCA(n_components=4).fit(X), X_test)
    assert sparse_error == pytest.approx(dense_error, rel=0.03)
    # One model, sparse or dense rows: the same codes.
    assert_allclose(sparse.transform(X_sparse), sparse.transform(X), rtol=1e-6, atol=1e-6)


def test_pickle_round_trip_gives_identical_output(fitted, digits):
    X = digits[0]
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.transform(X), fitted.transform(X))
    assert_array_equal(restored.score_samples(X), fitted.score_samples(X))


def test_clone_gives_an_unfitted_copy_with_equal_parameters(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "net_")


def test_pipeline_with_a_classifier(digits, held_out_digits, fast_dense):
    X, y = digits
    pipeline = make_pipeline(
        fast_dense(n_components=16, max_iter=20), LogisticRegression(max_iter=500)
    )
    # Accuracy on digits it did not see (0.91 here, against 0.1 by chance).
    assert pipeline.fit(X, y).score(*held_out_digits) > 0.8


@pytest.mark.slow
def test_grid_search_over_n_components_in_two_processes(digits, fast_dense):
    X, y = digits
    pipeline = make_pipeline(fast_dense(max_iter=2), LogisticRegression(max_iter=200))
    search = GridSearchCV(
        pipeline, {"autoencodertransformer__n_components": [2, 8]}, cv=2, n_jobs=2
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # Eight numbers keep far more of a digit than two (0.90 against 0.58
    # accuracy, as with PCA): a search that scored codes at random could
    # pick either.
    assert search.best_params_ == {"autoencodertransformer__n_components": 8}
    # The chosen pipeline is refitted on all rows.
    autoencoder = search.best_estimator_[0]
    assert autoencoder.n_components_ == 8
    assert_allclose(autoencoder.mean_, X.mean(axis=0))
    assert search.predict(X).shape == y.shape


def test_set_output_pandas_names_the_code_columns(digits, fast_dense):
    pytest.importorskip("pandas")
    X = digits[0]
    autoencoder = fast_dense(n_components=3).set_output(transform="pandas")
    codes = autoencoder.fit_transform(X)
    assert list(codes.columns) == [
        "autoencodertransformer0",
        "autoencodertransformer1",
        "autoencodertransformer2",
    ]
    assert_array_equal(autoencoder.get_feature_names_out(), codes.columns)


def test_score_is_the_mean_negative_squared_error(fitted, digits):
    X = digits[0]
    reconstructed = fitted.inverse_transform(fitted.transform(X))
    assert fitted.score(X) == pytest.approx(-((X - reconstructed) ** 2).sum(axis=1).mean())


def test_score_samples_flags_corrupted_rows(digits, fast_dense):
    X = digits[0]
    autoencoder = fast_dense(n_components=8, max_iter=30).fit(X)
    corrupted = np.random.RandomState(0).uniform(0, 16, size=(50, 64))
    assert np.median(autoencoder.score_samples(corrupted)) < np.median(autoencoder.score_samples(X))


def test_loss_curve_and_epochs_are_recorded(digits, fast_dense):
    autoencoder = fast_dense(max_iter=5, tol=0.0).fit(digits[0])
    assert autoencoder.n_iter_ == 5 and len(autoencoder.loss_curve_) == 5
    assert autoencoder.loss_curve_[-1] < autoencoder.loss_curve_[0]


def test_training_stops_when_loss_stops_improving(digits, fast_dense):
    autoencoder = fast_dense(max_iter=100, tol=0.5, n_iter_no_change=2).fit(digits[0])
    assert autoencoder.n_iter_ < 100


def test_early_stopping_records_validation_loss(digits, fast_dense):
    autoencoder = fast_dense(max_iter=4, early_stopping=True, validation_fraction=0.2).fit(
        digits[0]
    )
    assert len(autoencoder.validation_loss_curve_) == autoencoder.n_iter_ == 4
    assert np.isfinite(autoencoder.validation_loss_curve_).all()


def test_partial_fit_trains_one_epoch_per_call(digits, fast_dense):
    X = digits[0]
    autoencoder = fast_dense()
    for expected_epochs in (1, 2, 3):
        autoencoder.partial_fit(X)
        assert autoencoder.n_iter_ == expected_epochs
    assert autoencoder.loss_curve_[-1] < autoencoder.loss_curve_[0]
    with pytest.raises(ValueError, match="X has 10 features"):
        autoencoder.partial_fit(X[:, :10])


def test_verbose_shows_a_progress_bar_over_epochs(digits, capsys, fast_dense):
    fast_dense(max_iter=3, verbose=1).fit(digits[0])
    error_output = capsys.readouterr().err
    assert "3/3" in error_output and "train_loss" in error_output


def test_silent_by_default(digits, capsys, fast_dense):
    fast_dense(max_iter=2).fit(digits[0])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# The regulariser tests train from a random start with no PCA floor, which
# would keep PCA's reconstruction whenever a penalty costs reconstruction
# (tests/test_floor.py checks that).
def test_sparsity_shrinks_the_code(digits, fast_dense):
    X = digits[0]
    plain = fast_dense(init="random", max_iter=20).fit(X)
    sparse = fast_dense(init="random", max_iter=20, sparsity=1.0).fit(X)
    assert np.abs(sparse.transform(X)).mean() < 0.5 * np.abs(plain.transform(X)).mean()


def encoder_jacobian_norm(autoencoder, X):
    """Mean squared Frobenius norm of d(code)/d(scaled input), computed exactly."""
    module = autoencoder.net_.module_.eval()
    scaled = module.standardize(torch.as_tensor(X[:20], dtype=torch.float32))
    norms = [
        torch.autograd.functional.jacobian(module.encoder, row[None]).pow(2).sum() for row in scaled
    ]
    return float(torch.stack(norms).mean())


def test_contraction_flattens_the_encoder(digits, fast_dense):
    X = digits[0]
    plain = fast_dense(init="random", max_iter=20).fit(X)
    contractive = fast_dense(init="random", max_iter=20, contraction=1.0).fit(X)
    assert encoder_jacobian_norm(contractive, X) < 0.5 * encoder_jacobian_norm(plain, X)


def test_contraction_penalty_estimates_the_jacobian_norm_without_bias():
    torch.manual_seed(0)
    encoder = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    inputs = torch.randn(4, 6, requires_grad=True)
    code = encoder(inputs)
    estimates = torch.stack([contraction_penalty(code, inputs).detach() for _ in range(4000)])
    exact = torch.stack(
        [torch.autograd.functional.jacobian(encoder, row).pow(2).sum() for row in inputs]
    ).mean()
    assert_allclose(float(estimates.mean()), float(exact.detach()), rtol=0.05)


@pytest.mark.slow
def test_noise_trains_a_denoiser(training_digits, held_out_digits, fast_dense):
    # Judged on digits neither network saw; 1,000 training rows, since on 400
    # both networks learn the training rows more than what a digit looks like.
    X, X_test = training_digits[0][:1000], held_out_digits[0]
    noisy = X_test + np.random.RandomState(0).normal(scale=4.0, size=X_test.shape)
    settings = dict(
        n_components=32, hidden_layer_sizes=(64,), batch_size=32, max_iter=40, init="random"
    )
    plain = fast_dense(**settings).fit(X)
    denoising = fast_dense(**settings, noise=0.5).fit(X)
    denoised_error = squared_error(X_test, reconstruction(denoising, noisy))
    plain_error = squared_error(X_test, reconstruction(plain, noisy))
    # 0.77 to 0.78 of the plain network's error for seeds 0 to 3.
    assert denoised_error < 0.9 * plain_error


def network_layers(autoencoder):
    """The Linear layers of the encoder's and the decoder's networks, in order."""
    module = autoencoder.net_.module_
    return [
        layer
        for part in (module.encoder.network, module.decoder.network)
        for layer in part.modules()
        if isinstance(layer, torch.nn.Linear)
    ]


def test_vanilla_autoencoder_has_no_hidden_layer(digits, fast_dense):
    autoencoder = fast_dense(hidden_layer_sizes=()).fit(digits[0])
    shapes = [tuple(layer.weight.shape) for layer in network_layers(autoencoder)]
    assert shapes == [(4, 64), (64, 4)]


def test_deep_decoder_mirrors_the_encoder(digits, fast_dense):
    autoencoder = fast_dense(hidden_layer_sizes=(32, 16)).fit(digits[0])
    widths = [layer.out_features for layer in network_layers(autoencoder)]
    assert widths == [32, 16, 4, 16, 32, 64]


def test_net_params_and_callbacks_reach_the_skorch_net(digits, fast_dense):
    class CountEpochs(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs_ += 1

    counter = CountEpochs()
    autoencoder = fast_dense(
        max_iter=2,
        callbacks=[counter],
        net_params={"optimizer": torch.optim.SGD, "optimizer__momentum": 0.5},
    ).fit(digits[0])
    assert isinstance(autoencoder.net_.optimizer_, torch.optim.SGD)
    assert dict(autoencoder.net_.callbacks_)["CountEpochs"].epochs_ == 2
    assert not hasattr(counter, "epochs_"), "the estimator's parameter must not be modified"


def test_divergence_never_leaves_a_model_returning_nan(digits, fast_dense):
    # This learning rate makes the loss non-finite in the first epoch.
    # Starting as PCA, that start is kept, with a warning.
    X = digits[0]
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate_init"):
        autoencoder = fast_dense(learning_rate_init=1e8, max_iter=20).fit(X)
    assert np.isfinite(autoencoder.transform(X)).all()
    assert np.isfinite(autoencoder.inverse_transform(autoencoder.transform(X))).all()
    assert np.isfinite(autoencoder.score_samples(X)).all()
    # From a random start there is nothing worth keeping: an error, not a model.
    with pytest.raises(ValueError, match="diverged.*first epoch.*learning_rate_init"):
        fast_dense(init="random", learning_rate_init=1e8, max_iter=20).fit(X)


def test_divergence_in_the_first_epoch_is_an_error(digits, fast_dense):
    class PoisonWeights(Callback):
        def on_batch_end(self, net, **kwargs):
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))

    with pytest.raises(ValueError, match="diverged.*first epoch.*learning_rate_init"):
        fast_dense(init="random", callbacks=[PoisonWeights()]).fit(digits[0])
    # Starting as PCA, there is a state worth keeping: PCA itself.
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate_init"):
        floored = fast_dense(callbacks=[PoisonWeights()]).fit(digits[0])
    pca = PCA(n_components=4).fit(digits[0])
    assert_allclose(
        floored.inverse_transform(floored.transform(digits[0])),
        pca.inverse_transform(pca.transform(digits[0])),
        atol=1e-9,
    )


def test_divergence_after_good_epochs_keeps_the_best_weights(digits, fast_dense):
    class PoisonAtEpoch(Callback):
        def on_epoch_begin(self, net, **kwargs):
            if len(net.history) == 3:
                with torch.no_grad():
                    next(net.module_.parameters()).fill_(float("nan"))

    X = digits[0]
    with pytest.warns(ConvergenceWarning, match="after 2 epoch"):
        autoencoder = fast_dense(max_iter=5, callbacks=[PoisonAtEpoch()]).fit(X)
    assert autoencoder.n_iter_ == 2
    assert np.isfinite(autoencoder.transform(X)).all()


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), "infinity"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert|dtype"),
        (np.empty((0, 4)), "0 sample"),
        (np.ones((1, 4)), "fit needs at least 2 rows, got n_samples=1"),
        (np.ones(5), "Expected 2D array"),
        (np.ones((3, 4, 2)), "dim 3"),
    ],
)
def test_bad_training_data_gets_a_clear_error(X, message, fast_dense):
    with pytest.raises(ValueError, match=message):
        fast_dense(n_components=1).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 65}, "n_components=65 must be <= the number of features, n_features=64"),
        ({"n_components": 0}, "n_components"),
        ({"n_components": -2}, "n_components"),
        ({"hidden_layer_sizes": (16, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (-3,)}, "hidden_layer_sizes"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_iter": 0}, "max_iter"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"activation": "swish"}, "activation"),
        ({"noise": -1.0}, "noise"),
    ],
)
def test_bad_parameters_get_an_error_naming_them(digits, params, message, fast_dense):
    with pytest.raises(ValueError, match=message):
        fast_dense(**params).fit(digits[0])


def test_wrong_number_of_features_at_transform(fitted, digits):
    with pytest.raises(
        ValueError, match="X has 10 features, but AutoencoderTransformer is expecting 64"
    ):
        fitted.transform(digits[0][:, :10])


def test_wrong_code_width_at_inverse_transform(fitted):
    with pytest.raises(ValueError, match="inverse_transform expects codes of n_components_=4"):
        fitted.inverse_transform(np.zeros((3, 5)))


def test_bad_codes_at_inverse_transform(fitted):
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="Expected 2D array"):
        fitted.inverse_transform(np.zeros(4))


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "score_samples"])
def test_use_before_fit_raises_not_fitted(method, fast_dense):
    with pytest.raises(NotFittedError):
        getattr(fast_dense(), method)(np.zeros((2, 4)))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_cuda_is_a_clear_error(digits, fast_dense):
    with pytest.raises(ValueError, match="device='cuda'.*no CUDA device"):
        fast_dense(device="cuda").fit(digits[0])
