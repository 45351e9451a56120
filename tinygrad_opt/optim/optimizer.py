"""Optimizer: what every update rule shares — parameter groups, per-parameter state, step().

    optimizer = Adam(model.parameters(), lr=1e-3)        # or a list of dicts (groups)
    optimizer.zero_grad()                                # p.grad = None for every parameter
    loss.backward()                                      # fills p.grad
    optimizer.step()                                     # θ ← rule(θ, g, state)

The semantics are PyTorch's `torch.optim.Optimizer`:

- `param_groups`: a list of dicts, each with `"params"` (a list of Tensors) and its own
  hyperparameters (missing ones are taken from `defaults`).
- `state`: a dict keyed by the parameter Tensor, holding that parameter's buffers under
  PyTorch's names (`momentum_buffer`, `exp_avg`, ...). It is filled lazily on the first
  `step()` that sees the parameter with a gradient (Adagrad fills it at construction).
  `state[p]["step"]` is a Python int (PyTorch keeps a 0-d float tensor; the values are the
  same whole numbers, and `β ** step` gives the same float either way).
- `state_dict()`: `{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`
  with parameters numbered in group order — PyTorch's format. `load_state_dict()` checks the
  group count and sizes, and copies every array into a new array of its parameter's dtype.

A rule supplies four things: `_check(hyperparameters)` (validation with PyTorch's wording,
run before anything changes), `_init_state(param, group)` (the buffers of one parameter,
under PyTorch's names), `_update(param, g, state, group)` (its formula as one plain numpy
body, changing `param` and the buffers in place so `p.data` keeps its identity) and
`effective_step_size(state, group)` (the step it takes per unit of its direction, for the lab
and the docs).

What every rule shares is done here, once, in PyTorch's order, before the body runs:

    t ← t + 1                  when the rule counts its steps (`state["step"]`)
    g ← −g                     if maximize
    g ← g + λ·θ                if weight_decay λ ≠ 0: L2, added to the gradient (a rule with
                               `decoupled_weight_decay` shrinks θ in its own body instead)

Then `step()` runs the rule's fused kernel when `kernels` has one that applies (numba
installed, C-contiguous float32/float64 arrays) — as `torch.optim.adam()` chooses between
`_single_tensor_adam` and a fused path — and the plain body otherwise; both give the same bits.
The plain body runs on a large parameter block by block (`BLOCK_SIZE` numbers of each array at
a time), which keeps its temporaries in the CPU cache and gives the same bits as one piece;
and once for all the small parameters of a group together (`foreach`, as PyTorch's
`foreach=True` runs one call per formula term for all of them), which saves the per-call
overhead that dominates their update, and gives the same bits as one at a time.
The body sees the hyperparameters as plain Python numbers, so a float32 parameter is never
promoted by a numpy float64 learning rate.
"""
import copy
import numbers
from collections import defaultdict

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor
from . import foreach, kernels


def lerp_(start, end, weight):
    """start ← start + weight·(end − start) in place, rounded as PyTorch's `lerp_` rounds it.

    For weight < 0.5: start + weight·(end − start); otherwise end − (end − start)·(1 − weight),
    the form that rounds better when the weight is close to 1.
    """
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)
    return start


def check_nonnegative(group, *names):
    """Raise PyTorch's ValueError for the first hyperparameter in `names` that is negative (or nan)."""
    for name in names:
        value = group[name]
        if not 0.0 <= value:
            what = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise ValueError(f"Invalid {what}: {value}")


_PLAIN_TYPES = frozenset((float, int, bool, str, type(None), list))   # (list: the params, their names)


def _numbers(group):
    """A group's hyperparameters as plain Python numbers (tuples of numbers stay tuples): the
    group itself when they already are, as usual (a body only reads it), else a converted copy."""
    for value in group.values():
        kind = type(value)
        if kind not in _PLAIN_TYPES and not (kind is tuple and all(type(v) in _PLAIN_TYPES for v in value)):
            break
    else:
        return group
    return {key: (tuple(_plain(v) for v in value) if isinstance(value, tuple) else _plain(value))
            for key, value in group.items() if key != "params"}


