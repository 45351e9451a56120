"""The autograd page's example graph, built by several tests."""
import tinygrad_opt as tg


def expression():
    """L = (a·b + c)·f, as on the autograd page: 7 backward steps."""
    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(-3.0, requires_grad=True, name="b")
    c = tg.Tensor(10.0, requires_grad=True, name="c")
    f = tg.Tensor(-2.0, requires_grad=True, name="f")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * f
    L.name = "L"
    return L
