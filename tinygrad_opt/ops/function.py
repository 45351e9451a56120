"""The unit every differentiable op is made of: a `Function` with `forward` and `backward`.

An op subclasses `Function`, computes its output from numpy arrays in `forward` — declaring
with `self.save_for_backward(...)` the arrays its backward will read — and, in `backward`,
turns dL/d output into dL/d input for each input: the local rule of the chain rule, right
next to the forward it differentiates:

    class Mul(Function):
        def forward(self, a, b):
            self.save_for_backward(a, b)
            return a * b
        def backward(self, grad):               # d(ab)/da = b, d(ab)/db = a
            a, b = self.saved_tensors
            return grad * b, grad * a

`Mul.apply(x, y)` runs forward on the tensors' arrays and, when grad mode is on and an input
requires grad, records the Function as the output's `grad_fn`.

Contract for `forward`: every array backward reads goes through `save_for_backward`
(settings such as axes or shapes may be plain attributes). That one declaration is what lets
the engine catch an input or output changed in place before backward.

Contract for `backward`: return one array (or None for "no gradient") per input, each of that
input's shape, and either the incoming `grad` itself (or a view of it) or a freshly allocated
array — never an array the Function saved, since the engine may hand fresh arrays to a leaf's
`.grad` without copying.

Gradients of gradients (`backward(create_graph=True)`): `backward_graph(grad)` is the same
rule written with Tensor ops — `grad` and the results are Tensors, and the ops are recorded,
so the gradient can be differentiated again. It reads the input Tensors (`self.inputs`) rather
than the saved arrays, which are constants to the graph:

        def backward_graph(self, grad):         # the same rule, recorded
            a, b = self.inputs
            return grad * b, grad * a

An op that is a composition of simpler ops (a loss, `Linear`, `GELU`) writes `graph(*inputs)`,
its forward in Tensor ops, instead; the default `backward_graph` differentiates that. The
first-order path (`backward` on arrays) is untouched by any of this.
"""
import numpy as np

from .. import autograd
from ..tensor import Tensor


