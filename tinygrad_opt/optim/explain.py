"""`optimizer.explain(param)`: the step the rule is about to take, in its formula's own terms, with the numbers.

    loss.backward()
    print(optimizer.explain(w, elements=[0, 5]))      # the equations, the numbers substituted
    optimizer.step()                                  # takes exactly that step

For Adam, one element reads:

    g_t = ∇J(θ_t) = −0.456
    m_t = β₁·m_{t−1} + (1 − β₁)·g_t = 0.9·0.0123 + 0.1·(−0.456) = −0.0345
    ...
    Δθ = −η·m̂_t / (√v̂_t + ε) = ...
    θ_{t+1} = θ_t + Δθ = ...

Each rule declares its equations once, in `equations.py`, as short Python expressions in the
notes' letters (`m = beta1*m + (1 - beta1)*g`). This module evaluates them on copies of the
parameter's state and gradient — nothing in the optimizer changes — and writes each one three
ways from the same expression: with symbols, with the numbers put in (hyperparameter-only parts
such as 1 − β₁ folded to one number), and its value. The value of `delta` over the whole tensor
is the update `step()` applies (to rounding: the tests hold it to 1e-12 relative in float64).

An `Explanation` is a mapping name → value over the whole parameter (`e["m"]`, `e["delta"]`,
`dict(e)`), prints as plain text, and shows as maths in a notebook (`_repr_markdown_`,
`_repr_latex_`).
"""
import ast
from collections.abc import Mapping

import numpy as np

from . import equations as _equations

__all__ = ["Explanation", "explain"]

# name in the expressions → (plain text, LaTeX). A state's letter gets its time index (t−1 before
# this step's equation assigns it, t after), so state letters are listed bare.
SYMBOLS = {
    "grad": ("∇J(θ_t)", r"\nabla_\theta J(\theta_t)"),
    "g": ("g_t", "g_t"),
    "theta": ("θ_t", r"\theta_t"),
    "theta_next": ("θ_{t+1}", r"\theta_{t+1}"),
    "delta": ("Δθ", r"\Delta\theta"),
    "t": ("t", "t"),
    "lr": ("η", r"\eta"),
    "lr_t": ("η_t", r"\eta_t"),
    "lr_decay": ("κ", r"\kappa"),
    "eps": ("ε", r"\varepsilon"),
    "lam": ("λ", r"\lambda"),
    "gamma": ("γ", r"\gamma"),
    "mu": ("μ", r"\mu"),
    "tau": ("τ", r"\tau"),
    "rho": ("ρ", r"\rho"),
    "psi": ("ψ", r"\psi"),
    "beta1": ("β₁", r"\beta_1"),
    "beta2": ("β₂", r"\beta_2"),
    "d": ("d_t", "d_t"),
    "a": ("a_t", "a_t"),
    "m_hat": ("m̂_t", r"\hat m_t"),
    "v_hat": ("v̂_t", r"\hat v_t"),
    "mu_t": ("μ_t", r"\mu_t"),
    "mu_next": ("μ_{t+1}", r"\mu_{t+1}"),
    "rho_inf": ("ρ_∞", r"\rho_\infty"),
    "rho_t": ("ρ_t", r"\rho_t"),
    "r": ("r_t", "r_t"),
    "l": ("l_t", "l_t"),
    "dx": ("Δx_t", r"\Delta x_t"),
}
STATE_SYMBOLS = {
    "v": ("v", "v"), "m": ("m", "m"), "G": ("G", "G"), "b": ("b", "b"),
    "gbar": ("ḡ", r"\bar g"), "v_max": ("v^max", r"v^{\max}"), "u": ("u", "u"),
    "Eg2": ("E[g²]", r"E[g^2]"), "Edx2": ("E[Δx²]", r"E[\Delta x^2]"), "mu_prod": ("Πμ", r"\Pi\mu"),
}
_FUNCTIONS = {"sqrt": np.sqrt, "max": np.maximum, "abs": np.abs}
_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}
_ATOM = 5


