"""Every example runs, in the examples' quick mode, and writes a non-empty figure."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))


@pytest.fixture
def quick_examples(tmp_path, monkeypatch, one_torch_thread):
    """Tiny settings, figures into ``tmp_path``, and ``_common`` importable as in a run."""
    monkeypatch.setenv("SK_AUTOENCODER_EXAMPLES_QUICK", "1")
    monkeypatch.setenv("SK_AUTOENCODER_EXAMPLES_OUT", str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLES_DIR))
    # _common reads the environment when imported: import it afresh for each test.
    monkeypatch.delitem(sys.modules, "_common", raising=False)
    return tmp_path


def test_examples_found():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_saves_figure(example, quick_examples):
    namespace = runpy.run_path(str(example), run_name="__main__")
    figures = list(quick_examples.glob("*.png"))
    assert figures, f"{example.name} saved no PNG"
    assert all(figure.stat().st_size > 1000 for figure in figures)
    # One computed number per example, where there is one to check cheaply.
    if "aucs" in namespace:
        assert all(0 <= auc <= 1 for auc in namespace["aucs"].values())
    if "search" in namespace:
        assert 0 <= namespace["search"].best_score_ <= 1
    if "maps" in namespace:
        assert all(codes.shape[1] == 2 for codes in namespace["maps"].values())
