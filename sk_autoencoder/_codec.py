"""Plain data as JSON and back, for model files: no type outside a short list is read.

:func:`encode` turns parameters, fitted attributes and histories into JSON,
tagging tuples, dicts, devices and arrays; :func:`decode` accepts only what
:func:`encode` produces, so reading a model file can build no other object.
"""

import math
import re
from numbers import Integral, Real

import numpy as np
import torch


class CorruptFile(Exception):
    """A model file that cannot be what :func:`sk_autoencoder.save` wrote; the message says why."""


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


def encode(value, where):
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
        return [encode(item, where) for item in value]
    if isinstance(value, tuple):
        return {"__type__": "tuple", "items": [encode(item, where) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__type__": "dict", "items": {k: encode(v, where) for k, v in value.items()}}
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
                "data": [encode(item, where) for item in value.ravel().tolist()],
            }
    raise TypeError(
        f"Cannot save {where}={value!r}: only numbers, strings, lists, tuples, dicts "
        "with string keys and arrays of numbers or strings can be saved without "
        "pickle. Set it to such a value (or None) before saving."
    )


def decode(value, where):
    """The inverse of :func:`_encode`, accepting only what it can produce."""
    if value is None or isinstance(value, (bool, Integral, Real, str)):
        return value
    if isinstance(value, list):
        return [decode(item, where) for item in value]
    kind = value.get("__type__") if isinstance(value, dict) else None
    if kind == "tuple" and isinstance(value.get("items"), list):
        return tuple(decode(item, where) for item in value["items"])
    if kind == "dict" and isinstance(value.get("items"), dict):
        return {key: decode(item, where) for key, item in value["items"].items()}
    if kind == "device" and re.fullmatch(r"cpu|cuda(:[0-9]{1,3})?", str(value.get("value"))):
        return torch.device(value["value"])
    if kind == "ndarray":
        return _decode_array(value, where)
    raise CorruptFile(f"{where} holds an unsupported value {shorten(value)}.")


def _decode_array(value, where):
    dtype, shape, data = value.get("dtype"), value.get("shape"), value.get("data")
    valid_shape = isinstance(shape, list) and all(
        isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape
    )
    if not (valid_shape and isinstance(data, list) and len(data) == math.prod(shape)):
        raise CorruptFile(f"{where} is an array whose shape does not match its data.")
    if dtype in ("object", "str"):
        item_types = (str,)
    elif dtype in _ARRAY_DTYPES:
        item_types = (bool, int, float)
    else:
        raise CorruptFile(f"{where} is an array of unsupported dtype {shorten(dtype)}.")
    if not all(isinstance(item, item_types) for item in data):
        raise CorruptFile(f"{where} is a {dtype} array holding values of another type.")
    try:
        return np.array(data, dtype=dtype if dtype != "str" else str).reshape(shape)
    except (ValueError, OverflowError) as error:
        raise CorruptFile(f"{where} is not a valid {dtype} array ({error}).") from None


def shorten(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
