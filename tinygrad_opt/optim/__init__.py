"""The update rules of the lecture notes, sorted in order of increasing complexity.

    SGD        θ ← θ − η·g                                   (PyTorch's SGD, with its momentum)
    Momentum   v ← γ·v + η·g,  θ ← θ − v                     (the notes' form)
    AdaGrad    G ← G + g²,  θ ← θ − η·g / (√G + ε)           (alias Adagrad)
    RMSProp    G ← α·G + (1−α)·g²,  θ ← θ − η·g / (√G + ε)   (alias RMSprop)
    Adam       m, v moving averages of g, g²; θ ← θ − η·m̂ / (√v̂ + ε)   (and AdamW)

Every rule is numerically PyTorch's `torch.optim` (same defaults, same order of operations,
same state names); where the notes write a rule differently (ε inside the root, the
momentum buffer scaled by η, RMSProp's decay 0.9 vs PyTorch's 0.99) the class docstring
gives both forms. `lr_scheduler` changes η over training as `torch.optim.lr_scheduler` does.

With numba installed (`pip install "tinygrad_opt[fast]"`) each update runs as one fused
kernel, bit-identical to the numpy form written in the rule's file (`kernels`:
`use_kernels("numpy")` switches back, `backend()` says which path is in use).
"""
from .optimizer import Optimizer
from .sgd import SGD
from .momentum import Momentum
from .adagrad import AdaGrad, Adagrad
from .rmsprop import RMSProp, RMSprop
from .adam import Adam, AdamW
from . import kernels, lr_scheduler

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "Adagrad", "RMSProp", "RMSprop", "Adam", "AdamW",
           "kernels", "lr_scheduler"]
