"""Neural-network building blocks with PyTorch's API: Module, Parameter, layers, losses,
`init`, `functional` (as F) and `utils`."""
from . import functional, init, utils
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "Identity", "Sequential", "ModuleList", "ReLU", "LeakyReLU",
           "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax", "Flatten", "Dropout", "MSELoss", "L1Loss",
           "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "functional", "init",
           "utils"]
