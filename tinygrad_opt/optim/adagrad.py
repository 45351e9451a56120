"""AdaGrad: each parameter gets its own learning rate, shrinking with its squared gradients."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative


class AdaGrad(Optimizer):
    """Adaptive gradient, exactly as PyTorch's `torch.optim.Adagrad`.

    The notes (ε inside the root, ε = 1e-8):

        G_t     = G_{t−1} + g_t ⊙ g_t                  (running sum of squared gradients)
        θ_{t+1} = θ_t − η / √(G_t + ε) ⊙ g_t

    PyTorch (and this class), ε *outside* the root, default ε = 1e-10:

        η_t     = η / (1 + (t − 1)·lr_decay)
        G_t     = G_{t−1} + g_t ⊙ g_t       (G_0 = initial_accumulator_value; state `sum`)
        θ_{t+1} = θ_t − η_t · g_t / (√G_t + ε)

    The two agree when ε = 0. With ε > 0 they differ most where G is tiny: for a first
    gradient g = 1e-4, √(g² + 1e-8) = 1.414e-4 (the notes' step 0.707·η) against
    √(g²) + 1e-10 = 1.0001e-4 (PyTorch's step 0.9999·η). A rarely-updated weight — the notes' motivation — is
    exactly where G stays small, so the choice is visible there. (The notes' per-weight form
    h ← h + g², w ← w − η/√h · g is the ε = 0 case of both.)

    A parameter that keeps receiving gradients sees its step shrink like 1/√t: G only grows
    (the weakness the notes point out, and the reason for RMSProp).

    `AdaGrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, *, maximize=False, foreach=None)`; state per parameter (created at construction, as in
    PyTorch): `step`, `sum`. A group's own `initial_accumulator_value` is used for its
    parameters (PyTorch uses the constructor's value for every group).
    """

    step_size_formula = "η_t / (√G + ε)"
    batches_small_parameters = False   # six numpy calls per parameter: see Optimizer

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p.data, group)

    def _check(self, group):
        check_nonnegative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _init_state(self, param, group):
        return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, p, g, state, group):
        t, G, eps = state["step"], state["sum"], group["eps"]
        lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])      # η_t = η / (1 + (t − 1)·lr_decay)
        G += g * g                                                  # G_t = G_{t−1} + g_t²
        p -= lr_t * g / (np.sqrt(G) + eps)                          # θ ← θ − η_t·g_t / (√G_t + ε)

    def effective_step_size(self, state, group):
        """η_t / (√G_t + ε) per element, η_t = η / (1 + (t − 1)·lr_decay), G = `sum`."""
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        return lr_t / (np.sqrt(state["sum"]) + group["eps"])


Adagrad = AdaGrad
