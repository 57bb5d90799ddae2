"""Saving and loading fitted estimators without pickle.

A model file is one safetensors file. Its tensors are the module's weights
(``module.<name>``) and the optimizer's state (``optimizer.<index>.<name>``);
its header metadata holds JSON: the format version, the class name, the
parameters (``get_params``), the fitted attributes and the net's epoch
history. Loading parses JSON and raw numbers only, so a file cannot run code,
unlike a pickle; the estimator is rebuilt by its own class, allowed only if
the package exports it, and every tensor must fit the rebuilt module.
"""

import json
import math
import os
import re
from numbers import Integral, Real

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from sk_autoencoder._base import BaseAutoencoder, resolve_device

FORMAT = "sk_autoencoder"
# Bump when a file written by this version could be misread by an older one.
FORMAT_VERSION = 1

_MODULE_PREFIX = "module."
_OPTIMIZER_PREFIX = "optimizer."
_ARRAY_DTYPES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
}


def save(estimator: BaseAutoencoder, path: str | os.PathLike) -> None:
    """Save a fitted autoencoder to a safetensors file, without pickle.

    The weights and the optimizer's state become tensors; the parameters,
    the fitted attributes and the epoch history become JSON in the file's
    header. :func:`load` rebuilds the estimator from them without running any
    code from the file, so a model file from an untrusted source is as safe to
    load as a CSV file.

    Parameters
    ----------
    estimator : BaseAutoencoder
        A fitted estimator of one of the package's classes.
    path : str or path-like
        File to write, conventionally ending in ``.safetensors``.

    Raises
    ------
    TypeError
        If the estimator's class is not one of the package's estimators, or a
        parameter or fitted attribute is not plain data (numbers, strings,
        lists, tuples, dicts, arrays): for instance ``callbacks`` or a
        ``net_params`` entry holding a class. Set such parameters to plain
        values before saving; they only affect training.

    See Also
    --------
    load : Load an estimator saved by this function.

    Notes
    -----
    Training can go on after loading (``partial_fit``) exactly as it would
    have gone on without saving: the optimizer's state, the seed and the
    epoch count are saved too. The per-batch entries of the net's history are
    not.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import AutoencoderTransformer, load, save
    >>> X, _ = load_digits(return_X_y=True)
    >>> autoencoder = AutoencoderTransformer(
    ...     n_components=4, hidden_layer_sizes=(16,), max_iter=2, random_state=0
    ... ).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "autoencoder.safetensors")
    ...     save(autoencoder, path)
    ...     loaded = load(path)
    >>> bool(np.array_equal(loaded.transform(X), autoencoder.transform(X)))
    True
    """
    import sk_autoencoder

    name = type(estimator).__name__
    if _estimator_classes().get(name) is not type(estimator):
        raise TypeError(
            f"save supports the estimators of sk_autoencoder "
            f"({', '.join(sorted(_estimator_classes()))}), got {type(estimator).__qualname__}."
        )
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    attributes = {
        key: value for key, value in vars(estimator).items() if key not in params and key != "net_"
    }
    config = {
        "class": name,
        "params": {key: _encode(value, f"parameter {key}") for key, value in params.items()},
        "attributes": {
            key: _encode(value, f"attribute {key}") for key, value in attributes.items()
        },
    }
    net = estimator.net_
    tensors = {
        _MODULE_PREFIX + key: _to_cpu(tensor) for key, tensor in net.module_.state_dict().items()
    }
    optimizer_state = net.optimizer_.state_dict()
    per_parameter_state = {}
    for index, state in optimizer_state["state"].items():
        per_parameter_state[str(index)] = {}
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{_OPTIMIZER_PREFIX}{index}.{key}"] = _to_cpu(value)
            else:
                per_parameter_state[str(index)][key] = value
    config["net"] = {
        "batch_size": int(net.batch_size),
        # Per-batch entries would make the header grow with the data; the
        # epoch rows are what later training and users read.
        "history": _encode([_epoch_row(row) for row in net.history], "history"),
    }
    config["optimizer"] = {
        "param_groups": _encode(optimizer_state["param_groups"], "optimizer state"),
        "state": _encode(per_parameter_state, "optimizer state"),
    }
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "sk_autoencoder_version": sk_autoencoder.__version__,
        "config": json.dumps(config),
    }
    save_file(tensors, path, metadata=metadata)


