"""tinygrad_opt.func agrees with PyTorch's torch.autograd.functional.

Second derivatives (float64, rtol 1e-8), on committed fixtures that
`tests/make_higher_fixtures.py` wrote with torch — these tests never need torch. For every
case of `higher_cases.py` (every op family, each loss): the Hessian-vector product of
s(x) = Σ f(x) ⊙ R along random directions v, and the second derivative vᵀHv along v. For the
digits MLP with 2 hidden units (160 parameters): its whole Hessian.

The arguments, live against torch (skipped without it): the signatures; every place where
`strict=True` raises (same exception, same message) and the zeros without it; the refused
combinations of `vectorize`/`strategy`; the `vectorize` and forward-mode results (rtol 1e-10).
"""
import inspect
import os

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, func

import higher_cases
import strict_cases

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "higher")
RTOL, ATOL = 1e-8, 1e-12


@pytest.mark.parametrize("name", sorted(higher_cases.CASES))
def test_hessian_vector_product_matches_pytorch(name):
    fixture = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    fn = higher_cases.CASES[name][0]
    count = len(higher_cases.CASES[name][1])
    inputs = tuple(Tensor(fixture[f"input{i}"], dtype=np.float64) for i in range(count))
    directions = tuple(Tensor(fixture[f"direction{i}"], dtype=np.float64) for i in range(count))
    projection = fixture["projection"]

    def s(*xs):
        return (fn(tg, F, *xs) * projection).sum()

    _, products = func.hvp(s, inputs, directions)
    for i, product in enumerate(products):
        np.testing.assert_allclose(product.data, fixture[f"hv{i}"], rtol=RTOL, atol=ATOL)
    second = sum(float((p.data * v.data).sum()) for p, v in zip(products, directions))
    np.testing.assert_allclose(second, fixture["second"], rtol=RTOL, atol=ATOL)


