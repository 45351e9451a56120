"""The fused numba kernels give the same bits as the rules' plain bodies, for every rule and option.

Both paths run the same 12 steps from the same parameters and gradients; parameters and every
state buffer must be equal to the last bit (np.array_equal), in float32 and float64, for small
arrays (serial loop) and arrays large enough to be split across cores.
"""
import threading

import numpy as np
import pytest

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import kernels

pytest.importorskip("numba")

CONFIGS = [
    ("sgd", optim.SGD, dict(lr=0.1)),
    ("sgd-momentum", optim.SGD, dict(lr=0.1, momentum=0.9)),
    ("sgd-dampening-wd", optim.SGD, dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("sgd-nesterov-maximize", optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("sgd-wd-maximize", optim.SGD, dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("momentum", optim.Momentum, dict(lr=0.05)),
    ("momentum-nesterov-wd", optim.Momentum, dict(lr=0.05, nesterov=True, weight_decay=0.1)),
    ("momentum-maximize", optim.Momentum, dict(lr=0.05, maximize=True)),
    ("nag", optim.NAG, dict(lr=0.05)),
    ("nag-wd-maximize", optim.NAG, dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("adagrad", optim.AdaGrad, dict(lr=0.1)),
    ("adagrad-decay-wd-init", optim.AdaGrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                                   initial_accumulator_value=0.5, maximize=True)),
    ("rmsprop", optim.RMSProp, dict(lr=0.01)),
    ("rmsprop-notes-alpha", optim.RMSProp, dict(lr=0.01, alpha=0.9)),
    ("rmsprop-centered-momentum", optim.RMSProp, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("rmsprop-small-alpha-maximize", optim.RMSProp, dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    ("adam", optim.Adam, dict(lr=0.01)),
    ("adam-amsgrad-wd", optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("adam-small-beta1-maximize", optim.Adam, dict(lr=0.01, betas=(0.3, 0.9), maximize=True)),
    ("adam-decoupled", optim.Adam, dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("adamw", optim.AdamW, dict(lr=0.01)),
    ("adamw-amsgrad", optim.AdamW, dict(lr=0.01, amsgrad=True, weight_decay=0.5)),
    ("adadelta", optim.Adadelta, dict()),
    ("adadelta-lr-rho-eps", optim.Adadelta, dict(lr=0.5, rho=0.95, eps=1e-4)),
    ("adadelta-wd-maximize", optim.Adadelta, dict(lr=0.3, rho=0.5, weight_decay=0.1, maximize=True)),
    ("adamax", optim.AdaMax, dict(lr=0.01)),
    ("adamax-wd-eps", optim.AdaMax, dict(lr=0.01, eps=1e-3, weight_decay=0.1)),
    ("adamax-small-beta1-maximize", optim.AdaMax, dict(lr=0.01, betas=(0.3, 0.5), maximize=True)),
    ("nadam", optim.Nadam, dict(lr=0.01)),
    ("nadam-wd-momentum-decay", optim.Nadam, dict(lr=0.01, weight_decay=0.1, momentum_decay=0.3)),
    ("nadam-decoupled-maximize", optim.Nadam, dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True,
                                                   maximize=True)),
    ("nadam-small-beta1", optim.Nadam, dict(lr=0.01, betas=(0.3, 0.9), eps=1e-3)),
    # β2 = 0.999 and 0.9 rectify from step 6 of the 12; β2 = 0.5 (ρ_∞ = 3) never does.
    ("radam", optim.RAdam, dict(lr=0.01)),
    ("radam-rectified-wd", optim.RAdam, dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ("radam-decoupled-maximize", optim.RAdam, dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.2,
                                                   decoupled_weight_decay=True, maximize=True)),
    ("radam-never-rectified", optim.RAdam, dict(lr=0.01, betas=(0.9, 0.5), eps=1e-3)),
]


def run(backend, rule, hyper, dtype, size, steps=12):
    rng = np.random.default_rng(0)
    params = [Tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
              for shape in ((size, 3), (3,))]
    optimizer = rule(params, **hyper)
    kernels.use_kernels(backend)
    try:
        for _ in range(steps):
            for p in params:
                p.grad = Tensor(rng.standard_normal(p.shape), dtype=dtype)
            optimizer.step()
    finally:
        kernels.use_kernels("auto")
    return [p.data for p in params], [dict(optimizer.state[p]) for p in params]


SMALL_PARALLEL_THRESHOLD = 4096  # so the parallel loops are exercised on small arrays


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [5, SMALL_PARALLEL_THRESHOLD])
@pytest.mark.parametrize("name, rule, hyper", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_kernel_path_is_bit_identical_to_numpy_path(name, rule, hyper, dtype, size, monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_THRESHOLD", SMALL_PARALLEL_THRESHOLD)
    numpy_params, numpy_state = run("numpy", rule, hyper, dtype, size)
    numba_params, numba_state = run("numba", rule, hyper, dtype, size)
    for ours, theirs in zip(numba_params, numpy_params):
        assert ours.dtype == dtype
        assert np.array_equal(ours, theirs)
    for ours, theirs in zip(numba_state, numpy_state):
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert np.array_equal(ours[key], theirs[key]), key


@pytest.mark.parametrize("name, rule, hyper", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_the_kernel_path_really_runs_a_kernel(name, rule, hyper):
    # Otherwise the test above would compare the plain body with itself.
    p = Tensor(np.ones(4), requires_grad=True)
    optimizer = rule([p], **hyper)
    group = optimizer.param_groups[0]
    state = optimizer._init_state(p.data, group)
    if "step" in state:
        state["step"] = 1
    kernels.use_kernels("numba")
    try:
        assert kernels.fused_update_for(rule)(p.data, np.ones(4, np.float32), state, group) is True
    finally:
        kernels.use_kernels("auto")
    assert not np.array_equal(p.data, np.ones(4))


def test_kernels_are_chosen_only_where_they_apply():
    contiguous = np.zeros((4, 4), np.float32)
    kernels.use_kernels("numba")
    try:
        assert kernels.kernel_for("adam", contiguous, contiguous) is not None
        assert kernels.kernel_for("adam", contiguous.T, contiguous) is None          # not C-contiguous
        assert kernels.kernel_for("adam", contiguous, contiguous.astype(np.float64)) is None  # mixed dtypes
        assert kernels.kernel_for("adam", contiguous.astype(np.float16)) is None     # no float16 kernel
    finally:
        kernels.use_kernels("auto")
    assert kernels.kernel_for("adam", contiguous, contiguous) is not None  # auto, numba loaded by now
    kernels.use_kernels("numpy")
    try:
        assert kernels.backend() == "numpy"
        assert kernels.kernel_for("adam", contiguous, contiguous) is None
    finally:
        kernels.use_kernels("auto")
    assert kernels.backend() == "numba"


def test_auto_loads_numba_only_for_a_large_parameter_and_in_the_background(monkeypatch):
    """A short run on small parameters never pays numba's start-up; a large one starts the load
    in a background thread, runs the plain bodies meanwhile, and the kernels after it."""
    loading, calls = threading.Event(), []

    def slow_compile():
        calls.append("load")
        assert loading.wait(10)
        return {"adam": ("serial kernel", "parallel kernel")}

    monkeypatch.setattr(kernels, "_mode", "auto")
    monkeypatch.setattr(kernels, "_compiled", None)
    monkeypatch.setattr(kernels, "_loader", None)
    monkeypatch.setattr(kernels, "_import_and_compile", slow_compile)
    small = np.zeros(kernels.AUTO_THRESHOLD - 1, np.float32)
    large = np.zeros(kernels.AUTO_THRESHOLD, np.float32)
    assert kernels.kernel_for("adam", small, small) is None
    assert calls == [] and kernels._loader is None          # nothing started for small arrays
    assert kernels.kernel_for("adam", large, large) is None  # the load starts, the step runs on numpy
    assert kernels.kernel_for("adam", large, large) is None  # still loading: not waited for
    loading.set()
    kernels._loader.join(10)
    assert calls == ["load"]
    assert kernels.kernel_for("adam", small, small) == "serial kernel"   # loaded: every size


def test_loops_are_split_across_cores_only_when_asked(monkeypatch):
    """Serial by default (in training the split loop loses to the matmuls' spinning BLAS
    threads); from `PARALLEL_THRESHOLD` numbers up when it is set."""
    monkeypatch.setattr(kernels, "_mode", "numba")
    monkeypatch.setattr(kernels, "_compiled", {"adam": ("serial kernel", "parallel kernel")})
    huge = np.zeros(1 << 20, np.float32)
    assert kernels.PARALLEL_THRESHOLD is None
    assert kernels.kernel_for("adam", huge, huge) == "serial kernel"
    monkeypatch.setattr(kernels, "PARALLEL_THRESHOLD", 1 << 20)
    assert kernels.kernel_for("adam", huge, huge) == "parallel kernel"
    assert kernels.kernel_for("adam", huge[1:], huge[1:]) == "serial kernel"


def test_steps_ask_for_no_kernel_when_none_can_run(monkeypatch):
    """With the numpy path chosen, or numba missing (known when the module loads), step() goes
    straight to the plain bodies."""
    p = Tensor(np.ones(4, np.float32), requires_grad=True)
    optimizer = optim.Adam([p])

    def refuse(*args):
        raise AssertionError("a kernel was asked for")
    monkeypatch.setattr(optimizer, "_fused_update", refuse)
    for mode, compiled in (("numpy", None), ("auto", False)):
        monkeypatch.setattr(kernels, "_mode", mode)
        monkeypatch.setattr(kernels, "_compiled", compiled)
        assert not kernels.may_apply()
        p.grad = Tensor(np.ones(4, np.float32))
        optimizer.step()
    assert optimizer.state[p]["step"] == 2
    monkeypatch.setattr(kernels, "_mode", "auto")
    monkeypatch.setattr(kernels, "_compiled", None)
    assert kernels.may_apply()
    with pytest.raises(AssertionError, match="a kernel was asked for"):
        optimizer.step()


def test_unknown_kernel_mode_is_rejected():
    with pytest.raises(ValueError, match="mode must be one of auto, numba, numpy"):
        kernels.use_kernels("fast")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_zero_division_gives_nan_like_numpy_instead_of_raising(backend):
    # AdaGrad with eps = 0 and a zero gradient computes 0 / (√0 + 0): numpy says nan.
    p = Tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.AdaGrad([p], lr=0.1, eps=0)
    p.grad = Tensor([0.0, 1.0])
    kernels.use_kernels(backend)
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            optimizer.step()
    finally:
        kernels.use_kernels("auto")
    assert np.isnan(p.data[0]) and p.data[1] == np.float32(2.0) - np.float32(0.1)