def load(path: str | os.PathLike, *, device: str = "auto") -> BaseAutoencoder:
    """Load an estimator saved by :func:`save`, without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save`.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the loaded model runs. "auto" follows the estimator's own
        ``device`` parameter on this machine, and takes the CPU where that
        asks for CUDA and none is present, so a model trained on a GPU loads
        on a laptop.

    Returns
    -------
    estimator : BaseAutoencoder
        The fitted estimator; its outputs equal the saved estimator's on the
        same device.

    Raises
    ------
    ValueError
        If the file is not a model file (a pickle, say), was tampered with
        (unknown class, invalid parameters, tensors that do not fit the
        model), or was written in a newer format than this version reads.

    See Also
    --------
    save : Save a fitted estimator.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import AutoencoderTransformer, load, save
    >>> X, _ = load_digits(return_X_y=True)
    >>> autoencoder = AutoencoderTransformer(
    ...     n_components=2, hidden_layer_sizes=(), max_iter=2, random_state=0
    ... ).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "autoencoder.safetensors")
    ...     save(autoencoder, path)
    ...     loaded = load(path, device="cpu")
    >>> loaded.transform(X[:3]).shape
    (3, 2)
    """
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    try:
        with safe_open(path, framework="pt", device="cpu") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except SafetensorError as error:
        raise ValueError(
            f"Cannot load {os.fspath(path)!r}: it is not a safetensors model file "
            f"written by sk_autoencoder.save ({error})."
        ) from error
    try:
        return _rebuild(metadata, tensors, device)
    except _CorruptFile as error:
        raise ValueError(f"Cannot load {os.fspath(path)!r}: {error}") from None


class _CorruptFile(Exception):
    """A model file that cannot be what :func:`save` wrote."""


def _estimator_classes():
    """The classes :func:`load` may build: the estimators the package exports."""
    import sk_autoencoder

    classes = {name: getattr(sk_autoencoder, name) for name in sk_autoencoder.__all__}
    return {
        name: cls
        for name, cls in classes.items()
        if isinstance(cls, type) and issubclass(cls, BaseAutoencoder)
    }


def _to_cpu(tensor):
    # A copy, so that tensors sharing storage (which safetensors refuses)
    # never reach the file, and CUDA tensors load on machines without CUDA.
    return tensor.detach().to("cpu", copy=True).contiguous()


def _epoch_row(row):
    return {
        key: value
        for key, value in row.items()
        if value is None or isinstance(value, (bool, np.bool_, Real))
    }


