"""Answers to docs/notebooks/09_exercises.ipynb, kept out of the notebook on purpose.

`SOLUTIONS[tag]` replaces the stub cell with that tag; `WRONG[tag]` is a plausible mistake the
notebook's checks must catch. tests/test_notebooks.py runs the notebook with each.
"""

SOLUTIONS = {
    "softplus": '''
class Softplus(Function):
    """y = log(1 + eˣ);  f'(x) = σ(x) = 1 / (1 + e⁻ˣ)."""

    def forward(self, x):
        self.x = x
        return np.logaddexp(0.0, x)

    def backward(self, grad):
        return grad / (1 + np.exp(-self.x))
''',
    "momentum": '''
def momentum_step(theta, grad, state, lr, momentum):
    buffer = momentum * state.get("buffer", 0.0) + grad
    state["buffer"] = buffer
    return theta - lr * buffer
''',
    "adam": '''
def adam_step(theta, grad, state, lr, betas, eps):
    beta1, beta2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
    v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
''',
}

WRONG = {
    # the derivative of softplus taken as e^x (forgetting the 1 + e^x below it)
    "softplus": SOLUTIONS["softplus"].replace("grad / (1 + np.exp(-self.x))", "grad * np.exp(self.x)"),
    # the notes' form with η inside the buffer, but η applied again outside
    "momentum": SOLUTIONS["momentum"].replace("+ grad\n", "+ lr * grad\n"),
    # no bias correction
    "adam": SOLUTIONS["adam"].replace("m / (1 - beta1 ** t), v / (1 - beta2 ** t)", "m, v"),
}
