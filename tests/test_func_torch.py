"""Second derivatives agree with PyTorch's (float64, rtol 1e-8), on committed fixtures.

`tests/make_higher_fixtures.py` wrote them with torch; these tests never need torch. For
every case of `higher_cases.py` (every op family, each loss): the Hessian-vector product of
s(x) = Σ f(x) ⊙ R along random directions v, and the second derivative vᵀHv along v. For
the digits MLP with 2 hidden units (160 parameters): its whole Hessian.
"""
import os

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, func

import higher_cases

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
