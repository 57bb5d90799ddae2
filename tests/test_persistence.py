"""save and load: model files that hold data only, and survive tampering with a clear error."""

import json
import pickle
import re
import sys

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from skorch.callbacks import Callback

import sk_autoencoder
from sk_autoencoder import (
    AutoencoderTransformer,
    CustomAutoencoderTransformer,
    VariationalAutoencoderTransformer,
    load,
    save,
)
from sk_autoencoder._checksum import METADATA_DIGEST, WEIGHTS_DIGEST, add_digests, weights_digest
from tests._helpers import PUBLIC_ESTIMATORS
from tests.conftest import TinyDecoder, TinyEncoder

DIGESTS = (WEIGHTS_DIGEST, METADATA_DIGEST)

FAST = dict(n_components=3, max_iter=2, random_state=0, device="cpu")
# Every public estimator must survive save and load, with small networks and
# early stopping's curve where it has them. A search (CodeSizeSearchCV) is
# not saved itself: its best_estimator_ is (tests/test_search.py).
SMALL = {
    "hidden_layer_sizes": (8,),
    "channels": (4,),
    "image_shape": (1, 8, 8),
    "early_stopping": True,
}


# The arguments of the estimators that have no defaults, and the classes that
# loading their files must trust.
REQUIRED = {CustomAutoencoderTransformer: {"encoder": TinyEncoder, "decoder": TinyDecoder}}
TRUSTED = [TinyEncoder, TinyDecoder]


def small(estimator_class):
    required = REQUIRED.get(estimator_class, {})
    accepted = estimator_class(**required).get_params()
    params = {name: value for name, value in SMALL.items() if name in accepted}
    return estimator_class(**required, **params, **FAST)


ESTIMATORS = [small(estimator_class) for estimator_class in PUBLIC_ESTIMATORS]


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:200].astype(np.float32)


@pytest.fixture(scope="module")
def fitted(X):
    return AutoencoderTransformer(hidden_layer_sizes=(8,), **FAST).fit(X)


@pytest.fixture
def saved(fitted, tmp_path):
    path = tmp_path / "model.safetensors"
    save(fitted, path)
    return path


def read_model_file(path):
    with safe_open(path, framework="pt") as file:
        metadata = file.metadata()
        tensors = {key: file.get_tensor(key) for key in file.keys()}
    return metadata, json.loads(metadata["config"]), tensors


def write_metadata(path, metadata, tensors):
    """Write a model file as someone editing it on purpose would: digests recomputed.

    The digests catch what changed without them; recomputed, the edit reaches
    the checks that come after, which are what these tests are about.
    """
    unsigned = {key: value for key, value in metadata.items() if key not in DIGESTS}
    save_file(tensors, path, metadata=add_digests(tensors, unsigned))


def write_model_file(path, metadata, config, tensors):
    write_metadata(path, {**metadata, "config": json.dumps(config)}, tensors)


def pickle_payload(marker):
    """Pickled bytes that create the file ``marker`` when unpickled."""

    class Payload:
        def __reduce__(self):
            return open, (str(marker), "w")

    return pickle.dumps(Payload())


def test_public_api_exports_save_and_load():
    assert {"save", "load"} <= set(sk_autoencoder.__all__)


def training_data(estimator, X):
    """``(X,)``, or ``(X, y)`` for an estimator of pairs: its target, every other column."""
    return (X, X[:, ::2]) if get_tags(estimator).target_tags.required else (X,)


def per_row_scores(estimator, X):
    """``score_samples``, or ``score_pairs`` for an estimator of pairs."""
    data = training_data(estimator, X)
    return estimator.score_pairs(*data) if len(data) == 2 else estimator.score_samples(X)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: type(est).__name__)
def test_loaded_estimator_gives_identical_outputs(estimator, X, tmp_path):
    estimator.fit(*training_data(estimator, X))
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    loaded = load(path, trusted=TRUSTED)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    codes = estimator.transform(X)
    assert_array_equal(loaded.transform(X), codes)
    assert_array_equal(loaded.inverse_transform(codes), estimator.inverse_transform(codes))
    assert_array_equal(per_row_scores(loaded, X), per_row_scores(estimator, X))
    assert_array_equal(loaded.mean_, estimator.mean_)
    assert loaded.mean_.dtype == estimator.mean_.dtype
    for name in ("n_features_in_", "n_components_", "scale_", "loss_", "loss_curve_", "n_iter_"):
        assert getattr(loaded, name) == getattr(estimator, name), name


