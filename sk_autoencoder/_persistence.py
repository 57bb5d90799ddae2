"""Saving and loading fitted estimators without pickle.

A model file is one safetensors file. Its tensors are the weights of every
module the net registers (``module.<name>``, and so on for a second one) and
the state of every optimizer (``optimizer.<index>.<name>``);
its header metadata holds JSON: the format version, the class name, the
parameters (``get_params``), the fitted attributes and the net's epoch
history, and SHA-256 digests of the tensors and of the rest of the metadata
(``_checksum``). Loading checks the digests first, then parses JSON and raw
numbers only, so a file cannot run code, unlike a pickle; the estimator is
rebuilt by its own class, allowed only if the package exports it, and every
tensor must fit the rebuilt module.
"""

import json
import math
import os
import re
import sys
from numbers import Real

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._checksum import add_digests, check_digests
from sk_autoencoder._codec import CorruptFile, decode, encode, shorten
from sk_autoencoder._devices import resolve_device
from sk_autoencoder._scaling import Scaling
from sk_autoencoder._trusted import (
    PARAMETER_TENSORS,
    encode_network,
    is_network,
    is_network_entry,
    rebuild_network,
    resolve_networks,
    trusted_classes,
)
from sk_autoencoder._version import __version__

FORMAT = "sk_autoencoder"
# Bump when a file written by this version could be misread by an older one.
# 2: the state of every optimizer the net registers, under "optimizers".
# 3: SHA-256 digests of the tensors and of the metadata, which load checks;
# files of format 1 and 2 have none and load unchecked.
FORMAT_VERSION = 3
DIGESTS_SINCE_VERSION = 3


