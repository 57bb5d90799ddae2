"""SHA-256 digests of a model file's tensors and metadata, written by save, checked by load.

safetensors checks that a file's header is well formed and that the tensors
fill the bytes it announces, not that those bytes are the ones written: a
flipped bit in a weight, or a digit changed in the JSON of the parameters,
would load as a different model without a word. :func:`add_digests` records
two digests in the metadata, one of the tensors and one of the other
metadata entries; :func:`check_digests` recomputes them on load, before any
weight or setting is used.

The digests catch corruption and edits made without this package. They
prove nothing about who wrote a file: anyone can recompute them after an
edit, and the checks of what a file holds come after them.
"""

import hashlib

import torch

from sk_autoencoder._codec import CorruptFile

WEIGHTS_DIGEST = "weights_sha256"
METADATA_DIGEST = "metadata_sha256"
_DIGESTS = (WEIGHTS_DIGEST, METADATA_DIGEST)


def add_digests(tensors, metadata):
    """``metadata`` with the digests of ``tensors`` and of ``metadata`` itself added."""
    return {
        **metadata,
        WEIGHTS_DIGEST: weights_digest(tensors),
        METADATA_DIGEST: metadata_digest(metadata),
    }


def check_digests(tensors, metadata, *, required):
    """Raise :class:`CorruptFile` unless the file's recorded digests match its contents.

    Parameters
    ----------
    tensors : dict of str to torch.Tensor
        Every tensor of the file, as read.
    metadata : dict of str to str
        The file's metadata, as read.
    required : bool
        Whether the file's format always records digests. Where it does not
        (files saved before digests existed), a file without them passes;
        digests that are present are checked whatever the format says, so
        that a corrupted version number cannot turn the check off.
    """
    if not any(key in metadata for key in _DIGESTS):
        if required:
            raise CorruptFile(
                "it records no checksum of its weights, which every file of its format "
                "does: the file was edited."
            )
        return
    if metadata.get(WEIGHTS_DIGEST) != weights_digest(tensors):
        raise CorruptFile(
            "its weights changed since it was saved (their SHA-256 digest differs from "
            "the one recorded at save): the file is corrupted or was edited."
        )
    if metadata.get(METADATA_DIGEST) != metadata_digest(metadata):
        raise CorruptFile(
            "its header (parameters, fitted attributes, history) changed since it was "
            "saved (its SHA-256 digest differs from the one recorded at save): the file "
            "is corrupted or was edited."
        )


def weights_digest(tensors):
    """Hex SHA-256 of every tensor's name, dtype, shape and bytes, in the order of the names.

    Each part is preceded by its length, so that no two different sets of
    tensors hash the same bytes. The bytes are the tensor's in memory, as
    safetensors writes them (little-endian on the machines torch runs on).
    """
    sha256 = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").contiguous()
        for part in (name, str(tensor.dtype).removeprefix("torch."), str(list(tensor.shape))):
            _update(sha256, part.encode())
        # A flat byte view: no copy, and any dtype (bfloat16 has no numpy twin).
        _update(sha256, tensor.reshape(-1).view(torch.uint8).numpy())
    return sha256.hexdigest()


def metadata_digest(metadata):
    """Hex SHA-256 of every metadata entry but the digests, in the order of the keys."""
    sha256 = hashlib.sha256()
    for key in sorted(set(metadata) - set(_DIGESTS)):
        _update(sha256, key.encode())
        _update(sha256, metadata[key].encode())
    return sha256.hexdigest()


def _update(sha256, data):
    sha256.update(memoryview(data).nbytes.to_bytes(8, "little"))
    sha256.update(data)
