"""NAG: Momentum that takes its gradient at the look-ahead point θ − γ·v (Nesterov, 1983)."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative


class NAG(Optimizer):
    """Nesterov accelerated gradient, in the notes' Momentum form, as Ruder writes it.

    Ruder (2016, §4.2): first jump where the velocity is taking us, then correct with the
    gradient found there,

        v_t     = γ · v_{t−1} + η · ∇J(θ_t − γ·v_{t−1})     (v_0 = 0, γ = momentum = 0.9)
        θ_{t+1} = θ_t − v_t

    Computed, as everyone does, on the look-ahead point φ_t = θ_t − γ·v_{t−1} itself (the
    parameter this class stores is φ, so the gradient the model computes, g_t = ∇J(φ_t), is
    the one the formula wants). Substituting θ_t = φ_t + γ·v_{t−1}:

        v_t     = γ · v_{t−1} + η · g_t                     (state `velocity`)
        φ_{t+1} = φ_t − (γ · v_t + η · g_t)

    (g after the shared opening of `Optimizer`: −g if maximize, + λ·φ if weight_decay λ ≠ 0.)
    This is `Momentum(nesterov=True)`, and PyTorch's `SGD(momentum=γ, nesterov=True)` with its
    unscaled buffer b = v/η (b_t = γ·b_{t−1} + g_t, φ ← φ − η·(g_t + γ·b_t)): the same
    trajectory while η is constant (up to rounding). When η changes they part, as Momentum and
    SGD do: PyTorch rescales the whole buffer by the new η, the notes' form only the new
    gradient.

    `NAG(params, lr=1e-2, momentum=0.9, weight_decay=0, *, maximize=False, foreach=None)`; state per
    parameter: `velocity` (PyTorch's SGD keeps b = v/η as `momentum_buffer`).
    """

    step_size_formula = "η"

    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["momentum"] <= 0:
            raise ValueError("Nesterov momentum requires a momentum")

    def _init_state(self, param, group):
        return {"velocity": np.zeros_like(param)}                   # v_0 = 0

    def _update(self, p, g, state, group):
        lr, gamma = group["lr"], group["momentum"]
        v = state["velocity"]
        v *= gamma
        v += lr * g                                                 # v_t = γ·v_{t−1} + η·g_t
        p -= gamma * v + lr * g                                     # φ ← φ − (γ·v_t + η·g_t)

    def effective_step_size(self, state, group):
        """η, on the new gradient (the velocity carries the rest: Δφ = −(γ·v_t + η·g_t))."""
        return group["lr"]