def unbroadcast(grad, shape):
    """Sum `grad` back to `shape`, undoing numpy broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1; in backward
    every copy contributes, so those axes are summed (the only place this rule lives).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, size in enumerate(shape) if size == 1 and grad.shape[i + extra] != 1)
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)


# Bound once: each op reads this thread's grad mode and scope (see autograd.py).
_grad_enabled = autograd._grad_mode.get
_current_scope = autograd._scope.get
_next_sequence = autograd.next_sequence
_wrap = Tensor._wrap


def _versions_of(saved, inputs, out):
    """(counter, version, counter, version, ...) of every tensor whose data a saved array is or views.

    One flat tuple: in a long graph every extra container per op is one more object for the
    garbage collector to scan. An array computed in forward is the op's own and needs none.
    """
    versions = ()
    for array in saved:
        if array is None:
            continue
        for tensor in inputs:
            if array is tensor.data:
                break
        else:
            tensor = out if array is out.data else _tensor_viewed_by(array, inputs + (out,))
            if tensor is None:
                continue
        counter = tensor._version_counter or tensor._counter()
        versions += (counter, counter[0])
    return versions


def _tensor_viewed_by(array, tensors):
    """The tensor whose data shares memory with `array` (a view of it, or one it views), or None."""
    for tensor in tensors:
        data = tensor.data
        if (array.base is not None or data.base is not None) and np.may_share_memory(array, data):
            return tensor
    return None


def _ints_take_float_dtype(arrays):
    """PyTorch's mixing rule: integer and bool operands of an op with a float operand take that
    float dtype (numpy alone would turn int64 with float32 into float64)."""
    dtype = arrays[0].dtype
    for a in arrays:
        if a.dtype != dtype:
            break
    else:
        return arrays
    floats = [a for a in arrays if a.dtype.kind == "f"]
    if not floats or len(floats) == len(arrays):
        return arrays
    dtype = np.result_type(*floats)
    return [a if a.dtype.kind == "f" else a.astype(dtype) for a in arrays]


class Function:
    """One recorded op. Subclasses define `forward(*arrays, **options)` and `backward(grad)`.

    `self.save_for_backward(*arrays)` in forward keeps the arrays backward reads
    (`self.saved_tensors` there). When the op is recorded, each saved array that is an
    input's or the output's data (or a view of it) has that tensor's version noted, and
    backward refuses to run if the tensor was changed in place since: the gradient would be
    computed from the wrong numbers.
    `is_view` marks ops whose output may share memory with input 0 (reshape, transpose, ...);
    such outputs share the input's version counter, as views do in PyTorch.
    """

    is_view = False
    # The local rule in one line, g standing for ∂L/∂out: "∂L/∂a = g·b, ∂L/∂b = g·a" (shown by
    # the drawings' step-through page next to the numbers).
    rule = None
    # An op whose inputs include integer class labels keeps them integers (no float promotion).
    keeps_input_dtypes = False

    # inputs: the input tensors; saved_tensors: what forward saved for backward;
    # _saved_versions: counter, version, counter, ... checked in backward;
    # _released: True once backward freed the saved arrays.
    inputs = ()
    scope = ()
    saved_tensors = ()
    _saved_versions = ()
    _released = False
    # False for ops whose `backward_graph` reads no input's values (only shapes or nothing).
    graph_reads_inputs = True

    def save_for_backward(self, *arrays):
        """Keep `arrays` (numpy arrays, or None) for backward, which reads them as `self.saved_tensors`."""
        self.saved_tensors = arrays

    @property
    def name(self):
        """The op's name as drawings show it (`MatMul`, `Add`, `ReLU`, ...)."""
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"

    def describe(self):
        """The op's settings in a few characters for drawings (`× 0.5`, `power 2`); "" for none."""
        return ""

    @property
    def next_functions(self):
        """The grad_fn of each input (None for leaves), like PyTorch's `next_functions`."""
        return tuple(t.grad_fn for t in self.inputs)

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on Tensors and record it in the graph when a gradient will be needed."""
        fn = cls()
        if len(inputs) == 1:
            data = fn.forward(inputs[0].data, **options)
        elif len(inputs) == 2 and inputs[0].data.dtype == inputs[1].data.dtype:  # the common case
            data = fn.forward(inputs[0].data, inputs[1].data, **options)
        else:
            arrays = [t.data for t in inputs]
            data = fn.forward(*(arrays if cls.keeps_input_dtypes else _ints_take_float_dtype(arrays)), **options)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = _wrap(data)
        if fn.is_view and np.may_share_memory(data, inputs[0].data):
            out._version_counter = inputs[0]._counter()
        if not _grad_enabled() or data.dtype.kind != "f":
            return out
        for tensor in inputs:
            if tensor._requires_grad:
                break
        else:
            return out
        out._requires_grad = True
        out.grad_fn = fn
        fn.inputs = inputs
        fn.seq = _next_sequence()
        scope = _current_scope()
        if scope:
            fn.scope = scope
        if fn.saved_tensors:
            fn._saved_versions = _versions_of(fn.saved_tensors, inputs, out)
        return out

    @classmethod
    def apply_scalar(cls, tensor, number):
        """`apply` for an op of one float tensor and a Python number that saves nothing
        (`x * 0.5`: `MulScalar`): the same recording, without `apply`'s general checks,
        because a backprop lesson's graphs are long chains of exactly these."""
        fn = cls()
        data = fn.forward(tensor.data, number)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        if not (tensor._requires_grad and _grad_enabled()):
            return _wrap(data)
        fn.inputs = (tensor,)
        fn.seq = _next_sequence()
        scope = _current_scope()
        if scope:
            fn.scope = scope
        return _wrap(data, True, fn)

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    # The forward written with (differentiable) Tensor ops, for ops that define their
    # `backward_graph` by differentiating it: graph(*self.inputs) -> Tensor.
    graph = None

    def backward_graph(self, grad):
        """`backward` with Tensors, recorded (for create_graph=True): dL/d input for each input.

        By default: the local derivative of `self.graph(*self.inputs)`, by a backward walk
        through it that stops at this op's inputs.
        """
        if self.graph is None:
            raise RuntimeError(f"{self.name} does not support gradients of gradients "
                               "(create_graph=True): it defines neither backward_graph nor graph")
        out = self.graph(*self.inputs)
        if not out._requires_grad:
            return (None,) * len(self.inputs)
        return tuple(autograd.run_backward_graph(out, grad, retain_graph=True, inputs=self.inputs,
                                                 stop_at_inputs=True))

    def check_saved_versions(self):
        """Raise if backward would read freed arrays or arrays changed in place since forward."""
        if self._released:
            raise RuntimeError(
                f"Trying to backward through the graph a second time: the values {self.name} saved "
                "for backward were freed after the first backward. Call .backward(retain_graph=True) "
                "the first time if you need to backward through the same graph again.")
        saved = self._saved_versions
        for counter, version in zip(saved[::2], saved[1::2]):
            if counter[0] != version:
                raise RuntimeError(
                    f"One of the tensors needed to compute the gradient of {self.name} has been "
                    f"modified by an in-place operation (its version is {counter[0]}, expected "
                    f"{version}); the gradient would be wrong. Use an out-of-place operation, "
                    "or .clone() the tensor before changing it in place.")

    def check_input_versions(self):
        """Raise if an input this op's `backward_graph` reads was changed in place since forward
        (`backward(create_graph=True)` computes with the input tensors, not the saved arrays).

        Every in-place change notes the op sequence number at that moment, so a change after
        this op was recorded (`self.seq`) shows without recording anything in forward."""
        if not self.graph_reads_inputs:
            return
        for position, tensor in enumerate(self.inputs):
            counter = tensor._version_counter
            if counter is not None and counter[1] > self.seq:
                raise RuntimeError(
                    f"Input {position} of {self.name} has been modified by an in-place operation since "
                    f"forward (its version is now {counter[0]}); a gradient with create_graph=True is "
                    "computed from the inputs themselves and would be wrong. Use an out-of-place "
                    "operation, or .clone() the tensor before changing it in place.")

    def release(self):
        """Drop the arrays forward saved (the graph's structure — `inputs` — stays for drawing)."""
        self._released = True
        if self.saved_tensors:  # (an op that saved nothing keeps its attributes as they are: cheaper)
            self.saved_tensors = self._saved_versions = ()