def test_loaded_variational_autoencoder_samples_identically(X, tmp_path):
    estimator = VariationalAutoencoderTransformer(hidden_layer_sizes=(8,), **FAST).fit(X)
    save(estimator, tmp_path / "vae.safetensors")
    loaded = load(tmp_path / "vae.safetensors")
    assert_array_equal(loaded.sample(5, random_state=0), estimator.sample(5, random_state=0))


def test_training_goes_on_after_loading_as_without_saving(X, tmp_path):
    estimator = AutoencoderTransformer(hidden_layer_sizes=(8,), **FAST).fit(X)
    save(estimator, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    # Equal only if the optimizer's moments, the seed and the epoch count
    # were restored: each drives the next epoch's updates.
    estimator.partial_fit(X)
    loaded.partial_fit(X)
    assert_array_equal(loaded.transform(X), estimator.transform(X))
    assert loaded.loss_curve_ == estimator.loss_curve_


def test_float64_feature_names_and_output_config_survive(X, tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X.astype(np.float64), columns=[f"pixel{i}" for i in range(64)])
    estimator = AutoencoderTransformer(hidden_layer_sizes=(), **FAST).fit(frame)
    estimator.set_output(transform="pandas")
    save(estimator, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert_array_equal(loaded.feature_names_in_, estimator.feature_names_in_)
    assert loaded.hidden_layer_sizes == ()
    codes = loaded.transform(frame)
    assert isinstance(codes, pd.DataFrame) and codes.dtypes.iloc[0] == np.float64
    assert_array_equal(codes.to_numpy(), estimator.transform(frame).to_numpy())


def test_load_never_unpickles(saved, monkeypatch, X, fitted):
    def forbidden(*args, **kwargs):
        raise AssertionError("load must not unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    assert_array_equal(load(saved).transform(X), fitted.transform(X))


def test_pickle_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle_payload(marker))
    with pytest.raises(ValueError, match="not a safetensors model file"):
        load(path)
    assert not marker.exists()


def test_torch_save_file_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a safetensors model file"):
        load(path)


def test_pickle_inside_the_header_is_refused_without_running_it(saved, tmp_path):
    marker = tmp_path / "pwned"
    metadata, config, tensors = read_model_file(saved)
    metadata["config"] = pickle_payload(marker).decode("latin-1")
    write_metadata(saved, metadata, tensors)
    with pytest.raises(ValueError, match="not valid JSON"):
        load(saved)
    # A payload smuggled into a value stays a string.
    config["params"]["activation"] = pickle_payload(marker).decode("latin-1")
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="invalid parameters.*activation"):
        load(saved)
    assert not marker.exists()


def test_safetensors_file_of_another_library_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not an sk_autoencoder model file"):
        load(path)


@pytest.mark.parametrize("name", ["Pipeline", "os.system", "BaseAutoencoder", None])
def test_unknown_class_is_refused(saved, name):
    metadata, config, tensors = read_model_file(saved)
    config["class"] = name
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="not one of sk_autoencoder's estimators"):
        load(saved)


@pytest.mark.parametrize("version", ["", "one", "²", "-1"])
def test_format_version_that_is_no_number_is_refused(saved, version):
    metadata, config, tensors = read_model_file(saved)
    metadata["format_version"] = version
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="format version .* is not a number"):
        load(saved)


def test_newer_format_version_is_refused(saved):
    metadata, config, tensors = read_model_file(saved)
    metadata["format_version"] = "99"
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="newer sk_autoencoder.*format 99"):
        load(saved)


def header_end(path):
    """Where the tensors' bytes begin: after safetensors' 8-byte length and the JSON header."""
    return 8 + int.from_bytes(path.read_bytes()[:8], "little")


def flip_bit(path, offset, bit=0):
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


def refused(path, message):
    return pytest.raises(ValueError, match=f"Cannot load {re.escape(repr(str(path)))}: {message}")


CORRUPTED = "changed since it was saved .*: the file is corrupted or was edited"


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0], ids=["first", "middle", "last"])
def test_a_flipped_bit_in_the_weights_is_refused(saved, fitted, X, where):
    assert_array_equal(load(saved).transform(X), fitted.transform(X))
    start, end = header_end(saved), saved.stat().st_size
    flip_bit(saved, start + round(where * (end - 1 - start)))
    with refused(saved, f"its weights {CORRUPTED}"):
        load(saved)
    # The same byte flipped back: the file is intact again.
    flip_bit(saved, start + round(where * (end - 1 - start)))
    assert_array_equal(load(saved).transform(X), fitted.transform(X))


