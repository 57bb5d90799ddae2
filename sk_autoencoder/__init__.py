"""Autoencoders as scikit-learn transformers, trained with skorch."""

from sk_autoencoder._conv import ConvAutoencoderTransformer
from sk_autoencoder._dense import AutoencoderTransformer
from sk_autoencoder._outlier import AutoencoderOutlierDetector
from sk_autoencoder._persistence import load, save
from sk_autoencoder._search import CodeSizeSearchCV
from sk_autoencoder._variational import VariationalAutoencoderTransformer

__all__ = [
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "CodeSizeSearchCV",
    "ConvAutoencoderTransformer",
    "VariationalAutoencoderTransformer",
    "load",
    "save",
]
__version__ = "0.1.0"
