"""The user's own torch encoder and decoder: building them, probing them, freezing their layers.

:class:`~sk_autoencoder.CustomAutoencoderTransformer` takes a
``torch.nn.Module`` class (with its constructor's arguments as a dict) or an
instance (pretrained) for each of its two networks. This module builds them,
checks them on a probe batch before any training (so a network that does not
fit the data fails with an error that names the mismatch, not with a stack
trace from inside torch), and resolves the parameter-name prefixes that
``frozen`` and ``learning_rate_scales`` name.
"""

import copy
import inspect
import math

import torch
from torch import nn

# Rows of the probe batch: two, so that a layer that needs more than one row
# in training (batch normalisation) also runs in evaluation mode.
N_PROBE_ROWS = 2
# The arguments a network class receives from the estimator when its
# constructor names them and its params do not set them.
INFERRED_ARGUMENTS = ("n_features", "n_components")
NETWORK_NAMES = ("encoder", "decoder")


def check_network_spec(network, params, name):
    """Raise a clear error unless ``network`` is an ``nn.Module`` class or instance."""
    is_class = isinstance(network, type) and issubclass(network, nn.Module)
    if not (is_class or isinstance(network, nn.Module)):
        raise TypeError(f"{name} must be a torch.nn.Module class or instance, got {network!r}.")
    if params is not None and not is_class:
        raise ValueError(
            f"{name}_params={params!r} are constructor arguments, but {name} is an "
            f"instance of {type(network).__name__}; pass the class to build it from them."
        )


def constructor_arguments(network, params, name, *, n_features, n_components):
    """The keyword arguments that build the class ``network``: ``params`` and what it asks for.

    A constructor that names ``n_features`` or ``n_components`` gets them from
    the data and the estimator, unless ``params`` sets them, so that one class
    serves data of any width (as scikit-learn's checks fit it).
    """
    arguments = dict(params or {})
    try:
        signature = inspect.signature(network)
    except (TypeError, ValueError):
        return arguments
    inferred = {"n_features": n_features, "n_components": n_components}
    for argument in INFERRED_ARGUMENTS:
        parameter = signature.parameters.get(argument)
        if parameter is None or argument in arguments:
            continue
        if inferred[argument] is None:
            # The constructor's own default, if it has one, decides.
            if parameter.default is inspect.Parameter.empty:
                raise ValueError(
                    f"{name} {network.__name__} takes {argument}, which is not known "
                    f"before the encoder is built: set n_components, or {argument} in "
                    f"{name}_params."
                )
        else:
            arguments[argument] = inferred[argument]
    return arguments


def build_network(network, params, name, *, n_features, n_components):
    """A fresh module from a class, or a copy of an instance (never the user's own object)."""
    if not isinstance(network, type):
        return copy.deepcopy(network)
    arguments = constructor_arguments(
        network, params, name, n_features=n_features, n_components=n_components
    )
    try:
        return network(**arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} {network.__name__} cannot be built with arguments {arguments!r}: {error}"
        ) from None


def network_device(network):
    """Where ``network``'s weights live (the CPU for a network without any)."""
    for tensor in (*network.parameters(), *network.buffers()):
        return tensor.device
    return torch.device("cpu")


class FlatRows(nn.Module):
    """A network on flat rows: reshape each row to ``input_shape`` before it, flatten after.

    The estimators pass rows of ``n_features`` values; an encoder that reads
    images gets them as ``(batch, *input_shape)``, and a decoder's output of
    any shape becomes rows again.

    Parameters
    ----------
    network : nn.Module
        The user's encoder or decoder.
    input_shape : tuple of int or None
        The shape of one input (without the batch axis); None passes rows as they are.
    """

    def __init__(self, network, input_shape=None):
        super().__init__()
        self.network = network
        self.input_shape = None if input_shape is None else tuple(input_shape)

    def forward(self, X):
        if self.input_shape is not None:
            X = X.reshape(X.shape[0], *self.input_shape)
        return self.network(X).flatten(1)


class ZeroGate(nn.Module):
    """An elementwise scale that starts at zero: ``X * weight``.

    After a decoder, it makes the decoder's output start at zero beside a
    fixed affine path (so the network starts as PCA) without zeroing any of
    the decoder's own, possibly pretrained, weights.
    """

    def __init__(self, n_values):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_values))

    def forward(self, X):
        return X * self.weight


