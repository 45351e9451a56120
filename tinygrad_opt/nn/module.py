"""Module: the base class of every layer and model — parameters, children, modes and state.

A Module registers what is assigned to it: a `Parameter` attribute goes into `_parameters`,
a Module attribute into `_modules` (a child), a tensor given to `register_buffer` into
`_buffers`; anything else (numbers, arrays, plain Tensors) is an ordinary attribute. Names
of nested things are dotted paths, exactly as PyTorch writes them:

    model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
    [name for name, _ in model.named_parameters()]
    # ['0.weight', '0.bias', '2.weight', '2.bias']

Calling a module runs `forward` inside `autograd.scope(module)`, so every op it records is
labelled with the module (drawings cluster a layer's ops by it).
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from .. import autograd
from ..tensor import Tensor, to_arguments
from .parameter import Parameter

_scope = autograd._scope  # the labels of the enclosing scopes (see autograd.scope)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What `load_state_dict` returns: the keys it expected but did not get, and the others."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text, spaces):
    """Indent every line of `text` but the first (how nested reprs line up)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _check_name(module, name, kind, registry):
    """PyTorch's rules for a registered name: a non-empty string without dots, not already an
    ordinary attribute (re-registering under the same kind is allowed)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


class Module:
    """Base class of layers and models (PyTorch's `nn.Module`).

    Subclasses call `super().__init__()` first, assign parameters and sub-modules as
    attributes, and define `forward(*inputs)`; `module(x)` calls `forward(x)`.

    Traversals (`named_modules`, `named_parameters`) are pre-order and list a module or
    parameter reachable by two paths once, under the first path; `state_dict` (as in
    PyTorch) lists it under every path.
    """

    training: bool

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation of this module; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        # `with autograd.scope(self):` by hand: a module call is the hot path of a small model.
        token = _scope.set(_scope.get() + (self,))
        try:
            return self.forward(*args, **kwargs)
        finally:
            _scope.reset(token)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(Parameter or None expected)")
            params[name] = None
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep=modules)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(Module or None expected)")
            modules[name] = None
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Remove `name` from the instance dict and every registry but `keep`, the one it is about
        to be (re-)registered in: replacing an entry keeps its place, as in PyTorch."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: look in the registries.
        attributes = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            items = attributes.get(registry)
            if items is not None and name in items:
                return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for "no such parameter") under `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(Parameter or None required)")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor that is state but not a parameter (saved in `state_dict` when
        `persistent`, never returned by `parameters()`)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(Tensor or None required)")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register `module` (or None) as a child under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if "_modules" not in self.__dict__:
            raise AttributeError("cannot assign module before Module.__init__() call")
        _check_name(self, name, "module", self._modules)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The module at dotted path `target` ("" is this module), e.g. `"encoder.fc1"`."""
        module = self
        if target == "":
            return module
        for part in target.split("."):
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield `(dotted name, module)` for this module and every descendant, pre-order.

        An explicit stack instead of recursion; with `remove_duplicate`, a module reachable
        by two paths is yielded once (the first path).
        """
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if module in memo:
                    continue
                memo.add(module)
            yield name, module
            children = [(name + ("." if name else "") + key, child)
                        for key, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        """This module and every descendant, pre-order, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield `(name, child)` for the direct children, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        """The direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield `(dotted name, Parameter)`, e.g. `('0.weight', ...)`; a shared parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every parameter of this module (and, with `recurse`, its descendants), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield `(dotted name, buffer Tensor)`."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer of this module (and, with `recurse`, its descendants)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode (`mode=True`) or evaluation mode on this module and every
        descendant; Dropout is active only in training. Returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Evaluation mode: the same as `train(False)`. Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set `requires_grad` on every parameter (False freezes the module). Returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None (default), or to zeros in place."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.data[...] = 0
                param.grad._changed_in_place()

    def apply(self, fn):
        """Call `fn(module)` on every descendant (children first) and then on self; returns
        self. E.g. `model.apply(init_weights)`."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, dtype=None, device=None):
        """Convert every floating parameter and buffer (and gradient) to `dtype` in place of
        the old arrays (the Parameter objects stay the same). Returns self. Takes PyTorch's
        forms: `to(dtype)`, `to('cpu')`, `to('cpu', dtype)`, `to(tensor)`; 'cpu' is the only device."""
        dtype = to_arguments("Module.to", args, dtype, device)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"Module.to only accepts floating point dtypes, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.data.dtype.kind == "f" and tensor.data.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                tensor._changed_in_place()
                if tensor.grad is not None:
                    tensor.grad = Tensor._wrap(tensor.grad.data.astype(dtype))
        return self

    def float(self):
        """`to(float32)`."""
        return self.to(np.float32)

    def double(self):
        """`to(float64)` (handy for `gradcheck`)."""
        return self.to(np.float64)

    # ------------------------------------------------------------------ state
    def _named_state(self, prefix=""):
        """(key, tensor) for every parameter and persistent buffer, in state_dict order:
        a module's own parameters, then its buffers, then each child's (not de-duplicated)."""
        stack = [(prefix, self)]
        while stack:
            module_prefix, module = stack.pop()
            for name, param in module._parameters.items():
                if param is not None:
                    yield module_prefix + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers_set:
                    yield module_prefix + name, buffer
            children = [(module_prefix + name + ".", child)
                        for name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of dotted name → a copy of the array, for every parameter and
        persistent buffer: the names and shapes PyTorch gives the equivalent model, e.g. for
        `Sequential(Linear(64, 32), ReLU(), Linear(32, 10))`:
        `0.weight (32, 64)`, `0.bias (32,)`, `2.weight (10, 32)`, `2.bias (10,)`.

        With `keep_vars=True` the values are the Parameter/buffer Tensors themselves.
        """
        if destination is None:
            destination = OrderedDict()
        for key, tensor in self._named_state(prefix):
            destination[key] = tensor if keep_vars else tensor.data.copy()
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of `state_dict` into this module's parameters and buffers, in place
        (so optimizers holding the parameters keep working).

        Everything is checked before anything is copied: a wrong shape, an unusable value or a
        read-only target array is always an error, and with `strict=True` so is any missing or unexpected key. The error
        (RuntimeError) lists every offending key, and the module is then left exactly as it
        was. Returns `(missing_keys, unexpected_keys)` as a named tuple.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = list(self._named_state())
        own_keys = {key for key, _ in own}
        missing = [key for key, _ in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own_keys]
        errors, copies = [], []
        for key, tensor in own:
            if key not in state_dict:
                continue
            value = state_dict[key]
            source = value.data if isinstance(value, Tensor) else value
            try:
                source = np.asarray(source)
            except (TypeError, ValueError):
                source = None
            if source is None or source.dtype.kind not in "biuf":
                errors.append(f'While copying the parameter named "{key}", expected a numpy array or '
                              f"Tensor of numbers, got {type(value).__name__}.")
                continue
            if source.shape != tensor.data.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {source.shape} "
                              f"from checkpoint, the shape in current model is {tensor.data.shape}.")
                continue
            if not tensor.data.flags.writeable:
                errors.append(f'While copying the parameter named "{key}", its array is read-only (e.g. '
                              f'memory-mapped with mode "r"): give it a writable copy first '
                              f"(tensor.data = tensor.data.copy()).")
                continue
            copies.append((tensor, source))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{key}"' for key in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{key}"' for key in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with autograd.no_grad():
            for tensor, source in copies:
                np.copyto(tensor.data, source, casting="unsafe")
                tensor._changed_in_place()
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (its settings); '' by default."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2) for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def _repr_html_(self):
        from ..display import module_html   # notebooks only: layers, parameter shapes and counts
        return module_html(self)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))
