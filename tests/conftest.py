"""Shared test fixtures."""

import pytest
import torch


@pytest.fixture
def one_torch_thread():
    """Run torch on one thread, as a joblib worker would.

    On a small, busy machine torch's default of one thread per core can make
    tiny networks ten times slower; results do not depend on it.
    """
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