def save(estimator: BaseAutoencoder, path: str | os.PathLike) -> None:
    """Save a fitted autoencoder to a safetensors file, without pickle.

    The weights and the optimizer's state become tensors; the parameters,
    the fitted attributes and the epoch history become JSON in the file's
    header, with SHA-256 digests of the tensors and of that JSON. :func:`load`
    checks the digests and rebuilds the estimator without running any code
    from the file, so a model file from an untrusted source is as safe to load
    as a CSV file.

    Parameters
    ----------
    estimator : AutoencoderTransformer, ConvAutoencoderTransformer or \
            VariationalAutoencoderTransformer
        A fitted estimator.
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
    tensors = {}
    config = {
        "class": name,
        "params": {key: _encode_param(key, value, tensors) for key, value in params.items()},
        "attributes": {key: encode(value, f"attribute {key}") for key, value in attributes.items()},
    }
    net = estimator.net_
    # Every module and optimizer the net registers: a variant with a second
    # network saves it too.
    for module_name in net._modules:
        module = getattr(net, module_name + "_")
        for key, tensor in module.state_dict().items():
            tensors[f"{module_name}.{key}"] = _to_cpu(tensor)
    config["optimizers"] = {}
    for optimizer_name in net._optimizers:
        optimizer_state = getattr(net, optimizer_name + "_").state_dict()
        per_parameter_state = {}
        for index, state in optimizer_state["state"].items():
            per_parameter_state[str(index)] = {}
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"{optimizer_name}.{index}.{key}"] = _to_cpu(value)
                else:
                    per_parameter_state[str(index)][key] = value
        config["optimizers"][optimizer_name] = encode(
            {"param_groups": optimizer_state["param_groups"], "state": per_parameter_state},
            "optimizer state",
        )
    config["net"] = {
        "batch_size": int(net.batch_size),
        # Per-batch entries would make the header grow with the data; the
        # epoch rows are what later training and users read.
        "history": encode([_epoch_row(row) for row in net.history], "history"),
    }
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "sk_autoencoder_version": __version__,
        "config": json.dumps(config),
    }
    save_file(tensors, path, metadata=add_digests(tensors, metadata))


def _encode_param(key, value, tensors):
    """A parameter as JSON: a network class by name, an instance by name and weights."""
    if is_network(value):
        return encode_network(value, key, tensors)
    return encode(value, f"parameter {key}")


def load(
    path: str | os.PathLike, *, device: str = "auto", trusted: list[type] | None = None
) -> BaseAutoencoder:
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
    trusted : list of torch.nn.Module classes, default=None
        The network classes the file may rebuild, for
        :class:`CustomAutoencoderTransformer`'s ``encoder`` and ``decoder``.
        The file names its classes; each name is looked up among these
        (by ``module.QualifiedName``) and nowhere else: no module is imported
        and no class outside the list is called. A file that names another
        class is refused before any class of it is built.

    Returns
    -------
    estimator : AutoencoderTransformer, ConvAutoencoderTransformer or \
            VariationalAutoencoderTransformer
        The fitted estimator, of the saved one's class; its outputs equal the
        saved estimator's on the same device.

    Raises
    ------
    ValueError
        If the file is not a model file (a pickle, say), changed since it was
        saved (its weights or header no longer match the SHA-256 digests
        :func:`save` recorded: the file is corrupted or was edited), was
        tampered with (unknown class, invalid parameters, tensors that do not
        fit the model), was written in a newer format than this version
        reads, or names a network class that is not in ``trusted``.
    TypeError
        If ``trusted`` holds anything but ``torch.nn.Module`` classes.

    See Also
    --------
    save : Save a fitted estimator.

    Notes
    -----
    Files saved before the digests existed (format 1 and 2) carry none and
    load unchecked, as they did; saving the loaded estimator again writes a
    file with them.

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
    classes = trusted_classes(trusted)
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
        return _rebuild(metadata, tensors, device, classes)
    except CorruptFile as error:
        raise ValueError(f"Cannot load {os.fspath(path)!r}: {error}") from None


def _estimator_classes():
    """The classes :func:`load` may build: the estimators the package exports (``__all__``).

    Read from the package, already imported whenever this module is, so that a
    new estimator becomes loadable by being exported, and this module imports
    nothing that imports it.
    """
    package = sys.modules[__name__.rpartition(".")[0]]
    classes = {name: getattr(package, name) for name in package.__all__}
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


def _rebuild(metadata, tensors, device, trusted):
    """The fitted estimator described by a file's metadata and tensors."""
    if metadata.get("format") != FORMAT:
        raise CorruptFile("it is not an sk_autoencoder model file (no format marker).")
    version = metadata.get("format_version", "")
    if not re.fullmatch(r"[0-9]{1,9}", version):
        raise CorruptFile(f"its format version {shorten(version)} is not a number.")
    if int(version) > FORMAT_VERSION:
        raise CorruptFile(
            f"it was written by a newer sk_autoencoder (file format {int(version)}; "
            f"this version reads up to {FORMAT_VERSION}). Upgrade sk_autoencoder to load it."
        )
    # Before the configuration is parsed or any weight is used.
    check_digests(tensors, metadata, required=int(version) >= DIGESTS_SINCE_VERSION)
    try:
        config = json.loads(metadata.get("config", ""))
    except (ValueError, RecursionError) as error:
        raise CorruptFile(f"its configuration is not valid JSON ({error}).") from None
    if not isinstance(config, dict):
        raise CorruptFile("its configuration is not a JSON object.")
    classes = _estimator_classes()
    name = config.get("class")
    if name not in classes:
        raise CorruptFile(
            f"class {shorten(name)} is not one of sk_autoencoder's estimators "
            f"({', '.join(sorted(classes))})."
        )
    cls = classes[name]
    try:
        params = __decode_params(config, tensors, trusted)
        attributes = __decode_section(config, "attributes")
        net_config = __decode_section(config, "net")
        # Format 1 had one optimizer, under "optimizer".
        optimizer_configs = (
            __decode_section(config, "optimizers")
            if "optimizers" in config
            else {"optimizer": __decode_section(config, "optimizer")}
        )
    except RecursionError:
        raise CorruptFile("its configuration is nested too deeply.") from None

    unknown = set(params) - set(cls._get_param_names())
    if unknown:
        raise CorruptFile(f"{name} has no parameters {sorted(unknown)}.")
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except ValueError as error:
        raise CorruptFile(f"invalid parameters: {error}") from None
    for key, value in attributes.items():
        # Data only, and never over a parameter, a method or the net.
        if not key.isidentifier() or key.startswith("__") or key in params or key == "net_":
            raise CorruptFile(f"{shorten(key)} is not a fitted attribute.")
        if hasattr(cls, key):
            raise CorruptFile(f"attribute {key!r} would hide {name}.{key}.")
        setattr(estimator, key, value)
    _check_fitted_state(estimator)

    estimator.device_ = _load_device(estimator.device, device)
    batch_size = net_config.get("batch_size")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise CorruptFile(f"batch size {shorten(batch_size)} is not a positive integer.")
    module_state = _module_state(estimator, tensors)
    # The module's float64 scaling, not mean_, which is in the data's dtype.
    scaling = Scaling(module_state["scaling.center"].numpy(), float(module_state["scaling.scale"]))
    estimator._build_net(estimator.n_features_in_, scaling, batch_size)
    net = estimator.net_
    names = [*net._modules, *net._optimizers, PARAMETER_TENSORS]
    stray = sorted(key for key in tensors if key.split(".", 1)[0] not in names)
    if stray:
        raise CorruptFile(f"tensors {stray[:5]} belong to no module or optimizer of the net.")
    for module_name in net._modules:
        module = getattr(net, module_name + "_")
        module.load_state_dict(_checked_state(module.state_dict(), module_name, tensors))
    for optimizer_name in net._optimizers:
        optimizer_config = optimizer_configs.get(optimizer_name, {})
        if not isinstance(optimizer_config, dict):
            raise CorruptFile(f"its {optimizer_name} state is not a JSON object.")
        optimizer = getattr(net, optimizer_name + "_")
        _load_optimizer_state(optimizer, optimizer_name, optimizer_config, tensors)
    history = net_config.get("history", [])
    if not (isinstance(history, list) and all(isinstance(row, dict) for row in history)):
        raise CorruptFile("the net's history is not a list of epochs.")
    net.history = History(history)
    return estimator