class Explanation(Mapping):
    """One parameter's next step, explained: a mapping name → value (an array shaped like the
    parameter, or a number), plus the equations that produced them.

    Attributes:
        rule: the optimizer's class name.
        name: the parameter's name (`group g, param i` when it has none).
        t: the step number the step will have (PyTorch's `state["step"]` after the step).
        elements: the element indices shown in the text and maths.
        equations: the (name, expression) pairs in order, as `equations.py` declares them.
        hyperparameters: symbol → number (η, β₁, ...).
    """

    def __init__(self, rule, name, t, shape, elements, equations, values, hyperparameters, state_names, counts_steps):
        self.rule, self.name, self.t, self.shape = rule, name, t, shape
        self.elements = elements
        self.equations = equations
        self.hyperparameters = hyperparameters
        self._values = values
        self._state = state_names
        self.counts_steps = counts_steps

    def __getitem__(self, name):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def at(self, element):
        """name → float at one element (an index into the parameter, flat int or tuple)."""
        index = _index(element, self.shape)
        return {name: float(value[index]) if isinstance(value, np.ndarray) and value.ndim else float(value)
                for name, value in self._values.items()}

    # -------------------------------------------------------------- writing it out
    def _lines(self, element, latex):
        """One (lhs, with symbols, with numbers, value) per equation, at one element."""
        index = _index(element, self.shape)
        assigned = set()
        lines = []
        for target, expression in self.equations:
            tree = ast.parse(expression, mode="eval").body
            writer = _Writer(self, index, assigned, latex)
            symbolic = writer.write(tree, numbers=False)[0]
            substituted = writer.write(tree, numbers=True, top=True)[0]
            assigned.add(target)
            lhs = _Writer(self, index, assigned, latex).name(target)
            value = _number(_at(self._values[target], index), latex)
            lines.append((lhs, symbolic, substituted, value))
        return lines

    def _header(self):
        hyper = ", ".join(f"{SYMBOLS[k][0]} = {_number(v, False)}" for k, v in self.hyperparameters.items())
        step = f", step t = {self.t}" if self.counts_steps else ""
        return f"{self.rule}{step}, parameter {self.name} {_shape(self.shape)}" + \
            (f" ({hyper})" if hyper else "")

    def __str__(self):
        text = [self._header()]
        for element in self.elements:
            text.append(f"element {_element(element, self.shape)}:")
            for lhs, symbolic, substituted, value in self._lines(element, latex=False):
                parts = [lhs, symbolic] + [s for s in (substituted, value) if s != symbolic]
                parts = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
                text.append("  " + " = ".join(parts))
        return "\n".join(text)

    def __repr__(self):
        return f"<Explanation of {self.rule}'s step {self.t} on {self.name} {_shape(self.shape)}>"

    def _repr_latex_(self):
        blocks = []
        for element in self.elements:
            rows = []
            for lhs, symbolic, substituted, value in self._lines(element, latex=True):
                parts = [symbolic] + [s for s in (substituted, value) if s != symbolic]
                parts = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
                rows.append(f"{lhs} &= " + " = ".join(parts))
            blocks.append("$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$")
        return "\n".join(blocks)

    def _repr_markdown_(self):
        text = [f"**{self._header()}**", ""]
        for element, block in zip(self.elements, self._repr_latex_().split("\n$$\\begin")):
            if not block.startswith("$$"):
                block = "$$\\begin" + block
            text += [f"element {_element(element, self.shape)}:", "", block, ""]
        return "\n".join(text)


