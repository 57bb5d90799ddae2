"""Anomaly scores (``score_samples``) and the outlier detector around them."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_autoencoder import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
    load,
    save,
)
from sk_autoencoder._anomaly import COVARIANCE_RIDGE
from sk_autoencoder._base import BaseAutoencoder

FAST = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}


def planted(random_state=0, n_samples=400, n_features=8, n_components=2):
    """Rows near a plane, more of them, and two kinds of anomaly: far along the plane, and off it.

    PCA reconstructs the first kind exactly, so reconstruction error cannot
    see it; only where its code falls among the training codes tells.
    """
    rng = np.random.RandomState(random_state)
    basis = np.linalg.qr(rng.normal(size=(n_features, n_components)))[0].T
    X = rng.normal(size=(2 * n_samples, n_components)) @ basis
    X += 0.05 * rng.normal(size=X.shape)
    directions = rng.normal(size=(10, n_components))
    along = 6.0 * (directions / np.linalg.norm(directions, axis=1, keepdims=True)) @ basis
    normal_to_plane = np.linalg.svd(basis)[2][-1]
    off = X[:10] + 3.0 * normal_to_plane
    return X[:n_samples], X[n_samples:], along, off


def manual_scores(estimator, X_train, X):
    """The documented formula, computed from transform and inverse_transform."""
    codes_train, codes = estimator.transform(X_train), estimator.transform(X)
    covariance = np.atleast_2d(np.cov(codes_train, rowvar=False))
    k = codes.shape[1]
    ridge = COVARIANCE_RIDGE * max(np.mean(np.diag(covariance)), 1.0)
    covariance = covariance + ridge * np.eye(k)
    mean = codes_train.mean(axis=0)

    def distances(Z):
        D = Z - mean
        return np.einsum("ij,jk,ik->i", D, np.linalg.inv(covariance), D)

    def errors(data):
        return np.sum((data - estimator.inverse_transform(estimator.transform(data))) ** 2, axis=1)

    code_median, error_median = np.median(distances(codes_train)), np.median(errors(X_train))
    return -(
        0.5 * (k + 1) * np.log1p(distances(codes) / code_median)
        + np.log1p(errors(X) / error_median)
    )


def test_score_samples_is_the_documented_log_density():
    X, X_more, along, off = planted()
    X_new = np.vstack([X_more[:20], along, off])
    autoencoder = AutoencoderTransformer(n_components=2, **FAST).fit(X)
    assert_allclose(
        autoencoder.score_samples(X_new), manual_scores(autoencoder, X, X_new), rtol=1e-6
    )
    assert np.all(autoencoder.score_samples(X_new) <= 0)


def test_score_samples_flag_anomalies_that_reconstruct_well_and_those_that_do_not():
    X, X_more, along, off = planted()
    X_test = np.vstack([X_more[:200], along, off])
    y_test = np.r_[np.zeros(200), np.ones(20)]
    autoencoder = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(), random_state=0)
    autoencoder.fit(X)
    errors = -BaseAutoencoder.score_samples(autoencoder, X_test)
    # Reconstruction error sees the rows off the plane only.
    assert roc_auc_score(y_test[:200].tolist() + [1] * 10, errors[:210]) < 0.8
    assert roc_auc_score(y_test, -autoencoder.score_samples(X_test)) > 0.99


def test_variational_score_stays_the_mean_elbo():
    X, _ = load_digits(return_X_y=True)
    vae = VariationalAutoencoderTransformer(n_components=4, **FAST).fit(X)
    elbo = BaseAutoencoder.score_samples(vae, X)
    assert_allclose(vae.score(X), elbo.mean(), rtol=1e-10)
    assert not np.allclose(vae.score_samples(X), elbo)
    assert np.all(vae.score_samples(X) <= 0)


def test_truncated_ordered_code_scores_its_prefix():
    X, _ = load_digits(return_X_y=True)
    autoencoder = AutoencoderTransformer(n_components=6, ordered=True, **FAST).fit(X)
    whole_code = autoencoder.score_samples(X[:50])
    autoencoder.truncate(3)
    # Up to the covariance's ridge, which is the whole code's (a millionth of its variance).
    assert_allclose(
        autoencoder.score_samples(X[:50]), manual_scores(autoencoder, X, X[:50]), rtol=1e-4
    )
    assert not np.allclose(autoencoder.score_samples(X[:50]), whole_code, rtol=1e-2)


def test_score_samples_of_a_row_do_not_depend_on_the_other_rows():
    X, _ = load_digits(return_X_y=True)
    autoencoder = AutoencoderTransformer(n_components=4, **FAST).fit(X)
    assert_allclose(autoencoder.score_samples(X[:7]), autoencoder.score_samples(X)[:7], rtol=1e-10)
    assert_allclose(
        autoencoder.score_samples(sp.csr_matrix(X[:50])),
        autoencoder.score_samples(X[:50]),
        rtol=1e-10,
    )


def test_score_samples_survive_save_and_load(tmp_path):
    X, _ = load_digits(return_X_y=True)
    autoencoder = AutoencoderTransformer(n_components=4, **FAST).fit(X)
    path = tmp_path / "model.safetensors"
    save(autoencoder, path)
    assert_array_equal(load(path).score_samples(X), autoencoder.score_samples(X))


# ---------------------------------------------------------------------------
# The outlier detector
# ---------------------------------------------------------------------------


def fast_detector(**params):
    return AutoencoderOutlierDetector(
        AutoencoderTransformer(n_components=1, hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        **params,
    )


@parametrize_with_checks([fast_detector(), fast_detector(contamination=0.1)])
def test_sklearn_compatible_outlier_detector(estimator, check):
    check(estimator)


def test_detector_flags_planted_outliers_and_few_inliers():
    X, inliers, along, off = planted()
    X_train = np.vstack([X, along[:4], off[:4]])
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(n_components=2, hidden_layer_sizes=(), random_state=0)
    ).fit(X_train)
    assert np.mean(detector.predict(inliers) == -1) < 0.1
    assert_array_equal(detector.predict(np.vstack([along[4:], off[4:]])), -1)


def test_contamination_flags_that_share_of_the_training_rows():
    X, _ = load_digits(return_X_y=True)
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(n_components=4, **FAST), contamination=0.2
    ).fit(X)
    assert_allclose(np.mean(detector.predict(X) == -1), 0.2, atol=2 / len(X))


def test_decision_function_is_the_score_less_the_offset_which_one_can_set():
    X, _ = load_digits(return_X_y=True)
    detector = AutoencoderOutlierDetector(AutoencoderTransformer(n_components=4, **FAST)).fit(X)
    scores = detector.score_samples(X)
    assert_allclose(detector.decision_function(X), scores - detector.offset_)
    assert_array_equal(detector.score_samples(X), detector.estimator_.score_samples(X))
    detector.offset_ = np.median(scores)
    assert_array_equal(detector.predict(X), np.where(scores < np.median(scores), -1, 1))


def test_default_detector_uses_a_quarter_of_the_features():
    X, _, _, _ = planted(n_samples=60, n_features=9)
    detector = AutoencoderOutlierDetector().fit(X)
    assert detector.estimator_.n_components == 3


@pytest.mark.parametrize("contamination", [0.0, 0.6, "none"])
def test_detector_rejects_a_bad_contamination(contamination):
    with pytest.raises(InvalidParameterError, match="contamination"):
        fast_detector(contamination=contamination).fit(np.ones((10, 2)))
