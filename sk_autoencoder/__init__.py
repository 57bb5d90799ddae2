"""Autoencoders as scikit-learn transformers, trained with skorch."""

from sk_autoencoder._conv import ConvAutoencoderTransformer
from sk_autoencoder._custom import CustomAutoencoderTransformer
from sk_autoencoder._dense import AutoencoderTransformer
from sk_autoencoder._outlier import AutoencoderOutlierDetector
from sk_autoencoder._paired import PairedAutoencoderRegressor
from sk_autoencoder._persistence import load, save
from sk_autoencoder._search import CodeSizeSearchCV
from sk_autoencoder._variational import VariationalAutoencoderTransformer
from sk_autoencoder._version import __version__ as __version__

__all__ = [
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "CodeSizeSearchCV",
    "ConvAutoencoderTransformer",
    "PairedAutoencoderRegressor",
    "CustomAutoencoderTransformer",
    "VariationalAutoencoderTransformer",
    "load",
    "save",
]
