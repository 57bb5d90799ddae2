"""PCA is the floor: the autoencoders start as PCA and never end worse on held-out rows."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.preprocessing import StandardScaler

import sk_autoencoder._base
from sk_autoencoder import AutoencoderTransformer, VariationalAutoencoderTransformer
from sk_autoencoder._floor import MIN_JUDGED_ROWS, PCAFloorMixin
from sk_autoencoder._held_out import n_held_out, validation_split
from tests._helpers import UNTRAINED, reconstruction, reconstruction_error, squared_error


@pytest.fixture(scope="module")
def digits(training_digits, held_out_digits):
    """Training rows and held-out rows, without their labels."""
    return training_digits[0], held_out_digits[0]


def pca_error(X_train, X_test, n_components):
    return reconstruction_error(PCA(n_components=n_components).fit(X_train), X_test)


@pytest.mark.parametrize("make", ["fast_dense", "fast_conv"], ids=["dense", "conv"])
@pytest.mark.parametrize("ordered", [False, True])
def test_reconstruction_equals_pca_before_training_to_float64_precision(
    digits, make, ordered, request
):
    X_train, X_test = digits
    autoencoder = request.getfixturevalue(make)(ordered=ordered, **UNTRAINED).fit(X_train)
    pca = PCA(n_components=4).fit(X_train)
    # The PCA part is kept in float64: the match is PCA's own precision.
    assert_allclose(reconstruction(autoencoder, X_test), reconstruction(pca, X_test), atol=1e-9)


def test_reconstruction_equals_pca_before_training_in_float32(digits, fast_dense):
    X_train, X_test = (X.astype(np.float32) for X in digits)
    autoencoder = fast_dense(**UNTRAINED).fit(X_train)
    pca = PCA(n_components=4).fit(X_train)
    assert_allclose(reconstruction(autoencoder, X_test), reconstruction(pca, X_test), atol=1e-3)


def test_codes_start_as_pca_codes_in_scaled_units(digits, fast_dense):
    X_train, X_test = digits
    autoencoder = fast_dense(**UNTRAINED).fit(X_train)
    pca = PCA(n_components=4).fit(X_train)
    assert_allclose(
        autoencoder.transform(X_test) * autoencoder.scale_, pca.transform(X_test), atol=1e-9
    )


def test_code_units_beyond_pca_rank_start_unused(fast_dense):
    # Four samples have at most three principal components; the other code
    # units start unused, and the reconstruction is still PCA's (exact here).
    X = np.random.RandomState(0).normal(size=(4, 6))
    autoencoder = fast_dense(n_components=5, **UNTRAINED).fit(X)
    assert_allclose(reconstruction(autoencoder, X), X, atol=1e-9)


def test_unit_interval_data_start_as_pca_clipped_to_the_interval(digits, fast_dense):
    X_train, X_test = (X / 16.0 for X in digits)
    autoencoder = fast_dense(**UNTRAINED).fit(X_train)
    assert autoencoder.loss_ == "bce"
    pca = PCA(n_components=4).fit(X_train)
    clipped = np.clip(reconstruction(pca, X_test), 0.0, 1.0)
    assert_allclose(reconstruction(autoencoder, X_test), clipped, atol=1e-9)
    # Clipping to the data's range can only bring a reconstruction closer.
    assert squared_error(X_test, clipped) <= reconstruction_error(pca, X_test)


def test_a_network_that_loses_to_pca_falls_back_to_pca(digits, fast_dense):
    X_train, X_test = digits[0][:300], digits[1]
    # A learning rate this large wrecks the network: alone, it loses to PCA.
    wild = dict(learning_rate_init=0.3, max_iter=5)
    alone = fast_dense(init="random", **wild).fit(X_train)
    pca = pca_error(X_train, X_test, 4)
    assert reconstruction_error(alone, X_test) > 1.5 * pca
    floored = fast_dense(**wild).fit(X_train)
    assert_allclose(reconstruction_error(floored, X_test), pca, rtol=1e-9)
    assert floored.validation_error_ == floored.pca_validation_error_


def test_a_network_that_beats_pca_is_kept_and_says_by_how_much(digits, fast_dense):
    X_train, X_test = digits
    autoencoder = fast_dense(hidden_layer_sizes=(64,), max_iter=30).fit(X_train)
    assert autoencoder.validation_error_ < 0.9 * autoencoder.pca_validation_error_
    # Enough held-out rows in one fold: the decision needs no refit.
    assert autoencoder.n_judged_rows_ == n_held_out(len(X_train), 0.1) >= MIN_JUDGED_ROWS
    error = reconstruction_error(autoencoder, X_test)
    assert error < 0.9 * pca_error(X_train, X_test, 4)


@pytest.mark.parametrize("variant", [{"noise": 0.5}, {"sparsity": 1.0}, {"contraction": 1.0}])
def test_regularised_variants_are_never_worse_than_pca(digits, variant, fast_dense):
    X_train, X_test = digits
    autoencoder = fast_dense(max_iter=10, **variant).fit(X_train)
    assert autoencoder.validation_error_ <= autoencoder.pca_validation_error_
    error = reconstruction_error(autoencoder, X_test)
    assert error <= 1.02 * pca_error(X_train, X_test, 4)


@pytest.mark.parametrize("factor", [1e-30, 1e-10, 1.0, 1e10, 1e30])
def test_the_floor_scales_with_the_data(factor, fast_dense):
    rng = np.random.RandomState(0)
    X = rng.rand(400, 10) * factor
    X_train, X_test = X[:300], X[300:]
    autoencoder = fast_dense(n_components=3, max_iter=10).fit(X_train)
    ratio = reconstruction_error(autoencoder, X_test) / pca_error(X_train, X_test, 3)
    assert ratio <= 1.02


def test_float64_keeps_pca_accuracy_where_pca_is_nearly_exact(fast_dense):
    # Rank-2 data with a large offset and tiny noise: PCA's R^2 is 1 - 1e-12.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2)) @ rng.normal(size=(2, 8)) * 1e3 + 1e6
    X += 1e-3 * rng.normal(size=X.shape)
    X_train, X_test = X[:300], X[300:]
    autoencoder = fast_dense(n_components=2, max_iter=10).fit(X_train)
    error = reconstruction_error(autoencoder, X_test)
    assert error <= 1.02 * pca_error(X_train, X_test, 2)


def test_partial_fit_stream_is_no_worse_than_incremental_pca(digits, fast_dense):
    X_train, X_test = digits
    chunks = np.array_split(X_train, 6)
    autoencoder = fast_dense(hidden_layer_sizes=(32,))
    incremental_pca = IncrementalPCA(n_components=4)
    for chunk in chunks:
        incremental_pca.partial_fit(chunk)
    for _ in range(3):
        for chunk in chunks:
            autoencoder.partial_fit(chunk)
    error = reconstruction_error(autoencoder, X_test)
    assert error <= 1.02 * reconstruction_error(incremental_pca, X_test)
    assert autoencoder.validation_error_ <= autoencoder.pca_validation_error_
    # A stream is not refitted: each step judges on its chunk's held-out rows.
    assert autoencoder.n_judged_rows_ == n_held_out(len(chunks[-1]), 0.1)


def test_a_chunk_of_one_row_trains_and_leaves_the_decision_as_it_was(digits, fast_dense):
    # A chunk of one row (the remainder of a stream cut into chunks) holds no
    # row out: it trains one pass and the last judged step's decision stands;
    # before any judged step, that is PCA.
    X_train, _ = digits
    autoencoder = fast_dense(hidden_layer_sizes=(32,))
    autoencoder.partial_fit(X_train[:1])
    assert not autoencoder.network_kept_
    assert autoencoder.n_judged_rows_ == 0
    autoencoder.partial_fit(X_train[1:300])
    kept, judged = autoencoder.network_kept_, autoencoder.n_judged_rows_
    assert judged == n_held_out(299, 0.1)
    autoencoder.partial_fit(X_train[300:301])
    assert (autoencoder.network_kept_, autoencoder.n_judged_rows_) == (kept, judged)
    assert autoencoder.n_iter_ == 3
    assert np.isfinite(autoencoder.transform(X_train[:20])).all()


def test_random_init_keeps_the_unguarded_network(digits, fast_dense):
    autoencoder = fast_dense(init="random").fit(digits[0] / 16.0)
    assert autoencoder.loss_ == "bce"
    assert not hasattr(autoencoder, "pca_validation_error_")


def test_ordered_code_starts_with_pca_spectrum(digits, fast_dense):
    X_train, _ = digits
    autoencoder = fast_dense(n_components=16, ordered=True, **UNTRAINED).fit(X_train)
    pca = PCA(n_components=16).fit(X_train)
    # Measured on the training data, as PCA's ratio is.
    ratios = autoencoder.explained_variance_ratio_
    assert_allclose(ratios, pca.explained_variance_ratio_, rtol=1e-2)
    assert (np.diff(ratios) <= 0).all()


def test_n_components_none_keeps_every_feature_as_pca_does(digits, fast_dense):
    X_train, X_test = digits
    X_train, X_test = X_train[:, :12], X_test[:, :12]
    autoencoder = fast_dense(n_components=None).fit(X_train)
    assert autoencoder.n_components_ == 12
    assert autoencoder.transform(X_test).shape == (len(X_test), 12)
    assert reconstruction_error(autoencoder, X_test) < 1e-12


@pytest.mark.parametrize(
    "attribute, hint",
    [
        ("components_", "inverse_transform"),
        ("explained_variance_ratio_", "ordered=True"),
        ("explained_variance_", "ordered=True"),
        ("noise_variance_", "VariationalAutoencoderTransformer"),
        ("get_covariance", "score_samples"),
        ("get_precision", "score_samples"),
    ],
)
def test_missing_pca_attributes_say_what_to_use_instead(digits, attribute, hint, fast_dense):
    autoencoder = fast_dense(max_iter=1).fit(digits[0])
    with pytest.raises(AttributeError, match=f"has no attribute '{attribute}'.*{hint}"):
        getattr(autoencoder, attribute)


@pytest.fixture(scope="module")
def diabetes():
    X, _ = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:330], X[330:]


def test_variational_starts_as_probabilistic_pca(diabetes):
    X_train, X_test = diabetes
    vae = VariationalAutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16,), random_state=0, **UNTRAINED
    ).fit(X_train)
    pca = PCA(n_components=3).fit(X_train)
    # With PPCA's exact posterior the ELBO is PPCA's log-likelihood, and the
    # draws' exact second moments compute it without sampling error.
    assert_allclose(vae.score(X_test), pca.score(X_test), rtol=1e-6)


def test_variational_is_never_below_probabilistic_pca(diabetes):
    X_train, X_test = diabetes
    vae = VariationalAutoencoderTransformer(n_components=3, max_iter=20, random_state=0)
    vae.fit(X_train)
    pca_score = PCA(n_components=3).fit(X_train).score(X_test)
    assert vae.score(X_test) >= pca_score - 0.01 * abs(pca_score)
    assert vae.validation_error_ <= vae.pca_validation_error_


@pytest.fixture(scope="module")
def parabola():
    """80 rows near a parabola in 3-D: one factor, which a 1-unit code captures and PCA misses."""
    rng = np.random.RandomState(0)
    t = rng.uniform(-1, 1, size=80)
    return np.c_[t, t**2, 0.05 * rng.normal(size=80)]


def small_table_autoencoder():
    return AutoencoderTransformer(
        n_components=1, hidden_layer_sizes=(16,), max_iter=100, random_state=0, device="cpu"
    )


def test_folds_of_held_out_rows_are_disjoint_and_the_first_is_the_usual_split():
    folds = [validation_split(60, 0.1, seed=7, fold=fold) for fold in range(10)]
    held_out = np.concatenate([fold[1] for fold in folds])
    assert_allclose(np.sort(held_out), np.arange(60))
    for training, fold_rows in folds:
        assert len(fold_rows) == 6
        assert_allclose(np.sort(np.r_[training, fold_rows]), np.arange(60))
    order = np.random.RandomState(7).permutation(60)
    assert_allclose(folds[0][1], np.sort(order[:6]))


def test_a_small_table_judges_the_floor_on_refits_over_other_folds(parabola, monkeypatch):
    # 60 rows hold out 6: the network is trained again from the same start
    # (the same seed) with each of the other nine folds of 6 held out.
    splits = []

    def recorded_split(n_samples, validation_fraction, seed, fold=0):
        splits.append((seed, fold))
        return validation_split(n_samples, validation_fraction, seed, fold)

    monkeypatch.setattr(sk_autoencoder._base, "validation_split", recorded_split)
    X_train, X_test = parabola[:60], parabola[60:]
    autoencoder = small_table_autoencoder().fit(X_train)
    assert splits == [(autoencoder._seed, fold) for fold in range(10)]
    assert autoencoder.n_judged_rows_ == 60
    # The parabola's gain holds on every fold, and on new rows.
    assert autoencoder.network_kept_
    assert reconstruction_error(autoencoder, X_test) < 0.5 * pca_error(X_train, X_test, 1)


def test_refits_that_lose_on_their_folds_send_a_small_table_back_to_pca(parabola, monkeypatch):
    # The network wins on its own six held-out rows; networks trained as it
    # was that lose on the other 54 outvote them.
    def losing_refits(self, call):
        yield np.full(54, -1e3), np.zeros(54)

    monkeypatch.setattr(PCAFloorMixin, "_judged_on_other_folds", losing_refits)
    X_train, X_test = parabola[:60], parabola[60:]
    autoencoder = small_table_autoencoder().fit(X_train)
    assert not autoencoder.network_kept_
    assert autoencoder.n_judged_rows_ == 60
    pca = PCA(n_components=1).fit(X_train)
    assert_allclose(reconstruction(autoencoder, X_test), reconstruction(pca, X_test), atol=1e-9)


def test_refits_measure_nothing_after_training(parabola, monkeypatch):
    # A refit is scored and thrown away: the anomaly statistics and the other
    # parts' measurements after training are taken once, for the fit itself.
    calls = []
    after_training = AutoencoderTransformer._after_training

    def recorded_after_training(self, call):
        calls.append(call.held_out_fold)
        after_training(self, call)

    monkeypatch.setattr(AutoencoderTransformer, "_after_training", recorded_after_training)
    autoencoder = small_table_autoencoder().fit(parabola[:60])
    assert autoencoder.n_judged_rows_ == 60
    assert calls == [0]
    assert np.isfinite(autoencoder.score_samples(parabola[60:])).all()


def test_refits_run_without_the_users_callbacks(parabola):
    # A refit only judges the decision: a callback that logs or saves sees the
    # fit alone. Copies of the callback would share this class's list.
    from skorch.callbacks import Callback

    class LogTrainings(Callback):
        log = []

        def on_train_begin(self, net, **kwargs):
            self.log.append(len(net.history))

    autoencoder = small_table_autoencoder().set_params(callbacks=[LogTrainings()])
    autoencoder.fit(parabola[:60])
    assert autoencoder.n_judged_rows_ == 60
    assert LogTrainings.log == [0]
