"""
Sparse autoencoder: fewer active code units
===========================================

The Keras tutorial's sparse autoencoder adds an L1 penalty on the code, so that each
image is described by a few large code values rather than many middling ones. Here
that penalty is the ``sparsity`` parameter of
:class:`~sk_autoencoder.AutoencoderTransformer`. Two vanilla autoencoders with a
32-number code are fitted on MNIST, without and with it, and the mean absolute
activation of each code unit is compared on held-out digits.
"""

# %%
# Fit with and without the L1 penalty
# -----------------------------------
# A unit counts as active on an image when its value is above a tenth of the
# largest absolute code value of that model: a threshold that does not depend on
# the scale of the code, which the penalty changes.
import matplotlib.pyplot as plt
import numpy as np
from _common import epochs, load_mnist, save_figure

from sk_autoencoder import AutoencoderTransformer

X_train, X_test, y_train, y_test = load_mnist()
sparsities = {"sparsity=0 (plain)": 0.0, "sparsity=0.01": 0.01}
codes = {}
for name, sparsity in sparsities.items():
    autoencoder = AutoencoderTransformer(
        n_components=32,
        hidden_layer_sizes=(),
        sparsity=sparsity,
        max_iter=epochs(30),
        random_state=0,
    ).fit(X_train)
    codes[name] = autoencoder.transform(X_test)
    error = -autoencoder.score(X_test)
    magnitudes = np.abs(codes[name])
    active = np.mean(magnitudes > 0.1 * magnitudes.max(), axis=1).mean()
    print(
        f"{name}: mean |code| {magnitudes.mean():.3f}, "
        f"{active:.0%} of units active per image, test error {error:.1f}"
    )

# %%
# Mean absolute activation of each code unit
# ------------------------------------------
# Units sorted from most to least active.
fig, ax = plt.subplots(figsize=(6, 4))
for name, code in codes.items():
    mean_activation = np.sort(np.abs(code).mean(axis=0))[::-1]
    ax.bar(np.arange(len(mean_activation)), mean_activation, alpha=0.6, label=name)
ax.set_xlabel("code unit (sorted by mean activation)")
ax.set_ylabel("mean |code value| on test digits")
ax.set_title("Sparse autoencoder: mean code activation")
ax.legend()
save_figure(fig, "sparse.png")

# %%
# The penalty shrinks every unit and leaves fewer of them active on each image, at
# some cost in reconstruction error, printed above. Its weight trades one for the
# other; :ref:`sphx_glr_auto_examples_plot_grid_search.py` shows how to let a grid
# search choose such a weight.
