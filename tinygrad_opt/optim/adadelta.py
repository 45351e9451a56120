"""Adadelta: RMSProp whose step is in the units of θ, from a running average of past steps."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), exactly as PyTorch's `torch.optim.Adadelta`.

    Ruder (2016, §4.4), with RMS[x] = √(E[x²] + ε):

        E[g²]_t  = γ · E[g²]_{t−1} + (1 − γ) · g_t²
        Δθ_t     = − RMS[Δθ]_{t−1} / RMS[g]_t · g_t
        E[Δθ²]_t = γ · E[Δθ²]_{t−1} + (1 − γ) · Δθ_t²
        θ_{t+1}  = θ_t + Δθ_t

    No learning rate: the ratio of two RMS values has the units of θ, and the step adapts from
    √ε (the first steps) upwards as past steps accumulate. PyTorch (and this class) call the
    decay ρ, keep the unscaled step δ_t = −Δθ_t and still multiply it by a learning rate η
    (default 1.0, which is Ruder's form):

        E[g²]_t  = ρ · E[g²]_{t−1} + (1 − ρ) · g_t²               (state `square_avg`)
        δ_t      = √(E[Δθ²]_{t−1} + ε) / √(E[g²]_t + ε) · g_t
        E[Δθ²]_t = ρ · E[Δθ²]_{t−1} + (1 − ρ) · δ_t²               (state `acc_delta`)
        θ_{t+1}  = θ_t − η · δ_t

    (g after the shared opening of `Optimizer`: −g if maximize, + λ·θ if weight_decay λ ≠ 0.)
    With η ≠ 1 the two part: E[Δθ²] accumulates δ, the step before η, not the step taken.

    `Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False, foreach=None)`; state
    per parameter: `step`, `square_avg`, `acc_delta`.
    """

    step_size_formula = "η·√(E[Δθ²] + ε) / √(E[g²] + ε)"

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False,
                 foreach=None):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr")
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")
        check_nonnegative(group, "eps", "weight_decay")

    def _init_state(self, param, group):
        return {"step": 0, "square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def _update(self, p, g, state, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        G, D = state["square_avg"], state["acc_delta"]
        G *= rho
        G += (1 - rho) * g * g                                      # E[g²]_t = ρ·E[g²]_{t−1} + (1 − ρ)·g_t²
        delta = np.sqrt(D + eps) / np.sqrt(G + eps) * g             # δ_t = RMS[Δθ]_{t−1} / RMS[g]_t · g_t
        D *= rho
        D += (1 - rho) * delta * delta                              # E[Δθ²]_t = ρ·E[Δθ²]_{t−1} + (1 − ρ)·δ_t²
        p -= lr * delta                                             # θ ← θ − η·δ_t

    def effective_step_size(self, state, group):
        """η·√(E[Δθ²] + ε) / √(E[g²]_t + ε) per element, from the accumulators after the step.

        The step just taken used E[Δθ²]_{t−1} in the numerator (a step cannot be part of its
        own size); after it, `acc_delta` holds E[Δθ²]_t, so this is the size the state now
        stands for, not exactly the one applied (`lab.inspect_step` measures the update itself).
        """
        eps = group["eps"]
        return group["lr"] * np.sqrt(state["acc_delta"] + eps) / np.sqrt(state["square_avg"] + eps)