class _Writer:
    """Writes one expression tree as text or LaTeX, with symbols or with the numbers at one element."""

    def __init__(self, explanation, index, assigned, latex):
        self.e, self.index, self.assigned, self.latex = explanation, index, assigned, latex

    def name(self, name):
        flavour = 1 if self.latex else 0
        if name in self.e._state:
            letter = STATE_SYMBOLS[name][flavour]
            now = name in self.assigned
            if self.latex:
                return f"{letter}_{{t}}" if now else f"{letter}_{{t-1}}"
            return f"{letter}_t" if now else f"{letter}_{{t−1}}"
        return SYMBOLS[name][flavour]

    def _constant(self, node):
        """The node's value if it reads only hyperparameters and t (so 1 − β₁ shows as 0.1)."""
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if not names <= set(self.e.hyperparameters) | {"t"}:
            return None
        scope = dict(self.e.hyperparameters, t=self.e.t, **_FUNCTIONS)
        return eval(compile(ast.Expression(node), "<explain>", "eval"), {"__builtins__": {}}, scope)

    def write(self, node, numbers, top=False):
        """(string, precedence) of `node`; `top`: the whole right side, written out even when constant."""
        if numbers and not top and not isinstance(node, ast.Constant):
            value = self._constant(node)
            if value is not None:
                return self._value(value)
        if isinstance(node, ast.Name):
            if numbers:
                return self._value(_at(self._current(node.id), self.index))
            return self.name(node.id), _ATOM
        if isinstance(node, ast.Constant):
            return self._value(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner, precedence = self.write(node.operand, numbers)
            if precedence < 3 or inner.startswith(("−", "-")):
                inner = f"({inner})"
            return ("-" if self.latex else "−") + inner, 3
        if isinstance(node, ast.BinOp):
            return self._binary(node, numbers)
        if isinstance(node, ast.Call):
            args = [self.write(arg, numbers)[0] for arg in node.args]
            function = node.func.id
            if function == "sqrt":
                if self.latex:
                    return f"\\sqrt{{{args[0]}}}", _ATOM
                inner, precedence = self.write(node.args[0], numbers)
                return ("√" + inner if precedence == _ATOM and not inner.startswith("−") else f"√({inner})"), _ATOM
            if function == "abs":
                return (f"\\lvert {args[0]} \\rvert" if self.latex else f"|{args[0]}|"), _ATOM
            return (f"\\max({', '.join(args)})" if self.latex else f"max({', '.join(args)})"), _ATOM
        raise ValueError(f"explain cannot write {ast.dump(node)}")

    def _current(self, name):
        # Before its equation runs, a state letter shows its value from the previous step.
        if name in self.e._state and name not in self.assigned:
            return self.e._values[name + "_prev"]
        return self.e._values[name]

    def _value(self, value):
        text = _number(value, self.latex)
        return text, (3 if text.startswith(("−", "-")) else _ATOM)

    def _binary(self, node, numbers):
        op = type(node.op)
        precedence = _PRECEDENCE[op]
        left, lp = self.write(node.left, numbers)
        right, rp = self.write(node.right, numbers)
        if op is ast.Div and self.latex:
            return f"\\frac{{{left}}}{{{right}}}", _ATOM
        if op is ast.Pow:
            if lp < _ATOM:
                left = f"({left})"
            if not self.latex and right == "2":
                return left + "²", 4
            return (f"{left}^{{{right}}}" if self.latex else
                    f"{left}^{right}" if rp == _ATOM and len(right) == 1 else f"{left}^({right})"), 4
        if lp < precedence:
            left = f"({left})"
        if rp < precedence or (rp == precedence and op in (ast.Sub, ast.Div)) or right.startswith(("−", "-")):
            right = f"({right})"
        symbol = {ast.Add: " + ", ast.Sub: " - " if self.latex else " − ",
                  ast.Mult: " \\cdot " if self.latex else "·", ast.Div: " / "}[op]
        return left + symbol + right, precedence


def explain(optimizer, param, elements=None):
    """The step `optimizer.step()` would take on `param` now, explained (nothing changes).

    Args:
        optimizer: any rule that `equations.py` describes (every rule of `optim.registry`).
        param: one of its parameters, with a gradient (`loss.backward()` first).
        elements: the element indices to write out: an int (flat), a tuple, or a list of them;
            default the first three elements.

    Raises:
        ValueError: `param` is not one of the optimizer's parameters, or has no gradient.
        NotImplementedError: the rule has no equations in `equations.py`.
    """
    group = next((g for g in optimizer.param_groups if any(p is param for p in g["params"])), None)
    if group is None:
        raise ValueError("explain: this tensor is not one of the optimizer's parameters")
    if param.grad is None:
        raise ValueError("explain: the parameter has no gradient; call loss.backward() first — explain shows "
                         "the step that optimizer.step() would take with it")
    describe = _equations.describe_for(type(optimizer))
    if describe is None:
        raise NotImplementedError(f"explain: no equations for {type(optimizer).__name__} in optim/equations.py")
    numbers = {key: (tuple(value) if isinstance(value, (tuple, list)) else value)
               for key, value in group.items() if key not in ("params", "param_names")}
    state = optimizer.state.get(param)
    if not state:
        state = optimizer._init_state(param.data, numbers)
    state = {key: (value.copy() if isinstance(value, np.ndarray) else value) for key, value in state.items()}
    t = state.get("step", 0) + 1
    spec = describe(numbers, state, t)

    lines = [("g", _opening(numbers, spec))] + list(spec.equations)
    lines.append(("theta_next", "theta + delta"))
    hyper = dict(spec.hyper)
    if numbers.get("weight_decay", 0) != 0:
        hyper["lam"] = numbers["weight_decay"]
    values = {"grad": param.grad.data.copy(), "theta": param.data.copy()}
    for letter, key in spec.state.items():
        values[letter + "_prev"] = state[key] if key in state else None
    scope = dict(hyper, t=t, **_FUNCTIONS)
    scope.update({letter: values[letter + "_prev"] for letter in spec.state})
    scope.update(grad=values["grad"], theta=values["theta"])
    for target, expression in lines:
        value = eval(compile(expression, "<explain>", "eval"), {"__builtins__": {}}, scope)
        scope[target] = values[target] = value

    index = [i for i, group_ in enumerate(optimizer.param_groups) if group_ is group][0]
    position = [j for j, p in enumerate(group["params"]) if p is param][0]
    names = group.get("param_names")
    name = repr(names[position]) if names else repr(param.name) if getattr(param, "name", None) else \
        f"group {index}, param {position}"
    shown = _elements(elements, param.data.shape)
    return Explanation(type(optimizer).__name__, name, t, param.data.shape, shown, lines, values, hyper,
                       set(spec.state), "step" in state)


def _opening(group, spec):
    """Optimizer's shared opening, as one equation: g_t = ±∇J(θ_t) (+ λ·θ_t for L2 weight decay)."""
    g = "-grad" if group.get("maximize", False) else "grad"
    if group.get("weight_decay", 0) != 0 and not group.get("decoupled_weight_decay", False):
        g += " + lam*theta"
    return g


def _elements(elements, shape):
    size = int(np.prod(shape))
    if elements is None:
        return [np.unravel_index(i, shape) if shape else () for i in range(min(3, size))]
    if isinstance(elements, (int, np.integer, tuple)):
        elements = [elements]
    return [_index(element, shape) for element in elements]


def _index(element, shape):
    if isinstance(element, (int, np.integer)):
        size = int(np.prod(shape))
        if not -size <= element < size:
            raise IndexError(f"explain: element {element} is out of range for a parameter of {size} elements")
        return np.unravel_index(int(element) % size, shape) if shape else ()
    element = tuple(int(i) for i in element)
    if len(element) != len(shape) or any(not -n <= i < n for i, n in zip(element, shape)):
        raise IndexError(f"explain: element {element} is not an index of a parameter of shape {tuple(shape)}")
    return element


def _at(value, index):
    return value[index] if isinstance(value, np.ndarray) and value.ndim else value


def _element(index, shape):
    return str(tuple(int(i) for i in index)) if len(shape) != 1 else f"[{int(index[0])}]"


def _shape(shape):
    return "(" + "×".join(str(n) for n in shape) + ")" if shape else "(scalar)"


def _number(value, latex):
    value = float(value)
    if value == int(value) and abs(value) < 1e6:
        text = str(int(value))
    else:
        text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        exponent = int(exponent)
        if latex:
            text = (f"{mantissa} \\times 10^{{{exponent}}}" if mantissa != "1" else f"10^{{{exponent}}}")
        else:
            text = f"{mantissa}e{exponent}"
    return text.replace("-", "-" if latex else "−")
