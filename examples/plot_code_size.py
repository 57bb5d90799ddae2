"""
Deep vs vanilla autoencoder vs PCA: error against code size
===========================================================

How much does depth buy? A vanilla autoencoder (a single layer each way,
``hidden_layer_sizes=()``) and a deep one are compared with PCA at every code size
from 1 to 32 on held-out MNIST digits.

With ``ordered=True`` an autoencoder is trained so that every prefix of its code is
a good code, as PCA's components are, and
:meth:`~sk_autoencoder.AutoencoderTransformer.error_curve` returns the error of
each prefix: one fit per network gives the whole curve.
"""

# %%
# One fit per method
# ------------------
# Each network learns a 32-number ordered code; PCA keeps 32 components.
import matplotlib.pyplot as plt
import numpy as np
from _common import epochs, load_mnist, save_figure
from sklearn.decomposition import PCA

from sk_autoencoder import AutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist()
max_components = 32

pca = PCA(n_components=max_components, random_state=0).fit(X_train)
networks = {"vanilla autoencoder": (), "deep autoencoder (256, 128)": (256, 128)}
autoencoders = {
    name: AutoencoderTransformer(
        n_components=max_components,
        hidden_layer_sizes=hidden_layer_sizes,
        ordered=True,
        max_iter=epochs(60),
        random_state=0,
    ).fit(X_train)
    for name, hidden_layer_sizes in networks.items()
}


# %%
# Error of every code size
# ------------------------
# PCA's error with ``k`` components is the error of its first ``k`` components;
# ``error_curve`` gives the same for the ordered autoencoders.
def pca_error_curve(pca, X):
    codes = pca.transform(X)
    errors = []
    for k in range(1, pca.n_components_ + 1):
        X_reconstructed = codes[:, :k] @ pca.components_[:k] + pca.mean_
        errors.append(np.mean(np.sum((X - X_reconstructed) ** 2, axis=1)))
    return np.array(errors)


curves = {"PCA": pca_error_curve(pca, X_test)}
curves.update({name: model.error_curve(X_test) for name, model in autoencoders.items()})
for name, errors in curves.items():
    print(f"{name}: error {errors[1]:.1f} with 2 numbers, {errors[-1]:.1f} with 32")

# %%
# The curves
# ----------
fig, ax = plt.subplots(figsize=(6, 4))
code_sizes = np.arange(1, max_components + 1)
for name, errors in curves.items():
    ax.plot(code_sizes, errors, marker=".", label=name)
ax.set_xlabel("code size (number of components)")
ax.set_ylabel("held-out squared error per image")
ax.set_title("MNIST reconstruction error against code size")
ax.legend()
ax.grid(alpha=0.3)
save_figure(fig, "code_size.png")

# %%
# The vanilla autoencoder has no hidden layer: with the squared error it can at best
# find PCA's subspace, so its curve stays close to PCA's. The deep network wins at
# small code sizes, where its nonlinearity matters most. Asking every prefix of the
# code to be good has a price at full width: past about 16 numbers the deep ordered
# code gains little, whereas the unordered deep autoencoder of
# :ref:`sphx_glr_auto_examples_plot_compression.py` reaches a lower error with 32
# numbers.
