"""Every differentiable op, one small `Function` each (forward and backward side by side)."""
from .function import Function, unbroadcast
from .arithmetic import Add, Sub, Mul, Div, AddScalar, SubScalar, MulScalar, DivScalar, Neg, Pow, PowScalar
from .matmul import MatMul, Linear
from .elementwise import (Exp, Log, Sqrt, Abs, Tanh, Sigmoid, ReLU, LeakyReLU, GELU, Clip,
                          Maximum, Minimum, Where, Clone, Cast)
from .reduce import Sum, Mean, Max, Min, normalize_axes
from .softmax import LogSumExp, LogSoftmax, Softmax
from .shape import Reshape, Permute, Expand, GetItem, Cat, Stack
from .loss import (MSE, L1, Huber, CrossEntropy, NLL, BinaryCrossEntropy, BinaryCrossEntropyWithLogits,
                   REDUCTIONS)
