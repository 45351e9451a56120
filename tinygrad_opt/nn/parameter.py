"""Parameter: a Tensor that belongs to a Module and is found by `Module.parameters()`."""
import numpy as np

from ..tensor import Tensor, _as_array


class Parameter(Tensor):
    """A Tensor that a `Module` registers when it is assigned as an attribute.

    `Parameter(data=None, requires_grad=True)`

    - `data`: a Tensor (its array is shared, not copied, as in PyTorch), a numpy array or
      anything `Tensor` accepts (copied; floats become float32). None gives an empty float32
      parameter.
    - `requires_grad`: True by default — a parameter is what training changes.

    Results of operations on a Parameter are plain Tensors; only the leaf is a Parameter.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array, counter = np.empty(0, dtype=np.float32), None
        elif isinstance(data, Tensor):
            array, counter = data.data, data._counter()
        else:
            array, counter = _as_array(data, None), None
        super().__init__(np.empty(0, dtype=np.float32))
        self.data = array  # Tensor.__init__ would copy; a Parameter made from a Tensor shares it
        self._version_counter = counter
        if requires_grad:
            self.requires_grad = True

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