def test_digits_mlp_hessian_matches_pytorch():
    fixture = np.load(os.path.join(FIXTURES, "digits_mlp_hessian.npz"))
    images, labels = Tensor(fixture["images"], dtype=np.float64), Tensor(fixture["labels"])

    def loss(theta):
        return higher_cases.mlp_loss(tg, F, theta, images, labels)

    theta = Tensor(fixture["theta"], dtype=np.float64)
    assert loss(theta).item() == pytest.approx(float(fixture["loss"]), rel=1e-12)
    hessian = func.hessian(loss, theta).data
    assert hessian.shape == (160, 160)
    np.testing.assert_allclose(hessian, fixture["hessian"], rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------- live against torch
TORCH_SHAPED = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    return torch


@pytest.fixture(scope="module")
def functional(torch):
    import torch.autograd.functional
    return torch.autograd.functional


@pytest.mark.parametrize("name", TORCH_SHAPED)
def test_signatures_are_pytorchs(functional, name):
    ours, theirs = inspect.signature(getattr(func, name)), inspect.signature(getattr(functional, name))
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
           [(p.name, p.default, p.kind) for p in theirs.parameters.values()]


def outcome(call, numpy_of):
    """What a call gives: ("raises", type, message) or ("returns", [(array, requires_grad), ...])."""
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 — the exception itself is what is compared
        return ("raises", type(error).__name__, str(error))

    def flat(result):
        if isinstance(result, (tuple, list)):
            return [leaf for part in result for leaf in flat(part)]
        return [(numpy_of(result), bool(result.requires_grad))]
    return ("returns", flat(result))


def assert_same_outcome(ours, theirs, requires_grad=True):
    assert ours[0] == theirs[0], f"ours {ours}, PyTorch's {theirs}"
    if ours[0] == "raises":
        assert ours[1:] == theirs[1:]
        return
    assert len(ours[1]) == len(theirs[1])
    for (value, recorded), (expected, expected_recorded) in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
        if requires_grad:
            assert recorded == expected_recorded


def call_both(torch, functional, name, make_arguments, **options):
    """(ours, PyTorch's) outcome of `name` on the arguments `make_arguments(M)` builds."""
    results = []
    for M, module, numpy_of in ((tg, func, lambda t: t.data), (torch, functional, lambda t: t.detach().numpy())):
        args = make_arguments(M)
        results.append(outcome(lambda: getattr(module, name)(*args, **options), numpy_of))
    return results


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("case", sorted(strict_cases.CASES))
def test_strict_cases_against_pytorch(torch, functional, case, strict):
    name, _, _, _, options, _, message = strict_cases.CASES[case]

    def make_arguments(M):
        f, inputs, v, _, _ = strict_cases.arguments(M, case)
        return (f, inputs) + (() if v is None else (v,))
    ours, theirs = call_both(torch, functional, name, make_arguments, strict=strict, **options)
    assert_same_outcome(ours, theirs)
    if strict:  # and the table test_func.py checks without torch says what PyTorch says
        assert theirs == ("raises", "RuntimeError", message)


@pytest.mark.parametrize("name, f", [("vjp", lambda x: 2 * x), ("jvp", lambda x: 2 * x),
                                     ("vhp", lambda x: (x * x).sum()), ("hvp", lambda x: (x * x).sum())])
def test_a_direction_that_requires_grad_keeps_strict_quiet_as_in_pytorch(torch, functional, name, f):
    def make_arguments(M):
        return f, M.tensor(strict_cases.X, dtype=M.float64), M.tensor(strict_cases.V, dtype=M.float64,
                                                                        requires_grad=True)
    ours, theirs = call_both(torch, functional, name, make_arguments, create_graph=True, strict=True)
    assert_same_outcome(ours, theirs)
    assert theirs[0] == "returns" and theirs[1][1][1]         # the product requires grad (through v)


@pytest.mark.parametrize("create_graph", [False, True])
def test_the_argument_is_told_apart_from_the_same_tensor_captured_as_in_pytorch(torch, functional, create_graph):
    def make_arguments(M):
        x = M.tensor([1.0, 2.0], dtype=M.float64, requires_grad=True)
        return (lambda y: x * y.exp()), x
    ours, theirs = call_both(torch, functional, "jacobian", make_arguments, create_graph=create_graph)
    assert_same_outcome(ours, theirs)


@pytest.mark.parametrize("name", ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"])
def test_a_function_that_returns_no_tensor_is_refused_as_in_pytorch(torch, functional, name):
    def make_arguments(M):
        x = M.tensor([1.0], dtype=M.float64)
        return ((lambda y: 2.0), x) + ((x,) if name not in ("jacobian", "hessian") else ())
    ours, theirs = call_both(torch, functional, name, make_arguments)
    assert_same_outcome(ours, theirs)


JACOBIAN_OPTIONS = [
    {"strategy": "sideways"},
    {"strategy": "forward-mode"},
    {"strategy": "forward-mode", "vectorize": True, "create_graph": True},
    {"strategy": "forward-mode", "vectorize": True, "strict": True},
    {"strategy": "forward-mode", "vectorize": True},
    {"vectorize": True},
    {"vectorize": True, "strict": True},
    {"vectorize": True, "create_graph": True},
]


def several(M):
    x = M.tensor([0.3, -0.7, 1.1], dtype=M.float64)
    y = M.tensor([0.5, 2.0], dtype=M.float64)
    return x, y


@pytest.mark.parametrize("options", JACOBIAN_OPTIONS, ids=str)
def test_jacobian_options_against_pytorch(torch, functional, options):
    def make_arguments(M):
        return (lambda x, y: ((x * y[0]).tanh(), (x * x).sum() * y)), several(M)
    ours, theirs = call_both(torch, functional, "jacobian", make_arguments, **options)
    assert_same_outcome(ours, theirs)


@pytest.mark.parametrize("options", JACOBIAN_OPTIONS, ids=str)
def test_hessian_options_against_pytorch(torch, functional, options):
    options = {("outer_jacobian_strategy" if key == "strategy" else key): value for key, value in options.items()}

    def make_arguments(M):
        return (lambda x, y: ((x * y[0]).tanh() * (x * x).sum()).sum() + (y ** 3).sum()), several(M)
    ours, theirs = call_both(torch, functional, "hessian", make_arguments, **options)
    # PyTorch's forward-over-reverse Hessian comes back with a grad_fn although create_graph is
    # False (its dual inputs are made to require grad); ours is cut off from the graph, as asked.
    assert_same_outcome(ours, theirs, requires_grad=options.get("outer_jacobian_strategy") != "forward-mode")


# Ops whose derivative is piecewise constant — sign(x) for abs and l1, the mask of relu and
# leaky_relu: PyTorch's backward computes it from x inside the graph (a dependence whose own
# derivative is 0), ours as a constant. So where PyTorch's second derivative is recorded as
# depending on x, ours is a constant, and strict (which looks at exactly that) raises here
# where PyTorch's does not. The numbers agree; only what the two graphs record differs.
PIECEWISE_CONSTANT_DERIVATIVES = {"l1", "relu_abs_leaky"}


@pytest.mark.parametrize("name", sorted(higher_cases.CASES))
def test_strict_and_create_graph_agree_with_pytorch_on_every_op(torch, functional, name):
    fn, specs = higher_cases.CASES[name]
    rng = np.random.default_rng(sorted(higher_cases.CASES).index(name))
    arrays = [rng.uniform(low, high, size=shape) for shape, low, high in specs]
    out_shape = fn(tg, F, *[Tensor(a, dtype=np.float64) for a in arrays]).shape
    projection, u = rng.standard_normal(out_shape), rng.standard_normal(out_shape)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    small = sum(a.size for a in arrays) <= 12
    for function in ["vjp", "jvp", "vhp", "hvp"] + (["jacobian", "hessian"] if small else []):
        for strict in (False, True):
            if strict and name in PIECEWISE_CONSTANT_DERIVATIVES:
                continue
            for create_graph in (False, True):
                def make_arguments(M):
                    nf = torch.nn.functional if M is torch else F
                    tensor = (lambda a: M.tensor(a, dtype=M.float64))
                    xs = tuple(tensor(a) for a in arrays)
                    if function in ("vhp", "hvp", "hessian"):
                        f = (lambda *x: (fn(M, nf, *x) * tensor(projection)).sum())
                    else:
                        f = (lambda *x: fn(M, nf, *x))
                    if function in ("jacobian", "hessian"):
                        return f, xs
                    return f, xs, (tensor(u) if function == "vjp" else tuple(tensor(d) for d in directions))
                ours, theirs = call_both(torch, functional, function, make_arguments, strict=strict,
                                         create_graph=create_graph)
                assert_same_outcome(ours, theirs, requires_grad=name not in PIECEWISE_CONSTANT_DERIVATIVES)