def _encode(value, where):
    """``value`` as JSON; non-JSON types become objects tagged ``__type__``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, list):
        return [_encode(item, where) for item in value]
    if isinstance(value, tuple):
        return {"__type__": "tuple", "items": [_encode(item, where) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__type__": "dict", "items": {k: _encode(v, where) for k, v in value.items()}}
    if isinstance(value, torch.device):
        return {"__type__": "device", "value": str(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.name in _ARRAY_DTYPES:
            dtype = value.dtype.name
        elif value.dtype.kind in "OU" and all(isinstance(item, str) for item in value.flat):
            dtype = "object" if value.dtype.kind == "O" else "str"
        else:
            dtype = None
        if dtype is not None:
            return {
                "__type__": "ndarray",
                "dtype": dtype,
                "shape": list(value.shape),
                "data": [_encode(item, where) for item in value.ravel().tolist()],
            }
    raise TypeError(
        f"Cannot save {where}={value!r}: only numbers, strings, lists, tuples, dicts "
        "with string keys and arrays of numbers or strings can be saved without "
        "pickle. Set it to such a value (or None) before saving."
    )


def _decode(value, where):
    """The inverse of :func:`_encode`, accepting only what it can produce."""
    if value is None or isinstance(value, (bool, Integral, Real, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, where) for item in value]
    kind = value.get("__type__") if isinstance(value, dict) else None
    if kind == "tuple" and isinstance(value.get("items"), list):
        return tuple(_decode(item, where) for item in value["items"])
    if kind == "dict" and isinstance(value.get("items"), dict):
        return {key: _decode(item, where) for key, item in value["items"].items()}
    if kind == "device" and re.fullmatch(r"cpu|cuda(:[0-9]{1,3})?", str(value.get("value"))):
        return torch.device(value["value"])
    if kind == "ndarray":
        return _decode_array(value, where)
    raise _CorruptFile(f"{where} holds an unsupported value {_shorten(value)}.")


def _decode_array(value, where):
    dtype, shape, data = value.get("dtype"), value.get("shape"), value.get("data")
    valid_shape = isinstance(shape, list) and all(
        isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape
    )
    if not (valid_shape and isinstance(data, list) and len(data) == math.prod(shape)):
        raise _CorruptFile(f"{where} is an array whose shape does not match its data.")
    if dtype in ("object", "str"):
        item_types = (str,)
    elif dtype in _ARRAY_DTYPES:
        item_types = (bool, int, float)
    else:
        raise _CorruptFile(f"{where} is an array of unsupported dtype {_shorten(dtype)}.")
    if not all(isinstance(item, item_types) for item in data):
        raise _CorruptFile(f"{where} is a {dtype} array holding values of another type.")
    try:
        return np.array(data, dtype=dtype if dtype != "str" else str).reshape(shape)
    except (ValueError, OverflowError) as error:
        raise _CorruptFile(f"{where} is not a valid {dtype} array ({error}).") from None


def _shorten(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _rebuild(metadata, tensors, device):
    """The fitted estimator described by a file's metadata and tensors."""
    if metadata.get("format") != FORMAT:
        raise _CorruptFile("it is not an sk_autoencoder model file (no format marker).")
    version = metadata.get("format_version", "")
    if not re.fullmatch(r"[0-9]{1,9}", version):
        raise _CorruptFile(f"its format version {_shorten(version)} is not a number.")
    if int(version) > FORMAT_VERSION:
        raise _CorruptFile(
            f"it was written by a newer sk_autoencoder (file format {int(version)}; "
            f"this version reads up to {FORMAT_VERSION}). Upgrade sk_autoencoder to load it."
        )
    try:
        config = json.loads(metadata.get("config", ""))
    except (ValueError, RecursionError) as error:
        raise _CorruptFile(f"its configuration is not valid JSON ({error}).") from None
    if not isinstance(config, dict):
        raise _CorruptFile("its configuration is not a JSON object.")
    classes = _estimator_classes()
    name = config.get("class")
    if name not in classes:
        raise _CorruptFile(
            f"class {_shorten(name)} is not one of sk_autoencoder's estimators "
            f"({', '.join(sorted(classes))})."
        )
    cls = classes[name]
    try:
        params = _decode_section(config, "params")
        attributes = _decode_section(config, "attributes")
        net_config = _decode_section(config, "net")
        optimizer_config = _decode_section(config, "optimizer")
    except RecursionError:
        raise _CorruptFile("its configuration is nested too deeply.") from None

    unknown = set(params) - set(cls._get_param_names())
    if unknown:
        raise _CorruptFile(f"{name} has no parameters {sorted(unknown)}.")
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except ValueError as error:
        raise _CorruptFile(f"invalid parameters: {error}") from None
    for key, value in attributes.items():
        # Data only, and never over a parameter, a method or the net.
        if not key.isidentifier() or key.startswith("__") or key in params or key == "net_":
            raise _CorruptFile(f"{_shorten(key)} is not a fitted attribute.")
        if hasattr(cls, key):
            raise _CorruptFile(f"attribute {key!r} would hide {name}.{key}.")
        setattr(estimator, key, value)
    _check_fitted_state(estimator)

    estimator.device_ = _load_device(estimator.device, device)
    batch_size = net_config.get("batch_size")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise _CorruptFile(f"batch size {_shorten(batch_size)} is not a positive integer.")
    module_state = _module_state(estimator, tensors)
    # The module's float64 centre, not mean_, which is in the data's dtype.
    center = module_state["center"].numpy()
    estimator._build_net(estimator.n_features_in_, center, batch_size)
    net = estimator.net_
    net.module_.load_state_dict(module_state)
    _load_optimizer_state(net.optimizer_, optimizer_config, tensors)
    history = net_config.get("history", [])
    if not (isinstance(history, list) and all(isinstance(row, dict) for row in history)):
        raise _CorruptFile("the net's history is not a list of epochs.")
    net.history = History(history)
    return estimator


def _decode_section(config, section):
    value = config.get(section, {})
    if not isinstance(value, dict):
        raise _CorruptFile(f"its {section} section is not a JSON object.")
    return {key: _decode(item, f"{section} entry {key}") for key, item in value.items()}


