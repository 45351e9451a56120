"""Tensor operations as free functions (`tinygrad_opt.exp(x)`, `tinygrad_opt.cat([...])`)."""
from . import ops
from .tensor import Tensor, where  # noqa: F401  (re-exported)


def _tensors(tensors, what):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{what}: expected a non-empty list of tensors")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    if first is None:
        return [Tensor(t) for t in tensors]
    return [first._lift(t) for t in tensors]


def cat(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis; shapes must agree everywhere else."""
    tensors = _tensors(tensors, "cat")
    for position, tensor in enumerate(tensors):
        if tensor.ndim == 0:  # PyTorch's words: there is no axis to join along
            raise RuntimeError(f"zero-dimensional tensor (at position {position}) cannot be concatenated")
    axis = dim if dim is not None else axis
    return ops.Cat.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors, axis=0, *, dim=None):
    """Join same-shaped tensors along a new axis."""
    tensors = _tensors(tensors, "stack")
    axis = dim if dim is not None else axis
    return ops.Stack.apply(*tensors, axis=axis)


def maximum(a, b):
    return a.maximum(b) if isinstance(a, Tensor) else b.maximum(a)


def minimum(a, b):
    return a.minimum(b) if isinstance(a, Tensor) else b.minimum(a)


def matmul(a, b):
    return a @ b


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def abs(x):
    return x.abs()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def relu(x):
    return x.relu()


def clip(x, min=None, max=None):
    return x.clip(min, max)


clamp = clip


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return x.sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return x.mean(axis, keepdims, dim=dim, keepdim=keepdim)


def softmax(x, axis=-1, *, dim=None):
    return x.softmax(axis, dim=dim)


def log_softmax(x, axis=-1, *, dim=None):
    return x.log_softmax(axis, dim=dim)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return x.logsumexp(axis, keepdims, dim=dim, keepdim=keepdim)
