"""Containers: Sequential (a pipeline of modules) and ModuleList (a registered list)."""
import operator
from collections import OrderedDict

from .module import Module, _addindent


def _index(index, length, owner):
    """A valid non-negative position for `index` in a container of `length` items."""
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a {owner} of length {length}")
    return index % length


class _Positional(Module):
    """What Sequential and ModuleList share: children in order, named "0", "1", ... when numbered."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add `module` at the end (named by the current length). Returns self."""
        self.add_module(str(len(self)), module)
        return self

    def _renumber(self, modules):
        """Make `modules` the children, named "0".."n−1" again (as PyTorch does after a deletion)."""
        self._modules.clear()
        for position, module in enumerate(modules):
            self.add_module(str(position), module)


class Sequential(_Positional):
    """Apply modules in order: y = fₖ(… f₂(f₁(x))).

    `Sequential(m1, m2, ...)` names the children "0", "1", ...; `Sequential(OrderedDict(...))`
    uses the dict's names. Indexing gives a child (`model[0]`, `model[-1]`); a slice gives a
    Sequential of those children keeping their names (`model[:2]`, as in PyTorch).
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for position, module in enumerate(args):
                self.add_module(str(position), module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(index, len(self), "Sequential")]

    def __setitem__(self, index, module):
        key = list(self._modules)[_index(index, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, index):
        keys = list(self._modules)
        doomed = keys[index] if isinstance(index, slice) else [keys[_index(index, len(self), "Sequential")]]
        self._renumber([module for key, module in self._modules.items() if key not in doomed])

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_Positional):
    """A list of modules whose parameters are registered (a plain Python list would hide
    them from `parameters()`). Names are "0", "1", ...; it has no forward of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_index(index, len(self), "ModuleList"))]

    def __setitem__(self, index, module):
        self.add_module(str(_index(index, len(self), "ModuleList")), module)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else _index(index, len(self), "ModuleList")]
        self._renumber(modules)

    def extend(self, modules):
        """Append every module of the iterable `modules`. Returns self."""
        for module in modules:
            self.append(module)
        return self

    def __repr__(self):
        """Like PyTorch: a run of identical children is one line, `(0-2): 3 x Linear(...)`."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return type(self).__name__ + "()"
        runs = []  # [first index, last index, repr]
        for position, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        lines = [_addindent(f"({first}): {text}" if first == last else
                            f"({first}-{last}): {last - first + 1} x {text}", 2)
                 for first, last, text in runs]
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index, module):
        """Insert `module` before position `index`."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
