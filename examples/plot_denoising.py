"""
Denoising convolutional autoencoder
===================================

The Keras tutorial's denoising autoencoder: a convolutional network learns to map
noisy digits to clean ones. With ``noise`` set,
:class:`~sk_autoencoder.ConvAutoencoderTransformer` adds Gaussian noise to its
inputs during training while its target stays clean; at test time it is given
digits corrupted with noise it has never seen.
"""

# %%
# Train on clean digits, corrupting them on the fly
# -------------------------------------------------
# Convolutions cost more than dense layers, so a subset of the training set is
# used. The estimator takes flat rows of 784 pixels, like any transformer;
# ``image_shape`` says how each row folds into a 28 x 28 image.
import numpy as np
from _common import epochs, load_mnist, plot_image_rows, save_figure

from sk_autoencoder import ConvAutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist(n_train=5000)
denoiser = ConvAutoencoderTransformer(
    n_components=64,
    image_shape=(28, 28),
    channels=(32, 64),
    noise=1.5,  # in the scaled units the network sees: about half the pixel range
    max_iter=epochs(25),
    random_state=0,
).fit(X_train)

# %%
# Denoise held-out digits
# -----------------------
# Pixels are corrupted with Gaussian noise of standard deviation 0.5 and clipped
# to [0, 1], as in the tutorial. Denoising is encoding then decoding.
rng = np.random.RandomState(0)
X_noisy = np.clip(X_test + 0.5 * rng.standard_normal(X_test.shape), 0, 1)
X_noisy = X_noisy.astype(np.float32)
X_denoised = denoiser.inverse_transform(denoiser.transform(X_noisy))


def error(X):
    return np.mean(np.sum((X - X_test) ** 2, axis=1))


print(f"Error to the clean digits: noisy {error(X_noisy):.1f}")
print(f"Error to the clean digits: denoised {error(X_denoised):.1f}")

# %%
# Noisy inputs above denoised outputs
# -----------------------------------
shown = [np.flatnonzero(y_test == digit)[0] for digit in np.unique(y_test)]
fig = plot_image_rows(
    [X_test[shown], X_noisy[shown], X_denoised[shown]],
    ["clean", "noisy input", "denoised"],
    title="Denoising with a convolutional autoencoder",
)
save_figure(fig, "denoising.png")

# %%
# The network never saw these digits, nor this noise: it learnt what digits look
# like, and its 64-number code has no room for the noise. The ``noise`` parameter
# is in the units the network sees after the internal scaling
# (:ref:`data_and_losses`), not in pixel units, hence 1.5 for about half the range
# of a pixel.
