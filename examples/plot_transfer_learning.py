"""
Transfer learning: a pretrained encoder, frozen, on a few new digits
=====================================================================

An autoencoder can reuse layers trained on other data. Here a convolutional
encoder and decoder (plain ``torch.nn.Module`` classes) are pretrained on
MNIST's digits 0 to 4; the encoder is then kept frozen in a
:class:`~sk_autoencoder.CustomAutoencoderTransformer` fitted on only 500
images of digits 5 to 9, and its decoder is fine-tuned. It is compared with
the same network trained from scratch on the 500 images and with PCA fitted
on them, on held-out images of digits 5 to 9.

The networks, the split and the three estimators come from
``benchmarks/transfer.py``, whose committed results the user guide shows
(:ref:`custom_networks`).
"""

# %%
# The networks: any torch modules
# -------------------------------
# ``ConvDigitEncoder`` maps a 28 x 28 image through two stride-2 convolutions
# to a code; ``ConvDigitDecoder`` mirrors it with transposed convolutions.
# Both take ``n_components``, which the estimator passes to their
# constructors; the estimator's ``input_shape=(1, 28, 28)`` gives the encoder
# images instead of flat rows. Small local filters, strokes and their ends,
# are what digits 0 to 4 can teach about digits 5 to 9.
import inspect

import matplotlib.pyplot as plt
import numpy as np
from _common import QUICK, epochs, plot_image_rows, save_figure
from sklearn.decomposition import PCA

from benchmarks.transfer import (
    PRETRAINING_EPOCHS,
    SMALL_EPOCHS,
    ConvDigitEncoder,
    digit_splits,
    held_out_error,
    pretraining_autoencoder,
    reconstruction,
    scratch_autoencoder,
    transfer_autoencoder,
)
from benchmarks.transfer import (
    QUICK as QUICK_SIZES,
)

print(inspect.getsource(ConvDigitEncoder))

# %%
# Pretrain on digits 0 to 4, reuse on 500 images of 5 to 9
# --------------------------------------------------------
# The trained encoder (``encoder_``) and decoder go into a new estimator as
# instances; ``frozen=["encoder"]`` keeps every encoder weight fixed. With the
# default ``init="pca"``, the new estimator still starts as the PCA of the
# 500 new images, and the frozen encoder's features enter its code through a
# trainable layer that starts at zero: PCA stays the floor.
sizes = (
    {key: QUICK_SIZES[key] for key in ("n_small", "n_pretraining", "n_test")}
    if QUICK
    else {}
)
X_pretraining, X_small, X_test = digit_splits(**sizes)
n_components = 8
pretrained = pretraining_autoencoder(
    n_components, seed=0, max_iter=epochs(PRETRAINING_EPOCHS), network="conv"
)
pretrained.fit(X_pretraining)
transfer = transfer_autoencoder(pretrained, seed=0, max_iter=epochs(SMALL_EPOCHS)).fit(
    X_small
)
scratch = scratch_autoencoder(
    n_components, seed=0, max_iter=epochs(SMALL_EPOCHS), network="conv"
).fit(X_small)
pca = PCA(n_components).fit(X_small)
print(transfer)

# %%
# Held-out error on digits 5 to 9
# -------------------------------
methods = {
    "frozen pretrained encoder": transfer,
    "same network from scratch": scratch,
    "PCA": pca,
}
reconstructions = {
    name: reconstruction(method, X_test) for name, method in methods.items()
}
errors = {
    name: held_out_error(X_test, X_hat) for name, X_hat in reconstructions.items()
}
for name, error in errors.items():
    print(f"{name}: {error:.2f} per image")

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(errors), list(errors.values()), color=["C0", "C1", "C2"])
ax.invert_yaxis()
ax.set_xlabel("held-out squared error per image (digits 5 to 9)")
ax.set_title(f"{len(X_small)} training images, code of {n_components}")
fig.tight_layout()
save_figure(fig, "transfer_learning_errors.png")

# %%
# Reconstructions of held-out digits
# ----------------------------------
# Every layer's representation is there too: ``layer_outputs`` gives the
# frozen encoder's feature maps, here 32 maps of 7 x 7 pixels per image.
hidden = transfer.layer_outputs(X_test[:5], layers=["encoder.features.3"])[
    "encoder.features.3"
]
print("feature maps of the frozen encoder:", hidden.shape)
shown = np.arange(8)
fig = plot_image_rows(
    [X_test[shown], *(X_hat[shown] for X_hat in reconstructions.values())],
    ["held out", *methods],
    title="Digits 5 to 9, none seen in pretraining",
)
save_figure(fig, "transfer_learning_reconstructions.png")
