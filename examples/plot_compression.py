"""
Compression and reconstruction on MNIST
=======================================

The first autoencoder of the Keras tutorial: squeeze 784-pixel MNIST digits into a
32-number code and decode them back. ``AutoencoderTransformer`` is used exactly as
PCA would be, so the two can be compared with the same code size on held-out digits.
"""

# %%
# Fit PCA and a deep autoencoder with the same code size
# ------------------------------------------------------
# The default network is deep (hidden layers of 256 and 128 units on each side);
# ``hidden_layer_sizes=()`` would give the tutorial's single-layer autoencoder.
import numpy as np
from _common import epochs, load_mnist, plot_image_rows, save_figure
from sklearn.decomposition import PCA

from sk_autoencoder import AutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist()
n_components = 32

pca = PCA(n_components=n_components, random_state=0).fit(X_train)
autoencoder = AutoencoderTransformer(
    n_components=n_components, max_iter=epochs(60), random_state=0
).fit(X_train)


# %%
# Reconstruct held-out digits
# ---------------------------
# Both methods map a code back to pixels with ``inverse_transform``; the error is
# the squared error per image, summed over pixels.
def reconstruction_error(X, X_reconstructed):
    return np.mean(np.sum((X - X_reconstructed) ** 2, axis=1))


X_pca = pca.inverse_transform(pca.transform(X_test))
X_autoencoder = autoencoder.inverse_transform(autoencoder.transform(X_test))
pca_error = reconstruction_error(X_test, X_pca)
autoencoder_error = reconstruction_error(X_test, X_autoencoder)
print(f"Test error with {n_components} numbers: PCA {pca_error:.2f}, AE {autoencoder_error:.2f}")

# %%
# Originals above their reconstructions
# -------------------------------------
# The first test image of each digit.
shown = [np.flatnonzero(y_test == digit)[0] for digit in np.unique(y_test)]
fig = plot_image_rows(
    [X_test[shown], X_pca[shown], X_autoencoder[shown]],
    ["original", f"PCA\n(error {pca_error:.1f})", f"autoencoder\n(error {autoencoder_error:.1f})"],
    title=f"MNIST reconstructed from {n_components} numbers",
)
save_figure(fig, "compression.png")
