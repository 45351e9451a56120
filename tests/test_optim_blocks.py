"""The numpy path runs a large parameter's update block by block: the same bits as in one piece."""
import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.optim import optimizer, registry

from rule_configs import CASES, assert_same_state

pytestmark = pytest.mark.usefixtures("numpy_path")


def _run(name, config, block_size, monkeypatch, dtype, shape=(5, 11), steps=4, transpose=False):
    monkeypatch.setattr(optimizer, "BLOCK_SIZE", block_size)
    rng = np.random.default_rng(7)
    data = rng.normal(size=shape).astype(dtype)
    w = Tensor(data.T if transpose else data, requires_grad=True, dtype=dtype)
    opt = registry.get(name).cls([w], lr={"adadelta": 1.0}.get(name, 0.05), **config)
    for _ in range(steps):
        grad = rng.normal(size=shape).astype(dtype)
        w.grad = Tensor(grad.T if transpose else grad, dtype=dtype)
        opt.step()
    return w.data, opt.state[w]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, config", CASES, ids=[f"{n}-{'-'.join(c) or 'defaults'}" for n, c in CASES])
def test_blocks_give_the_bits_of_one_piece(name, config, dtype, monkeypatch):
    # 55 numbers in blocks of 8: six full blocks and a short one. The state is compared too:
    # arrays made in the first step (SGD's momentum buffer) and numbers updated once per step
    # (Nadam's Π_t) must come out as if the body had run once.
    whole, whole_state = _run(name, config, 1 << 30, monkeypatch, dtype)
    blocked, blocked_state = _run(name, config, 8, monkeypatch, dtype)
    np.testing.assert_array_equal(blocked, whole)
    assert_same_state(blocked_state, whole_state)


def test_a_parameter_that_is_not_contiguous_is_updated_in_one_piece(monkeypatch):
    # A transposed view cannot be flattened without a copy, so blocks would update the copy.
    whole, _ = _run("adam", {}, 1 << 30, monkeypatch, "float64", transpose=True)
    blocked, _ = _run("adam", {}, 8, monkeypatch, "float64", transpose=True)
    assert not blocked.flags.c_contiguous
    np.testing.assert_array_equal(blocked, whole)
    untouched, _ = _run("adam", {}, 8, monkeypatch, "float64", steps=0, transpose=True)
    assert not np.array_equal(blocked, untouched)
