"""SGD: step against the gradient, optionally with PyTorch's momentum buffer."""
import numpy as np

from . import kernels
from .optimizer import Optimizer, blocks, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, exactly as PyTorch's `torch.optim.SGD`.

    The notes' rule (momentum = 0):

        θ_{t+1} = θ_t − η · g_t

    With momentum μ > 0 PyTorch keeps a buffer b of *unscaled* gradients and multiplies by η
    only when stepping (the notes' `Momentum` keeps v = η·b instead, see `momentum.py`):

        g ← −g                         if maximize
        g ← g + λ·θ                    if weight_decay λ ≠ 0
        b_1 = g_1                      (a copy of the first gradient: no dampening at step 1)
        b_t = μ·b_{t−1} + (1 − τ)·g_t  (τ = dampening)
        d   = g_t + μ·b_t              if nesterov, else d = b_t
        θ  ← θ − η·d

    For a constant η this is the notes' Momentum: v_t = η·b_t gives v_t = γ·v_{t−1} + η·g_t.
    When η changes (a scheduler), PyTorch's form applies the new η to the whole buffer at
    once, the notes' form only to the new gradient, so the two trajectories part.

    `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False)`; state per parameter: `momentum_buffer` (only when momentum ≠ 0).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, param, grad, state, group):
        lr, mu, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        dampening, nesterov, maximize = float(group["dampening"]), group["nesterov"], group["maximize"]
        buf = state.get("momentum_buffer")
        first = mu != 0 and buf is None
        if first:
            buf = state["momentum_buffer"] = np.empty_like(param)

        kernel = kernels.kernel_for("sgd", param, grad, *([buf] if mu != 0 else []))
        if kernel is not None:
            flags = (maximize and kernels.MAXIMIZE) | (wd != 0 and kernels.WEIGHT_DECAY) | (
                mu != 0 and kernels.MOMENTUM) | (first and kernels.FIRST_STEP) | (
                dampening != 0 and kernels.DAMPENED) | (nesterov and kernels.NESTEROV)
            kernel(param, grad, buf if mu != 0 else grad,
                   kernels.constants(param.dtype, lr, wd, mu, 1 - dampening), flags)
            return
        work, tmp = self._scratch(param, 2)

        for p, grad, b, work, tmp in blocks(param, grad, buf if mu != 0 else None, work, tmp):
            g = grad
            if maximize:
                g = np.negative(grad, out=work)                     # g ← −g
            if wd != 0:
                g = np.add(g, np.multiply(p, wd, out=tmp), out=work)  # g ← g + λ·θ

            if mu != 0:
                if first:
                    np.copyto(b, g)                                 # b_1 = g_1
                else:
                    b *= mu                                         # b_t = μ·b_{t−1}
                    if dampening == 0:
                        b += g                                      #       + g_t
                    else:
                        b += np.multiply(g, 1 - dampening, out=tmp)  #      + (1 − τ)·g_t
                if nesterov:
                    g = np.add(g, np.multiply(b, mu, out=tmp), out=work)  # d = g_t + μ·b_t
                else:
                    g = b                                           # d = b_t

            p -= np.multiply(g, lr, out=tmp)                        # θ ← θ − η·d