def __decode_params(config, tensors, trusted):
    """The parameters; networks resolved against ``trusted``, all before any is built."""
    section = config.get("params", {})
    if not isinstance(section, dict):
        raise CorruptFile("its params section is not a JSON object.")
    networks = {key: entry for key, entry in section.items() if is_network_entry(entry)}
    classes = resolve_networks(networks, trusted)
    params = {
        key: decode(entry, f"params entry {key}")
        for key, entry in section.items()
        if key not in networks
    }
    for key, entry in networks.items():
        params[key] = rebuild_network(key, entry, classes[key], tensors, _checked_state)
    return params


def __decode_section(config, section):
    value = config.get(section, {})
    if not isinstance(value, dict):
        raise CorruptFile(f"its {section} section is not a JSON object.")
    return {key: decode(item, f"{section} entry {key}") for key, item in value.items()}


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
            raise CorruptFile(f"fitted attribute {attribute} is missing or invalid.")


def _valid_code_size(estimator, n_features):
    """``n_components_`` is ``n_components``, or a prefix of an ordered code.

    An ordered code's size is a prefix of the width it was trained at: the one
    a fraction picks, or the one ``truncate`` cut it to.
    """
    n_components_ = getattr(estimator, "n_components_", None)
    if isinstance(estimator.n_components, int) and not getattr(estimator, "ordered", False):
        return n_components_ == estimator.n_components
    return (
        isinstance(n_components_, int)
        and isinstance(n_features, int)
        and 1 <= n_components_ <= estimator._n_components(n_features)
    )


def _load_device(estimator_device, device):
    if device == "auto":
        if estimator_device == "cuda" and not torch.cuda.is_available():
            return torch.device("cpu")
        device = estimator_device
    return resolve_device(device)


def _module_state(estimator, tensors):
    """The file's ``module.*`` tensors, checked against the module its parameters describe.

    The module is built on the meta device, shapes only, before anything is
    allocated: parameters tampered with must not make the rebuilt module
    allocate more than the file holds.
    """
    try:
        with torch.device("meta"):
            scaling = Scaling(estimator.mean_, estimator.scale_)
            expected = estimator._build_module(
                estimator.n_features_in_, scaling, estimator.loss_
            ).state_dict()
    except (ValueError, TypeError) as error:
        raise CorruptFile(f"its parameters describe no valid model ({error}).") from None
    return _checked_state(expected, "module", tensors)


def _checked_state(expected, module_name, tensors):
    """The file's ``<module_name>.*`` tensors, with the keys, shapes and dtypes of ``expected``."""
    prefix = module_name + "."
    state = {
        key[len(prefix) :]: tensor for key, tensor in tensors.items() if key.startswith(prefix)
    }
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CorruptFile(
            f"its weights do not fit the model: missing {missing}, unexpected {unexpected}."
        )
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape or tensor.dtype != expected[key].dtype:
            raise CorruptFile(
                f"weight {key!r} has shape {tuple(tensor.shape)} and dtype {tensor.dtype}; "
                f"the model needs {tuple(expected[key].shape)} and {expected[key].dtype}."
            )
    return state


def _load_optimizer_state(optimizer, optimizer_name, config, tensors):
    """Load an optimizer's state; each tensor is a scalar or shaped like its weight."""
    prefix = optimizer_name + "."
    tensor_keys = [key for key in tensors if key.startswith(prefix)]
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
            # A learning-rate schedule adds the rate it started from.
            and set(group) - {"initial_lr"} == set(fresh) - {"initial_lr"}
            and isinstance(group.get("initial_lr", 0.0), Real)
            and group["params"] == fresh["params"]
            for group, fresh in zip(param_groups, fresh_groups, strict=True)
        )
        and isinstance(state, dict)
    ):
        raise CorruptFile("its optimizer state does not fit the model.")
    per_weight = {}
    for key, value in state.items():
        if not (key.isdigit() and int(key) < len(weights) and isinstance(value, dict)):
            raise CorruptFile("its optimizer state does not fit the model.")
        per_weight[int(key)] = dict(value)
    for key in tensor_keys:
        index, _, name = key[len(prefix) :].partition(".")
        tensor = tensors[key]
        fits = index.isdigit() and int(index) < len(weights)
        if not (fits and tensor.shape in (torch.Size([]), weights[int(index)].shape)):
            raise CorruptFile(f"optimizer tensor {key!r} does not fit the model.")
        per_weight.setdefault(int(index), {})[name] = tensor
    optimizer.load_state_dict({"state": per_weight, "param_groups": param_groups})
