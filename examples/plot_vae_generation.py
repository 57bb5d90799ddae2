"""
Generating digits with a variational autoencoder
================================================

A variational autoencoder (VAE) learns a decoder from a standard normal code to
images, so it can draw new digits:
:meth:`~sk_autoencoder.VariationalAutoencoderTransformer.sample` decodes codes
drawn from the prior. With a 2-D code the whole latent space can also be walked,
as in the Keras tutorial: decoding a grid of codes spaced by the quantiles of the
normal distribution shows how the digits morph into one another.
"""

# %%
# Fit a VAE with a 2-D code
# -------------------------
# ``score`` is the mean ELBO, a lower bound of the log-likelihood per digit.
import matplotlib.pyplot as plt
import numpy as np
from _common import epochs, load_mnist, save_figure
from scipy.stats import norm

from sk_autoencoder import VariationalAutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist()
vae = VariationalAutoencoderTransformer(
    n_components=2,
    max_iter=epochs(60),
    random_state=0,
)
vae.fit(X_train)
print(f"Mean ELBO on held-out digits: {vae.score(X_test):.1f}")


def mosaic(images, n_rows, n_columns, image_size=28):
    """Tile ``n_rows * n_columns`` flattened images into one array."""
    tiles = images.reshape(n_rows, n_columns, image_size, image_size)
    rows_of_tiles = tiles.transpose(0, 2, 1, 3)
    return rows_of_tiles.reshape(n_rows * image_size, n_columns * image_size)


# %%
# Random samples, and a walk across the latent space
# --------------------------------------------------
# ``inverse_transform`` decodes any code, so the walk decodes a regular grid;
# the quantiles keep it where the prior puts its mass.
n_grid = 15
samples = vae.sample(n_samples=10 * 10, random_state=0)
quantiles = norm.ppf(np.linspace(0.05, 0.95, n_grid))
grid_codes = np.array(
    [[x, y] for y in quantiles[::-1] for x in quantiles],
    dtype=np.float32,
)
walk = vae.inverse_transform(grid_codes)

fig, (ax_samples, ax_walk) = plt.subplots(1, 2, figsize=(11, 5.5))
ax_samples.imshow(mosaic(samples, 10, 10), cmap="gray_r", vmin=0, vmax=1)
ax_samples.set_title("100 digits sampled from the VAE")
ax_walk.imshow(
    mosaic(walk, n_grid, n_grid),
    cmap="gray_r",
    vmin=0,
    vmax=1,
    extent=(quantiles[0], quantiles[-1], quantiles[0], quantiles[-1]),
)
ax_walk.set_title("Walk across the 2-D latent space")
ax_walk.set_xlabel("code 1")
ax_walk.set_ylabel("code 2")
ax_samples.set_xticks([])
ax_samples.set_yticks([])
save_figure(fig, "vae_generation.png")

# %%
# Two numbers per digit are few: samples are blurry, and some fall between two
# digits. The walk shows why: neighbouring codes decode to similar images, and
# the digits blend into one another along the way, since the prior leaves no
# holes between them. A larger ``n_components`` gives sharper samples, at the
# cost of a map one cannot draw.
