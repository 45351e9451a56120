"""Momentum: the notes' form, a velocity that remembers an exponentially decaying sum of steps."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative


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

    Options, all as in PyTorch's SGD (maximize and weight_decay in `Optimizer`'s shared opening):

        θ ← θ − (γ·v_t + η·g_t)  if nesterov (PyTorch's Nesterov form, η·b_t = v_t)

    `Momentum(params, lr=1e-2, momentum=0.9, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None)`; state per parameter: `velocity`.
    """

    step_size_formula = "η"
    batches_small_parameters = False   # four numpy calls per parameter: see Optimizer

    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and group["momentum"] <= 0:
            raise ValueError("Nesterov momentum requires a momentum")

    def _init_state(self, param, group):
        return {"velocity": np.zeros_like(param)}                   # v_0 = 0

    def _update(self, p, g, state, group):
        lr, gamma = group["lr"], group["momentum"]
        v = state["velocity"]
        v *= gamma
        v += lr * g                                                 # v_t = γ·v_{t−1} + η·g_t
        if group["nesterov"]:
            p -= gamma * v + lr * g                                 # θ ← θ − (γ·v_t + η·g_t)
        else:
            p -= v                                                  # θ ← θ − v_t

    def effective_step_size(self, state, group):
        """η, on the new gradient (the velocity carries the rest: Δθ = −v_t = −(γ·v_{t−1} + η·g_t))."""
        return group["lr"]