def probe_encoder(encoder, *, n_features, n_components, input_shape):
    """Run a probe batch through ``encoder``: the width of its code, or a clear error.

    Parameters
    ----------
    encoder : nn.Module
        A built encoder; it is put back in the mode it was in.
    n_features : int
        Values per row of the data.
    n_components : int or None
        The code width the estimator asks for (None: the encoder's).
    input_shape : tuple of int or None
        Shape of one row as the encoder reads it.

    Returns
    -------
    n_components : int
        Values per row of the encoder's output.
    """
    rows = torch.zeros(N_PROBE_ROWS, n_features)
    shaped = rows if input_shape is None else rows.reshape(N_PROBE_ROWS, *input_shape)
    code = _run(encoder, shaped, "encoder", f"an input of shape {tuple(shaped.shape)}")
    if code.ndim != 2 or code.shape[0] != N_PROBE_ROWS:
        raise ValueError(
            f"The encoder's output has shape {tuple(code.shape)} for a batch of "
            f"{N_PROBE_ROWS} rows; the code must be flat, (batch, n_components): end the "
            "encoder with nn.Flatten() or a linear layer."
        )
    code_width = int(code.shape[1])
    if n_components is not None and code_width != n_components:
        raise ValueError(
            f"The encoder outputs codes of {code_width} values, but n_components="
            f"{n_components}; set n_components={code_width} (or None), or change the encoder."
        )
    return code_width


def probe_decoder(decoder, *, n_features, n_components):
    """Run a probe batch of codes through ``decoder``, or raise a clear error.

    Its output, of any shape, must hold ``n_features`` values per row.
    """
    code = torch.zeros(N_PROBE_ROWS, n_components)
    output = _run(decoder, code, "decoder", f"codes of {n_components} values (the encoder's)")
    n_values = math.prod(output.shape[1:]) if output.ndim >= 1 else 0
    if output.ndim < 2 or output.shape[0] != N_PROBE_ROWS or n_values != n_features:
        raise ValueError(
            f"The decoder's output has shape {tuple(output.shape)} for a batch of "
            f"{N_PROBE_ROWS} codes; it must hold n_features={n_features} values per row "
            "(of any shape, flattened into a row)."
        )


def _run(network, X, name, what):
    """``network(X)`` in evaluation mode without autograd, or a ValueError saying what failed."""
    training = network.training
    network.eval()
    try:
        with torch.no_grad():
            output = network(X.to(network_device(network)))
    except Exception as error:  # noqa: BLE001 - any failure inside the user's module
        raise ValueError(
            f"The {name} {type(network).__name__} does not accept {what}: "
            f"{type(error).__name__}: {error}"
        ) from None
    finally:
        network.train(training)
    if not isinstance(output, torch.Tensor):
        raise ValueError(
            f"The {name} {type(network).__name__} returned {type(output).__name__}, not a "
            "tensor; wrap it in a module that returns one tensor."
        )
    return output


def matching_parameters(networks, prefix, parameter):
    """The names of the parameters of ``networks`` that ``prefix`` names, or a clear error.

    Names are those of ``networks`` (a dict of the user's encoder and
    decoder) as ``named_parameters`` gives them, behind the network's name:
    ``"encoder"`` names all of the encoder's, ``"encoder.0"`` those of its
    first submodule, ``"decoder.fc.weight"`` one tensor.
    """
    names = [
        f"{network_name}.{name}"
        for network_name, network in networks.items()
        for name, _ in network.named_parameters()
    ]
    if not isinstance(prefix, str):
        raise ValueError(f"{parameter} entries must be strings, got {prefix!r}.")
    matched = [name for name in names if name == prefix or name.startswith(prefix + ".")]
    if not matched:
        shown = sorted({name.rsplit(".", 1)[0] for name in names})[:12]
        raise ValueError(
            f"{parameter} names {prefix!r}, which is no parameter of the encoder or "
            f"decoder nor a prefix of one; prefixes start with 'encoder' or 'decoder', "
            f"such as {shown}."
        )
    return matched
