"""Every layer's representation: the activations of each named layer of the encoder and decoder.

:class:`LayerOutputsMixin` gives every estimator :meth:`~LayerOutputsMixin.layer_outputs`
and :meth:`~LayerOutputsMixin.get_layer_names`. A layer is a named submodule
of the encoder's or the decoder's network (not of the fixed affine paths of
the PCA floor), named as ``named_modules`` names it behind "encoder" or
"decoder": ``"encoder"`` is the whole network, ``"encoder.0"`` its first
layer. Outputs are recorded by forward hooks during one pass that encodes the
rows and decodes their codes, batch by batch, without autograd.
"""

import copy

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from sk_autoencoder._batching import chunk_rows, rows_to_tensor
from sk_autoencoder._pca_start import AffinePlusNetwork
from sk_autoencoder._threads import threads_for_free_cores

# Where the encoder's and the decoder's networks sit in a module that does not
# say (its ``network_paths``): its ``encoder`` and ``decoder``, inside their
# affine paths if they have them.
DEFAULT_NETWORK_PATHS = {"encoder": "encoder", "decoder": "decoder"}


def named_layers(module):
    """``{name: submodule}`` of the encoder's and decoder's networks of ``module``, in order."""
    layers = {}
    for network_name, path in getattr(module, "network_paths", DEFAULT_NETWORK_PATHS).items():
        network = module.get_submodule(path)
        if isinstance(network, AffinePlusNetwork):
            network = network.network
        for name, layer in network.named_modules():
            layers[network_name if not name else f"{network_name}.{name}"] = layer
    return layers


def _evaluate_switched_off_networks(part, args, output):
    """A forward hook: run the network of an affine path that inference leaves out.

    Where the PCA floor switched a network off, the module's output is the
    affine path's alone, but the network's layers still have activations to
    report; the result is thrown away, the module's output is unchanged.
    """
    if not (part.training or part.network_on):
        part.network(*args)


class _Recorder:
    """Forward hooks that keep each named layer's tensor output of the last pass."""

    def __init__(self, module, names):
        self.outputs = {}
        layers = named_layers(module)
        self.handles = [layers[name].register_forward_hook(self._hook(name)) for name in names] + [
            part.register_forward_hook(_evaluate_switched_off_networks)
            for part in module.modules()
            if isinstance(part, AffinePlusNetwork)
        ]

    def _hook(self, name):
        def record(layer, args, output):
            if isinstance(output, torch.Tensor):
                self.outputs[name] = output

        return record

    def remove(self):
        for handle in self.handles:
            handle.remove()


def _full_pass(module, X_batch):
    """Encode rows (in the user's units) and decode their codes, as transform and back do."""
    return module.decode_scaled(module.encode_scaled(module.standardize(X_batch)))


def _torch_dtype(dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


class LayerOutputsMixin:
    """:meth:`layer_outputs` and :meth:`get_layer_names` for the fitted autoencoders."""

    def get_layer_names(self):
        """List the names of the layers whose outputs :meth:`layer_outputs` gives.

        Returns
        -------
        names : list of str
            The encoder's layers then the decoder's, each named behind
            "encoder" or "decoder" as ``named_modules`` names it; only layers
            that output one tensor are listed.
        """
        check_is_fitted(self)
        probe = np.asarray(self.mean_, dtype=np.float32)[None, :]
        return list(self._layer_pass(probe, names=None, probe=True))

    def layer_outputs(self, X, layers=None):
        """Each named layer's activations for ``X``: every layer's representation.

        The rows are encoded and their codes decoded, in batches, without
        autograd and in ``X``'s float dtype (as :meth:`transform`), and
        each layer's output is recorded on the way. Encoder layers see the
        rows scaled as the network sees them; decoder layers see the codes of
        :meth:`transform`. Where the PCA floor switched the network off
        (``network_kept_`` is False), its layers are still evaluated and
        reported, though the code and reconstruction are PCA's.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units the estimator was fitted on.
        layers : list of str or None, default=None
            Names among :meth:`get_layer_names`; None gives every layer.

        Returns
        -------
        outputs : dict of str to ndarray of shape (n_samples, ...)
            Each layer's output, in the order of ``layers`` (or of
            :meth:`get_layer_names`), in ``X``'s float dtype.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sk_autoencoder import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> autoencoder = AutoencoderTransformer(
        ...     n_components=4, hidden_layer_sizes=(16,), max_iter=2, random_state=0
        ... ).fit(X)
        >>> autoencoder.get_layer_names()
        ['encoder', 'encoder.0', 'encoder.1', 'encoder.2', 'decoder', 'decoder.0', \
'decoder.1', 'decoder.2']
        >>> autoencoder.layer_outputs(X, layers=["encoder.1"])["encoder.1"].shape
        (1797, 16)
        """
        check_is_fitted(self)
        X = self._validate_rows(X, reset=False)
        if layers is not None:
            layers = [layers] if isinstance(layers, str) else list(layers)
            known = self.get_layer_names()
            unknown = [name for name in layers if name not in known]
            if unknown:
                raise ValueError(
                    f"layers {unknown} are not layers of this network; get_layer_names() "
                    f"gives them: {known}."
                )
        return self._layer_pass(X, names=layers, probe=False)

    def _layer_pass(self, X, names, probe):
        """The outputs of the layers ``names`` (None: all) over ``X``, batch by batch."""
        # A copy of its own, so that no other call on the module (or on its
        # shared float64 copy) meets the hooks.
        module = copy.deepcopy(self.net_.module_).eval()
        if X.dtype == np.float64:
            module = module.double()
        names = list(named_layers(module)) if names is None else names
        torch_dtype = _torch_dtype(X.dtype)
        recorder = _Recorder(module, names)
        results = {}
        try:
            with torch.inference_mode(), threads_for_free_cores(self.device_):
                first = rows_to_tensor(X[:1], self.device_, torch_dtype)
                _full_pass(module, first)
                shapes = {
                    name: tuple(recorder.outputs[name].shape[1:])
                    for name in names
                    if name in recorder.outputs
                }
                if probe:
                    return {name: None for name in shapes}
                n_values = sum(int(np.prod(shape)) for shape in shapes.values())
                batch_size = chunk_rows(X, values_per_row=X.shape[1] + n_values)
                for name, shape in shapes.items():
                    results[name] = np.empty((X.shape[0], *shape), dtype=X.dtype)
                for start in range(0, X.shape[0], batch_size):
                    stop = start + batch_size
                    recorder.outputs.clear()
                    _full_pass(module, rows_to_tensor(X[start:stop], self.device_, torch_dtype))
                    for name in shapes:
                        results[name][start:stop] = recorder.outputs[name].cpu().numpy()
        finally:
            recorder.remove()
        return results