@pytest.mark.parametrize(
    "before, after, message",
    [
        # A parameter that still parses: without the digest, a different model.
        (b'\\"max_iter\\": 2', b'\\"max_iter\\": 3', f"its header .* {CORRUPTED}"),
        # An older format, which has no digests: present, they are checked.
        (b'"format_version":"3"', b'"format_version":"2"', f"its header .* {CORRUPTED}"),
        # A weight's dtype of the same width: the same bytes, other numbers.
        (b'"dtype":"F32"', b'"dtype":"I32"', f"its weights {CORRUPTED}"),
    ],
    ids=["parameter", "format-version", "dtype"],
)
def test_an_edited_header_is_refused(saved, before, after, message):
    data = saved.read_bytes()
    assert data.count(before) >= 1 and data.index(before) < header_end(saved)
    saved.write_bytes(data.replace(before, after, 1))
    with refused(saved, message):
        load(saved)


def test_any_flipped_bit_of_the_header_is_refused(saved):
    # Every 29th byte, each with another bit: a sample of the header's
    # parts (lengths, tensor names, dtypes, shapes, offsets, JSON, digests).
    for offset in range(0, header_end(saved), 29):
        flip_bit(saved, offset, bit=offset % 8)
        with refused(saved, ""):
            load(saved)
        flip_bit(saved, offset, bit=offset % 8)


def test_a_file_saved_before_digests_loads_unchecked(saved, fitted, X):
    metadata, _, tensors = read_model_file(saved)
    assert set(DIGESTS) <= set(metadata)
    # What save wrote before format 3: the same file without digests.
    older = {key: value for key, value in metadata.items() if key not in DIGESTS}
    save_file(tensors, saved, metadata={**older, "format_version": "2"})
    assert_array_equal(load(saved).transform(X), fitted.transform(X))
    # In format 3, a file without digests had them removed.
    save_file(tensors, saved, metadata=older)
    with refused(saved, "it records no checksum of its weights"):
        load(saved)


def test_weights_digest_covers_names_dtypes_shapes_and_bytes_in_a_fixed_order():
    weights = {"a": torch.arange(6.0).reshape(2, 3), "b": torch.tensor(1.0)}
    digest = weights_digest(weights)
    assert weights_digest(dict(reversed(list(weights.items())))) == digest
    variants = [
        {**weights, "a": weights["a"].reshape(3, 2)},
        {**weights, "a": weights["a"].view(torch.int32)},
        {"c": weights["a"], "b": weights["b"]},
        {**weights, "b": torch.tensor(1.0 + 2**-23)},
        {"a": weights["a"]},
    ]
    digests = {weights_digest(variant) for variant in variants}
    assert digest not in digests and len(digests) == len(variants)


def test_weight_of_wrong_shape_is_refused(saved):
    metadata, config, tensors = read_model_file(saved)
    name = next(key for key in tensors if key.startswith("module.") and key.endswith("weight"))
    tensors[name] = torch.zeros(tensors[name].shape[0] + 1, tensors[name].shape[1])
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="weight .* has shape"):
        load(saved)


def test_missing_or_extra_weights_are_refused(saved):
    metadata, config, tensors = read_model_file(saved)
    tensors["module.extra"] = torch.zeros(1)
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="do not fit the model.*unexpected.*extra"):
        load(saved)


def test_parameters_that_change_the_architecture_are_refused(saved):
    metadata, config, tensors = read_model_file(saved)
    config["params"]["hidden_layer_sizes"] = {"__type__": "tuple", "items": [9]}
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="has shape"):
        load(saved)


def test_optimizer_state_of_wrong_shape_is_refused(saved):
    metadata, config, tensors = read_model_file(saved)
    tensors["optimizer.0.exp_avg"] = torch.zeros(3, 3, 3)
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match="optimizer tensor 'optimizer.0.exp_avg'"):
        load(saved)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("transform", 1, "would hide"),
        ("__class__", 1, "not a fitted attribute"),
        ("net_", 1, "not a fitted attribute"),
        ("mean_", [1.0, 2.0], "mean_ is missing or invalid"),
        ("scale_", -1.0, "scale_ is missing or invalid"),
        ("code_", {"__type__": "pickle", "data": "gASV"}, "unsupported value"),
        ("code_", {"__type__": "ndarray", "dtype": "object", "shape": [1], "data": [1]}, "type"),
        ("code_", {"__type__": "ndarray", "dtype": "V8", "shape": [1], "data": [1]}, "dtype"),
        ("code_", {"__type__": "ndarray", "dtype": "int8", "shape": [9], "data": [1]}, "shape"),
        ("code_", {"__type__": "ndarray", "dtype": "int8", "shape": [1], "data": [999]}, "int8"),
        ("code_", {"__type__": "device", "value": "cuda; import os"}, "unsupported value"),
    ],
)
def test_tampered_attributes_are_refused(saved, name, value, message):
    metadata, config, tensors = read_model_file(saved)
    config["attributes"][name] = value
    write_model_file(saved, metadata, config, tensors)
    with pytest.raises(ValueError, match=message):
        load(saved)