def _check_fitted_state(estimator):
    """The fitted attributes :meth:`BaseAutoencoder._build_net` relies on."""
    n_features = getattr(estimator, "n_features_in_", None)
    mean = getattr(estimator, "mean_", None)
    scale = getattr(estimator, "scale_", None)
    checks = {
        "n_features_in_": isinstance(n_features, int) and n_features >= 1,
        "mean_": isinstance(mean, np.ndarray)
        and mean.dtype in (np.float32, np.float64)
        and mean.shape == (n_features,),
        "scale_": isinstance(scale, float) and math.isfinite(scale) and scale > 0,
        "loss_": getattr(estimator, "loss_", None) in ("mse", "bce"),
        "_seed": isinstance(getattr(estimator, "_seed", None), int),
        "n_components_": _valid_code_size(estimator, n_features),
    }
    for attribute, valid in checks.items():
        if not valid:
            raise _CorruptFile(f"fitted attribute {attribute} is missing or invalid.")


def _valid_code_size(estimator, n_features):
    """``n_components_`` is ``n_components``, or for a fraction a code size it may pick."""
    n_components_ = getattr(estimator, "n_components_", None)
    if isinstance(estimator.n_components, int):
        return n_components_ == estimator.n_components
    return (
        isinstance(n_components_, int)
        and isinstance(n_features, int)
        and 1 <= n_components_ <= estimator._n_code_units(n_features)
    )


def _load_device(estimator_device, device):
    if device == "auto":
        if estimator_device == "cuda" and not torch.cuda.is_available():
            return torch.device("cpu")
        device = estimator_device
    return resolve_device(device)


def _module_state(estimator, tensors):
    """The file's ``module.*`` tensors, checked against the module they must fill."""
    try:
        with torch.device("meta"):
            # Shapes only, on no memory: parameters tampered with must not
            # make the rebuilt module allocate more than the file holds.
            expected = estimator._build_module(
                estimator.n_features_in_, estimator.mean_, estimator.scale_, estimator.loss_
            ).state_dict()
    except (ValueError, TypeError) as error:
        raise _CorruptFile(f"its parameters describe no valid model ({error}).") from None
    state = {
        key[len(_MODULE_PREFIX) :]: tensor
        for key, tensor in tensors.items()
        if key.startswith(_MODULE_PREFIX)
    }
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise _CorruptFile(
            f"its weights do not fit the model: missing {missing}, unexpected {unexpected}."
        )
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape or tensor.dtype != expected[key].dtype:
            raise _CorruptFile(
                f"weight {key!r} has shape {tuple(tensor.shape)} and dtype {tensor.dtype}; "
                f"the model needs {tuple(expected[key].shape)} and {expected[key].dtype}."
            )
    return state


def _load_optimizer_state(optimizer, config, tensors):
    """Load the optimizer's state; each tensor is a scalar or shaped like its weight."""
    tensor_keys = [key for key in tensors if key.startswith(_OPTIMIZER_PREFIX)]
    if not config and not tensor_keys:
        return
    param_groups = config.get("param_groups")
    state = config.get("state", {})
    fresh_groups = optimizer.state_dict()["param_groups"]
    weights = [weight for group in optimizer.param_groups for weight in group["params"]]
    if not (
        isinstance(param_groups, list)
        and len(param_groups) == len(fresh_groups)
        and all(
            isinstance(group, dict)
            and set(group) == set(fresh)
            and group["params"] == fresh["params"]
            for group, fresh in zip(param_groups, fresh_groups, strict=True)
        )
        and isinstance(state, dict)
    ):
        raise _CorruptFile("its optimizer state does not fit the model.")
    per_weight = {}
    for key, value in state.items():
        if not (key.isdigit() and int(key) < len(weights) and isinstance(value, dict)):
            raise _CorruptFile("its optimizer state does not fit the model.")
        per_weight[int(key)] = dict(value)
    for key in tensor_keys:
        index, _, name = key[len(_OPTIMIZER_PREFIX) :].partition(".")
        tensor = tensors[key]
        fits = index.isdigit() and int(index) < len(weights)
        if not (fits and tensor.shape in (torch.Size([]), weights[int(index)].shape)):
            raise _CorruptFile(f"optimizer tensor {key!r} does not fit the model.")
        per_weight.setdefault(int(index), {})[name] = tensor
    optimizer.load_state_dict({"state": per_weight, "param_groups": param_groups})
