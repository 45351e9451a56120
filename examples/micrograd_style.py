"""Backpropagation by hand and by the engine, on numbers small enough to check on paper.

Two of micrograd's examples, written with tinygrad_opt's Tensor holding 0-d (scalar) values:

1. One neuron, o = tanh(x1*w1 + x2*w2 + b). Every intermediate value and gradient is
   printed next to the chain rule worked out by hand, and the two must agree.
2. micrograd's README expression, with reused variables, += and relu, where the engine's
   gradients must match micrograd's published ones (and a finite-difference estimate).

    python examples/micrograd_style.py

Exits with status 1 if any gradient disagrees with its hand-derived value.
"""
import argparse
import math
import sys

import numpy as np

import tinygrad_opt as tg


def scalar(value, name):
    """A 0-d float64 tensor that records operations, so backward() fills its .grad."""
    return tg.Tensor(value, requires_grad=True, dtype=np.float64, name=name)


def neuron():
    """o = tanh(n), n = x1*w1 + x2*w2 + b, with micrograd's numbers (b chosen so n ≈ 0.8814)."""
    x1, x2 = scalar(2.0, "x1"), scalar(0.0, "x2")
    w1, w2 = scalar(-3.0, "w1"), scalar(1.0, "w2")
    b = scalar(6.8813735870195432, "b")

    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1_x2w2 = x1w1 + x2w2
    n = x1w1_x2w2 + b
    o = n.tanh()
    for intermediate in (x1w1, x2w2, x1w1_x2w2, n):
        intermediate.retain_grad()  # keep the gradients of non-leaf tensors, to print them
    o.backward()

    # The chain rule, backwards from do/do = 1, one local derivative at a time:
    do_dn = 1 - math.tanh(n.item()) ** 2          # tanh'(n) = 1 - tanh(n)^2 = 1 - o^2
    do_db = do_dn * 1                             # n = (x1w1 + x2w2) + b: a sum passes the gradient on
    do_dsum = do_dn * 1
    do_dx1w1 = do_dsum * 1
    do_dx2w2 = do_dsum * 1
    by_hand = {
        "n": do_dn, "b": do_db, "x1w1 + x2w2": do_dsum, "x1w1": do_dx1w1, "x2w2": do_dx2w2,
        "x1": do_dx1w1 * w1.item(),               # d(x1*w1)/dx1 = w1
        "w1": do_dx1w1 * x1.item(),               # d(x1*w1)/dw1 = x1
        "x2": do_dx2w2 * w2.item(),
        "w2": do_dx2w2 * x2.item(),
    }
    engine = {"n": n, "b": b, "x1w1 + x2w2": x1w1_x2w2, "x1w1": x1w1, "x2w2": x2w2,
              "x1": x1, "w1": w1, "x2": x2, "w2": w2}

    print(f"one neuron: o = tanh(x1*w1 + x2*w2 + b) = {o.item():.4f}")
    return compare("do/d", engine, by_hand)


def micrograd_expression():
    """The expression from micrograd's README; its published result is g = 24.7041,
    dg/da = 138.8338 and dg/db = 645.5773."""
    def g_of(a, b):
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        return g

    a, b = scalar(-4.0, "a"), scalar(2.0, "b")
    g = g_of(a, b)
    g.backward()

    # A central difference (g(a+h) - g(a-h)) / 2h checks the same slopes without any chain rule.
    h = 1e-6
    def slope(da, db):
        plus = g_of(tg.Tensor(-4.0 + da, dtype=np.float64), tg.Tensor(2.0 + db, dtype=np.float64)).item()
        minus = g_of(tg.Tensor(-4.0 - da, dtype=np.float64), tg.Tensor(2.0 - db, dtype=np.float64)).item()
        return (plus - minus) / (2 * h)

    print(f"\nmicrograd's README expression: g = {g.item():.4f} (micrograd: 24.7041)")
    published = {"a": 138.8338, "b": 645.5773}
    numerical = {"a": slope(h, 0.0), "b": slope(0.0, h)}
    ok = compare("dg/d", {"a": a, "b": b}, published, tolerance=1e-4, what="micrograd")
    ok &= compare("dg/d", {"a": a, "b": b}, numerical, tolerance=1e-4, what="finite difference")
    ok &= math.isclose(g.item(), 24.7041, abs_tol=1e-4)
    return ok


def compare(prefix, engine, expected, tolerance=1e-12, what="by hand"):
    """Print each tensor's value, the engine's gradient and the expected one; True if all agree."""
    print(f"  {'gradient':<18}{'value':>10}{'engine grad':>14}{what:>19}")
    ok = True
    for name, tensor in engine.items():
        grad, want = tensor.grad.item(), expected[name]
        agree = math.isclose(grad, want, rel_tol=tolerance, abs_tol=tolerance)
        ok &= agree
        print(f"  {prefix + name:<18}{tensor.item():>10.4f}{grad:>14.6f}{want:>19.6f}"
              f"{'' if agree else '   <-- MISMATCH'}")
    return ok


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    ok = neuron() & micrograd_expression()
    print("\nall gradients agree with the chain rule" if ok else "\nSOME GRADIENTS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
