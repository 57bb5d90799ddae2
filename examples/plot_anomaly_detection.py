"""
Anomaly detection with ``score_samples``
========================================

An autoencoder reconstructs well what looks like its training data, and badly the
rest, and it encodes the rest away from the training rows' codes. Its
:meth:`~sk_autoencoder.AutoencoderTransformer.score_samples` weighs both: the
log-density of where a row's code falls among the training codes and of how far
the row lies from its reconstruction (the user guide's "Anomaly detection" page),
so a low score flags an anomaly. The VAE scores the same way; its ELBO is its
``score``.

Here the models are fitted on MNIST without any 7, and asked to tell held-out
digits of the other classes (normal) from held-out 7s (anomalies). The ROC AUC
measures how well the scores rank the 7s below the rest; PCA's reconstruction error
with the same code size is the baseline.
"""

# %%
# Fit on every digit but one
# --------------------------
import matplotlib.pyplot as plt
import numpy as np
from _common import epochs, load_mnist, save_figure
from sklearn.decomposition import PCA
from sklearn.metrics import RocCurveDisplay, roc_auc_score

from sk_autoencoder import AutoencoderTransformer, VariationalAutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist()
anomalous_digit = 7
X_normal = X_train[y_train != anomalous_digit]
is_anomaly = y_test == anomalous_digit

n_components = 16
pca = PCA(n_components=n_components, random_state=0).fit(X_normal)
autoencoder = AutoencoderTransformer(
    n_components=n_components, max_iter=epochs(40), random_state=0
).fit(X_normal)
vae = VariationalAutoencoderTransformer(
    n_components=n_components, max_iter=epochs(40), random_state=0
).fit(X_normal)


# %%
# Score the held-out digits
# -------------------------
# PCA's reconstruction error is the baseline, what an autoencoder's reconstruction
# error was compared with; PCA's own ``score_samples`` is a Gaussian likelihood.
def pca_score_samples(X):
    X_reconstructed = pca.inverse_transform(pca.transform(X))
    return -np.sum((X - X_reconstructed) ** 2, axis=1)


scores = {
    "PCA reconstruction": pca_score_samples(X_test),
    "autoencoder": autoencoder.score_samples(X_test),
    "VAE": vae.score_samples(X_test),
}
# A low score means an anomaly, so the anomaly score is its negative.
aucs = {name: roc_auc_score(is_anomaly, -score) for name, score in scores.items()}
for name, auc in aucs.items():
    print(f"ROC AUC, {name}: {auc:.3f}")

# %%
# ROC curves
# ----------
fig, ax = plt.subplots(figsize=(5, 5))
for name, score in scores.items():
    RocCurveDisplay.from_predictions(is_anomaly, -score, name=name, ax=ax)
ax.plot([0, 1], [0, 1], "k:", label="chance")
ax.set_title(f"Detecting unseen {anomalous_digit}s among MNIST digits")
ax.legend(loc="lower right")
save_figure(fig, "anomaly_detection.png")

# %%
# A 7 shares much of its shape with the 1s and 9s the models did see, so every
# score ranks it only moderately well above chance: this is a hard anomaly, not a
# blank image or noise. The scores fit in any scikit-learn tool that takes a
# decision function, such as a threshold chosen on validation data;
# :class:`~sk_autoencoder.AutoencoderOutlierDetector` sets one and gives ``predict``.
