"""The user's network classes in model files: saved by name, rebuilt only from an allow-list.

A parameter that is a ``torch.nn.Module`` class (an encoder to build) is
saved as its qualified name; one that is an instance (a pretrained network)
as its class's name and its weights, as tensors ``param.<parameter>.<name>``.
:func:`sk_autoencoder.load` resolves each name against the classes its
caller passes as ``trusted`` and nothing else: it imports no module and
looks up no name anywhere, so a file can only rebuild classes its reader
chose, as skops does with trusted types. Every name is resolved before any
class is called.
"""

import torch
from torch import nn

from sk_autoencoder._codec import CorruptFile, shorten

NETWORK_CLASS = "network_class"
NETWORK_INSTANCE = "network_instance"
# Tensors of the instances saved as parameters: ``param.<parameter>.<name>``.
PARAMETER_TENSORS = "param"


def qualified_name(cls):
    """``module.QualifiedName`` of a class: how a file names it."""
    return f"{cls.__module__}.{cls.__qualname__}"


def is_network(value):
    """Whether ``value`` is a ``torch.nn.Module`` class or instance."""
    return isinstance(value, nn.Module) or (
        isinstance(value, type) and issubclass(value, nn.Module)
    )


def is_network_entry(entry):
    """Whether a saved parameter is a network (:func:`encode_network`'s output)."""
    return isinstance(entry, dict) and entry.get("__type__") in (NETWORK_CLASS, NETWORK_INSTANCE)


def encode_network(value, key, tensors):
    """A network parameter as JSON; an instance's weights go into ``tensors``.

    An instance is rebuilt by :func:`load` as its class called with no
    arguments, then given the saved weights: save checks here that the class
    so built has the instance's weights (names and shapes), and refuses to
    save one it could not rebuild.
    """
    if isinstance(value, type):
        return {"__type__": NETWORK_CLASS, "name": qualified_name(value)}
    cls = type(value)
    hint = (
        f"pass the class and its arguments instead ({key}={cls.__name__}, "
        f"{key}_params={{...}}), or give {cls.__name__}'s constructor defaults that build "
        "this architecture."
    )
    try:
        fresh = cls()
    except Exception as error:  # noqa: BLE001 - any failure of the user's constructor
        raise TypeError(
            f"Cannot save parameter {key}, an instance of {cls.__name__}: load rebuilds it "
            f"as {cls.__name__}() with no arguments, which fails ({error}); {hint}"
        ) from None
    state = value.state_dict()
    expected = {name: tensor.shape for name, tensor in fresh.state_dict().items()}
    if expected != {name: tensor.shape for name, tensor in state.items()}:
        raise TypeError(
            f"Cannot save parameter {key}, an instance of {cls.__name__}: load rebuilds it "
            f"as {cls.__name__}() with no arguments, whose weights differ in names or "
            f"shapes from this instance's; {hint}"
        )
    for name, tensor in state.items():
        tensors[f"{PARAMETER_TENSORS}.{key}.{name}"] = tensor.detach().to("cpu", copy=True)
    return {"__type__": NETWORK_INSTANCE, "name": qualified_name(cls)}


def trusted_classes(trusted):
    """``{qualified name: class}`` of the ``trusted`` argument of load, or a clear error."""
    trusted = list(trusted or ())
    for cls in trusted:
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise TypeError(f"trusted must hold torch.nn.Module classes, got {cls!r}.")
    return {qualified_name(cls): cls for cls in trusted}


def resolve_networks(entries, classes):
    """``{parameter: class}`` of the network ``entries`` of a file, all trusted, or CorruptFile.

    Nothing is called or imported: a name that is not among ``classes`` is
    refused before any class of the file is built.
    """
    untrusted = {
        key: entry.get("name")
        for key, entry in entries.items()
        if not (isinstance(entry.get("name"), str) and entry["name"] in classes)
    }
    if untrusted:
        named = "; ".join(f"{key} is the class {shorten(name)}" for key, name in untrusted.items())
        allowed = ", ".join(sorted(classes)) or "none"
        raise CorruptFile(
            f"its parameters name classes that are not trusted ({named}; trusted: {allowed}). "
            "If you trust the file's source, pass those classes: load(path, "
            "trusted=[TheClass, ...]); nothing of the file was built."
        )
    return {key: classes[entry["name"]] for key, entry in entries.items()}


def rebuild_network(key, entry, cls, tensors, check_state):
    """The parameter ``key``: the class itself, or an instance with the file's weights.

    ``check_state(expected, prefix, tensors)`` checks the file's tensors
    under ``prefix`` against the fresh instance's state dict and returns them.
    """
    if entry["__type__"] == NETWORK_CLASS:
        return cls
    try:
        network = cls()
    except Exception as error:  # noqa: BLE001 - any failure of a trusted constructor
        raise CorruptFile(
            f"its parameter {key}, an instance of {cls.__name__}, cannot be rebuilt as "
            f"{cls.__name__}() ({error})."
        ) from None
    state = check_state(network.state_dict(), f"{PARAMETER_TENSORS}.{key}", tensors)
    with torch.no_grad():
        network.load_state_dict(state)
    return network
