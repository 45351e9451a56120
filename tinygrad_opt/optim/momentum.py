"""Momentum: the notes' form, a velocity that remembers an exponentially decaying sum of steps."""
import numpy as np

from . import kernels
from .optimizer import Optimizer, blocks, check_nonnegative


class Momentum(Optimizer):
    """Gradient descent with momentum, as the lecture notes write it.

        v_t     = γ · v_{t−1} + η · g_t        (v_0 = 0, γ = momentum = 0.9)
        θ_{t+1} = θ_t − v_t

    Unrolled with f_t = η·g_t: v_1 = f_1, v_2 = γf_1 + f_2, v_3 = γ²f_1 + γf_2 + f_3, ... — steps
    that agree add up to speed, so a shallow local minimum can be rolled through.

    PyTorch's `SGD(momentum=γ)` keeps the *unscaled* buffer b_t = γ·b_{t−1} + g_t and steps
    θ ← θ − η·b_t. With a constant η, v_t = η·b_t for every t, so both give the same
    trajectory (up to rounding, ~1e-16 relative). When η changes, they part: PyTorch applies
    the new η to the whole buffer (every past gradient is rescaled at once), the notes' form
    applies it only to the new gradient (past steps keep the η they were taken with).

    Options, all as in PyTorch's SGD:

        g ← −g                  if maximize
        g ← g + λ·θ             if weight_decay λ ≠ 0
        θ ← θ − (γ·v_t + η·g_t) if nesterov (PyTorch's Nesterov form, η·b_t = v_t)

    `Momentum(params, lr=1e-2, momentum=0.9, weight_decay=0, nesterov=False, *,
    maximize=False)`; state per parameter: `velocity`.
    """

    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0, nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and group["momentum"] <= 0:
            raise ValueError("Nesterov momentum requires a momentum")

    def _init_state(self, param, group):
        return {"velocity": np.zeros_like(param)}                   # v_0 = 0

    def _update(self, param, grad, state, group):
        lr, gamma, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        kernel = kernels.kernel_for("momentum", param, grad, state["velocity"])
        if kernel is not None:
            flags = (maximize and kernels.MAXIMIZE) | (wd != 0 and kernels.WEIGHT_DECAY) | (
                nesterov and kernels.NESTEROV)
            kernel(param, grad, state["velocity"], kernels.constants(param.dtype, lr, gamma, wd), flags)
            return
        work, tmp = self._scratch(param, 2)

        for p, grad, v, work, tmp in blocks(param, grad, state["velocity"], work, tmp):
            g = grad
            if maximize:
                g = np.negative(grad, out=work)                     # g ← −g
            if wd != 0:
                g = np.add(g, np.multiply(p, wd, out=tmp), out=work)  # g ← g + λ·θ

            f = np.multiply(g, lr, out=tmp)                         # f_t = η·g_t
            v *= gamma
            v += f                                                  # v_t = γ·v_{t−1} + η·g_t
            if nesterov:
                p -= np.add(np.multiply(v, gamma, out=work), f, out=work)  # θ ← θ − (γ·v_t + η·g_t)
            else:
                p -= v                                              # θ ← θ − v_t
