"""Autoencoders as scikit-learn transformers, trained with skorch."""

from sk_autoencoder._dense import AutoencoderTransformer

__all__ = ["AutoencoderTransformer"]
__version__ = "0.1.0"