def test_cuda_model_loads_on_a_cpu_only_machine(fitted, X, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    # What a model trained on a GPU looks like once its tensors are saved
    # (save moves them to the CPU): device parameter and device_ say CUDA.
    trained_on_gpu = load_copy(fitted, tmp_path)
    trained_on_gpu.set_params(device="cuda")
    trained_on_gpu.device_ = torch.device("cuda")
    save(trained_on_gpu, tmp_path / "gpu.safetensors")
    loaded = load(tmp_path / "gpu.safetensors")
    assert loaded.device_ == torch.device("cpu")
    assert_array_equal(loaded.transform(X), fitted.transform(X))
    with pytest.raises(ValueError, match="CUDA"):
        load(tmp_path / "gpu.safetensors", device="cuda")


def load_copy(estimator, tmp_path):
    save(estimator, tmp_path / "copy.safetensors")
    return load(tmp_path / "copy.safetensors")


class Recorder(Callback):
    pass


@pytest.mark.parametrize(
    "params, name",
    [
        ({"callbacks": [Recorder()]}, "callbacks"),
        ({"net_params": {"optimizer": torch.optim.SGD}}, "net_params"),
        ({"random_state": np.random.RandomState(0)}, "random_state"),
    ],
)
def test_parameters_that_are_not_data_are_refused_at_save(fitted, tmp_path, params, name):
    estimator = load_copy(fitted, tmp_path).set_params(**params)
    with pytest.raises(TypeError, match=f"Cannot save parameter {name}="):
        save(estimator, tmp_path / "model.safetensors")


def test_data_like_net_params_are_saved(X, tmp_path):
    estimator = AutoencoderTransformer(
        hidden_layer_sizes=(), net_params={"optimizer__weight_decay": 0.01}, **FAST
    ).fit(X)
    loaded = load_copy(estimator, tmp_path)
    assert loaded.net_params == {"optimizer__weight_decay": 0.01}
    assert loaded.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01


def test_unfitted_or_foreign_estimators_are_refused_at_save(tmp_path):
    with pytest.raises(NotFittedError):
        save(AutoencoderTransformer(), tmp_path / "model.safetensors")

    class Custom(AutoencoderTransformer):
        pass

    with pytest.raises(TypeError, match="estimators of sk_autoencoder"):
        save(Custom(), tmp_path / "model.safetensors")


@pytest.mark.parametrize("dump, restore", [(pickle.dumps, pickle.loads), (None, None)])
def test_pickle_and_joblib_keep_working(X, tmp_path, dump, restore):
    # verbose=1 once left an unpicklable progress bar on the fitted net.
    estimator = AutoencoderTransformer(hidden_layer_sizes=(8,), verbose=1, **FAST).fit(X)
    if dump is None:
        joblib.dump(estimator, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    else:
        restored = restore(dump(estimator))
    assert_array_equal(restored.transform(X), estimator.transform(X))


def test_a_streamed_model_goes_on_streaming_after_loading_as_without_saving(X, tmp_path):
    # The incremental PCA the network follows is saved as plain arrays.
    estimator = AutoencoderTransformer(hidden_layer_sizes=(8,), **FAST)
    for chunk in np.array_split(X, 3):
        estimator.partial_fit(chunk)
    save(estimator, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    estimator.partial_fit(X[:100])
    loaded.partial_fit(X[:100])
    assert_array_equal(loaded.transform(X), estimator.transform(X))


def test_a_file_naming_an_untrusted_module_imports_nothing(X, tmp_path):
    # A tampered name points into a module nobody imported: load refuses it
    # without importing that module, so no code of the file's choice runs.
    estimator = small(CustomAutoencoderTransformer).fit(X)
    save(estimator, tmp_path / "model.safetensors")
    metadata, config, tensors = read_model_file(tmp_path / "model.safetensors")
    assert "tabnanny" not in sys.modules
    config["params"]["encoder"]["name"] = "tabnanny.NannyNag"
    write_model_file(tmp_path / "model.safetensors", metadata, config, tensors)
    with pytest.raises(ValueError, match="encoder is the class 'tabnanny.NannyNag'"):
        load(tmp_path / "model.safetensors", trusted=TRUSTED)
    assert "tabnanny" not in sys.modules
