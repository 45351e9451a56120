"""tinygrad_opt: a from-scratch numpy reverse-mode autodiff framework and the five optimizers
of the lecture notes (SGD, Momentum, AdaGrad, RMSProp, Adam)."""
import numpy as np

from .tensor import Tensor
from .autograd import no_grad, enable_grad, is_grad_enabled, set_grad_enabled
from .random import manual_seed
from .creation import (zeros, ones, full, zeros_like, ones_like, full_like, arange, linspace, eye,
                       rand, randn, randint, tensor)
from .functional import (cat, concatenate, stack, where, maximum, minimum, matmul, exp, log, sqrt, abs,
                         tanh, sigmoid, relu, clip, clamp, sum, mean, softmax, log_softmax, logsumexp)
from .gradcheck import gradcheck, gradgradcheck, GradcheckError
from .serialization import save, load

float32 = np.float32
float64 = np.float64
int64 = np.int64
int32 = np.int32
bool_ = np.bool_

__version__ = "0.1.0"
