"""
2-D maps of MNIST: PCA vs autoencoder vs VAE
============================================

With a code of two numbers, each method draws a map of the digits.
:class:`~sklearn.decomposition.PCA` keeps the two directions of largest variance;
a deep :class:`~sk_autoencoder.AutoencoderTransformer` and a
:class:`~sk_autoencoder.VariationalAutoencoderTransformer` (VAE, whose
``transform`` is the posterior mean) bend the map to keep the digits apart. Each
map shows held-out digits, coloured by their label, which none of the methods saw.
"""

# %%
# Fit three 2-D codes
# -------------------
import matplotlib.pyplot as plt
import numpy as np
from _common import epochs, load_mnist, save_figure
from sklearn.decomposition import PCA

from sk_autoencoder import AutoencoderTransformer, VariationalAutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist()
methods = {
    "PCA": PCA(n_components=2, random_state=0),
    "deep autoencoder": AutoencoderTransformer(
        n_components=2,
        max_iter=epochs(40),
        random_state=0,
    ),
    "variational autoencoder": VariationalAutoencoderTransformer(
        n_components=2,
        max_iter=epochs(40),
        random_state=0,
    ),
}
maps = {name: method.fit(X_train).transform(X_test) for name, method in methods.items()}

# %%
# Plot the maps, coloured by digit
# --------------------------------
fig, axes = plt.subplots(1, 3, figsize=(14, 4.5))
for ax, (name, codes) in zip(axes, maps.items(), strict=True):
    scatter = ax.scatter(
        codes[:, 0],
        codes[:, 1],
        c=y_test,
        cmap="tab10",
        s=4,
        vmin=-0.5,
        vmax=9.5,
    )
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(scatter, ax=axes, ticks=np.arange(10), label="digit")
fig.suptitle("Held-out MNIST digits mapped to two numbers")
save_figure(fig, "2d_maps.png")

# %%
# On PCA's map most digits overlap in one cloud; the networks' maps separate more
# of them, and the VAE's, whose codes are drawn towards a standard normal prior,
# fills its area without holes. The benchmark measures the same thing with the
# trustworthiness of the 2-D maps (:ref:`benchmarks`).