def _describe(group, index, param):
    names = group.get("param_names")
    if names:
        return f"{index} ({names[index]!r})"
    if getattr(param, "name", None):
        return f"{index} ({param.name!r})"
    return str(index)


def _typename(value):
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _plain(value):
    """numpy scalars → Python numbers, so a float32 parameter is never promoted by a float64 lr."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


BLOCK_SIZE = 1 << 16
"""Numbers per block of the numpy path: a body's temporaries (each line of a formula makes one)
stay in the CPU cache instead of streaming the whole parameter through memory once per line."""


def _all_c_contiguous(param, grad, state):
    return param.flags.c_contiguous and grad.flags.c_contiguous and all(
        value.flags.c_contiguous for value in state.values() if isinstance(value, np.ndarray))


def _in_blocks(body, param, grad, state, group):
    """Run `body(param, grad, state, group)` on consecutive blocks of the flattened arrays.

    An update rule is elementwise, so its body gives the same bits on a block as on the whole
    array. Each block sees views of the parameter, the gradient and every state array shaped
    like the parameter, and the state's other entries as they were before the step: a number
    the body updates once per step (Nadam's Π_t) is computed alike by every block and kept
    once; an array the body creates (SGD's first momentum buffer) is gathered block by block.
    """
    shape = param.shape
    flat = {name: value.reshape(-1) for name, value in state.items()
            if isinstance(value, np.ndarray) and value.shape == shape}
    others = {name: value for name, value in state.items() if name not in flat}
    created = {}
    param, grad = param.reshape(-1), grad.reshape(-1)
    for start in range(0, param.size, BLOCK_SIZE):
        block = slice(start, start + BLOCK_SIZE)
        block_state = dict(others)
        block_state.update((name, value[block]) for name, value in flat.items())
        body(param[block], grad[block], block_state, group)
        for name, value in block_state.items():
            if name not in flat and isinstance(value, np.ndarray) and value.shape == param[block].shape:
                created.setdefault(name, np.empty(param.shape, value.dtype))[block] = value
    state.update((name, value) for name, value in block_state.items() if name not in flat)
    state.update((name, value.reshape(shape)) for name, value in created.items())


class Optimizer:
    """Base class of every update rule (PyTorch's `torch.optim.Optimizer`).

    `Optimizer(params, defaults)`: `params` is an iterable of Tensors, or of dicts defining
    parameter groups (`{"params": [...], "lr": 0.1}`); `defaults` holds the hyperparameters a
    group does not set itself.
    """

    step_size_formula = None
    """The effective step size in the notes' letters, e.g. "η / (√G + ε)" (None: not defined)."""

    batches_small_parameters = True
    """Whether `foreach=None` (the default) steps a group's small parameters with one body call
    (`foreach`): it pays when the body makes many numpy calls per parameter (the Adam family
    about 13, measured 0.7-0.8x the time one at a time on the 64-32-10 MLP). A rule whose body
    is a few calls sets it False (SGD, Momentum, AdaGrad: gathering and putting back the
    parameters costs more than it saves); `foreach=True` still batches them."""

    def __init__(self, params, defaults):
        self._check(defaults)
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        if isinstance(params, dict):
            params = [params]
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]

        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._opt_called = False
        self._batches = {}  # group position → its batches of small parameters (see `foreach`)
        self._fused_update = kernels.fused_update_for(type(self))
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        # A copy (copy.deepcopy, pickle) gets its own state arrays, no longer views of the
        # batches' flat arrays: it forms its batches anew.
        return {**self.__dict__, "_batches": {}}

    # ----------------------------------------------------------------- groups
    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyperparameters (e.g. unfreezing a layer).

        The group is validated completely before it is added: a bad hyperparameter, a
        non-Tensor, a non-leaf Tensor or a parameter already being optimized raises and leaves
        the optimizer unchanged.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry (a list of Tensors)")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a "
                            "list instead.")
        else:
            params = list(params)

        names = [item[0] for item in params if isinstance(item, tuple)]
        params = [item[1] if isinstance(item, tuple) else item for item in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            group["param_names"] = names
        group["params"] = params

        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(param)}")
            if not (param.is_leaf or param._retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
            if param.data.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating point Tensors, but parameter "
                                f"{index} of this group has dtype {param.data.dtype}")
        seen = set()
        for param in params:
            if id(param) in seen:
                raise ValueError("optimizer contains a parameter group with duplicate parameters: "
                                 "the same Tensor would be updated twice per step")
            seen.add(id(param))
        for other in self.param_groups:
            if any(id(param) in seen for param in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
            if ("param_names" in group) != ("param_names" in other):
                with_names = "with names" if "param_names" in group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {with_names} to the optimizer")

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check(group)
        self.param_groups.append(group)

    def _check(self, hyperparameters):
        """Raise ValueError for a hyperparameter outside its range (PyTorch's wording)."""

    # ----------------------------------------------------------------- step
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: `p.grad = None` (default), or fill them with 0 in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data.fill(0)
                    p.grad._changed_in_place()

    def step(self, closure=None):
        """Update every parameter that has a gradient; parameters whose `.grad` is None are skipped.

        `closure`, if given, re-evaluates the model and returns the loss (it is called with
        grad mode on, before the update); `step` returns that loss.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_before_step()
        fused_update = self._fused_update if kernels.may_apply() else None
        for index, group in enumerate(self.param_groups):
            params = [p for p in group["params"] if p.grad is not None]
            states, new = [], []
            for p in params:
                state = self.state.get(p)
                if state is None:
                    state = self._init_state(p.data, group)         # kept below, if it holds anything
                    new.append((p, state))
                if "step" in state:
                    state["step"] += 1                              # t ← t + 1
                states.append(state)
            numbers = None  # the group's hyperparameters as Python numbers, made when a body needs them
            alone = range(len(params))
            if len(params) > 1 and (fused_update is None or not kernels.loaded()):
                # No kernel makes one call per parameter: batch the small ones (see `foreach`).
                numbers = _numbers(group)
                alone, self._batches[index] = foreach.step_together(
                    self, params, states, numbers, self._batches.get(index))
            for i in alone:
                p, state = params[i], states[i]
                if fused_update is None or not fused_update(p.data, p.grad.data, state, group):
                    numbers = numbers or _numbers(group)
                    self._plain_update(p.data, p.grad.data, state, numbers)
            for p, state in new:
                if state:
                    self.state[p] = state
            for p in params:
                p._changed_in_place()
        self._opt_called = True
        return loss

    def _plain_update(self, param, grad, state, group):
        """The rule's numpy body over the whole parameter, or block by block when it is large."""
        if param.size <= BLOCK_SIZE or not _all_c_contiguous(param, grad, state):
            self._opening_and_body(param, grad, state, group)
        else:
            _in_blocks(self._opening_and_body, param, grad, state, group)

    def _opening_and_body(self, param, grad, state, group):
        """The shared opening, in PyTorch's order, then the rule's body."""
        g = grad
        if group.get("maximize", False):
            g = -g                                                  # g ← −g
        weight_decay = group.get("weight_decay", 0)
        if weight_decay != 0 and not group.get("decoupled_weight_decay", False):
            g = g + weight_decay * param                            # g ← g + λ·θ
        self._update(param, g, state, group)

    def _check_before_step(self):
        # Every parameter is checked before any is updated, so a bad one changes nothing: no
        # parameter moves, no state advances.
        for i, group in enumerate(self.param_groups):
            for j, p in enumerate(group["params"]):
                grad = p.grad
                if grad is None:
                    continue
                if grad.data.shape != p.data.shape or grad.data.dtype != p.data.dtype:
                    raise RuntimeError(
                        f"parameter {j} of group {i} has shape {p.data.shape} and dtype {p.data.dtype}, "
                        f"but its gradient has shape {grad.data.shape} and dtype {grad.data.dtype}")
                if not p.data.flags.writeable:
                    raise ValueError(
                        f"parameter {_describe(group, j, p)} of group {i} is read-only (its array is not "
                        "writeable, e.g. a np.memmap opened with mode 'r'), so the optimizer cannot update "
                        "it in place; nothing was changed. Give the Tensor a writeable copy "
                        "(p.data = np.array(p.data)) or open the file with mode 'r+' or 'c'")

    def _init_state(self, param, group):
        """The new state of one parameter (a dict of buffers named as in PyTorch)."""
        return {}

    def _update(self, param, g, state, group):
        """The rule's formula on one parameter: numpy arrays, `param` and the buffers changed in place.

        `g` is the direction after the shared opening (maximize, L2 weight decay); `group`
        holds the hyperparameters as plain Python numbers (read it, never change it: it may be
        the parameter group itself); `state["step"]` is already t.
        """
        raise NotImplementedError

    def effective_step_size(self, state, group):
        """The step each element takes per unit of the rule's direction, from a parameter's state.

        A number (the same for every element, e.g. η for SGD) or an array shaped like the
        parameter (the adaptive rules). `step_size_formula` gives it in the notes' letters.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define effective_step_size")

    def explain(self, param, elements=None):
        """The step `step()` would take on `param` now, in the rule's equations with the numbers.

            loss.backward()
            print(optimizer.explain(w, elements=[0, 5]))   # m_t = β₁·m_{t−1} + (1 − β₁)·g_t = ...
            optimizer.step()                               # Δθ is exactly what was explained

        Nothing changes (the equations run on copies). Returns an `explain.Explanation`: a
        mapping name → value over the whole parameter (`["delta"]` is Δθ), printed as text,
        shown as maths in a notebook. `elements`: the indices written out (an int, a tuple, or
        a list of them; default the first three).
        """
        from .explain import explain
        return explain(self, param, elements)

    # ----------------------------------------------------------------- checkpoints
    def state_dict(self):
        """The optimizer's state in PyTorch's format (arrays are copies).

            {"state": {0: {"step": 3, "exp_avg": array, ...}, 1: {...}},
             "param_groups": [{"lr": 0.001, ..., "params": [0, 1]}]}

        Parameters are numbered 0, 1, ... in group order; the Tensors themselves are not saved.
        """
        index_of = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = []
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
                packed["params"].append(index_of[id(p)])
            param_groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index_of[id(p)]] = {key: (value.copy() if isinstance(value, np.ndarray) else value)
                                              for key, value in self.state[p].items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()`: hyperparameters of each group and every parameter's buffers.

        Parameters are matched by position (group by group, in order), as in PyTorch. The
        whole dict is checked before anything changes; arrays are copied and cast to the
        dtype of the parameter they belong to.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with keys 'state' and 'param_groups'")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} in the state dict, {len(self.param_groups)} in the optimizer")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group: group {i} has {len(saved['params'])} parameters in the "
                    f"state dict and {len(group['params'])} in the optimizer")

        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, p in zip(saved["params"], group["params"]):
                param_of[int(_plain(index))] = p

        new_state = defaultdict(dict)
        for key, saved_param_state in state_dict["state"].items():
            index = int(_plain(key))
            if index not in param_of:
                raise ValueError(f"loaded state dict has state for parameter {index}, "
                                 "which is in none of its parameter groups")
            p = param_of[index]
            new_state[p] = {name: self._load_value(name, value, p, index)
                            for name, value in saved_param_state.items()}

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {}
            for key, value in saved.items():
                if key == "params":
                    continue
                value = copy.deepcopy(_plain(value))
                if isinstance(value, list) and isinstance(group.get(key), tuple):
                    value = tuple(_plain(v) for v in value)
                elif isinstance(value, tuple):
                    value = tuple(_plain(v) for v in value)
                new_group[key] = value
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                new_group.setdefault(name, default)
            self._check(new_group)
            new_groups.append(new_group)

        self.state = new_state
        self.param_groups = new_groups

    @staticmethod
    def _load_value(name, value, param, index):
        if name == "step":
            return int(_plain(value))
        if isinstance(value, (np.ndarray, Tensor)):
            array = value.data if isinstance(value, Tensor) else value
            if array.shape != param.data.shape:
                raise ValueError(f"loaded state dict has '{name}' of shape {array.shape} for parameter "
                                 f"{index}, whose shape is {param.data.shape}")
            return np.array(array, dtype=param.data.dtype, copy=True)
        if isinstance(value, (numbers.Number, np.generic)):
            return _plain(value)
        return copy.deepcopy(value)

    # ----------------------------------------------------------------- display
    def _repr_html_(self):
        from ..display import optimizer_html   # notebooks only: hyperparameters and state per parameter
        return optimizer_html(self)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"
