"""The first three steps of every rule, worked out by hand.

One tiny problem for all of them: θ_0 = [1, −2] and three fixed gradients, fed by setting
`p.grad` directly (no model, so only the rule is under test):

    g_1 = [3, 0.6],   g_2 = [4, 0.8],   g_3 = [12, 0]

The squares add up to perfect squares (9 + 16 = 25, 25 + 144 = 169; 0.36 + 0.64 = 1), so
AdaGrad's roots are whole numbers. The expected values are written as the notes write the
rules; the comments show the arithmetic. Everything is float64 and compared to rtol 1e-12
(PyTorch's evaluation order rounds a little differently from the formula as written).
"""
import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim

THETA_0 = [1.0, -2.0]
GRADS = [[3.0, 0.6], [4.0, 0.8], [12.0, 0.0]]


def three_steps(make_optimizer):
    p = tg.Tensor(THETA_0, dtype=np.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    thetas = []
    for g in GRADS:
        p.grad = tg.Tensor(g, dtype=np.float64)
        optimizer.step()
        thetas.append(p.data.copy())
    return thetas, optimizer, p


def assert_steps(thetas, expected):
    for t, (got, want) in enumerate(zip(thetas, expected), start=1):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15, err_msg=f"θ_{t}")


def test_sgd():
    # θ_{t+1} = θ_t − η·g_t with η = 0.1
    thetas, optimizer, p = three_steps(lambda ps: optim.SGD(ps, lr=0.1))
    assert_steps(thetas, [
        [1 - 0.3, -2 - 0.06],              # θ_1 = [0.7, −2.06]
        [0.7 - 0.4, -2.06 - 0.08],         # θ_2 = [0.3, −2.14]
        [0.3 - 1.2, -2.14 - 0.0],          # θ_3 = [−0.9, −2.14]
    ])
    assert optimizer.state == {}           # plain SGD keeps no state, like PyTorch


def test_momentum_the_notes_unrolled():
    # v_t = γ·v_{t−1} + η·g_t, θ_{t+1} = θ_t − v_t, γ = 0.9, η = 0.1; with f_t = η·g_t:
    #   f_1 = [0.3, 0.06], f_2 = [0.4, 0.08], f_3 = [1.2, 0]
    #   v_1 = f_1                    = [0.3, 0.06]
    #   v_2 = γ·f_1 + f_2            = [0.27 + 0.4, 0.054 + 0.08]           = [0.67, 0.134]
    #   v_3 = γ²·f_1 + γ·f_2 + f_3   = [0.243 + 0.36 + 1.2, 0.0486 + 0.072] = [1.803, 0.1206]
    thetas, optimizer, p = three_steps(lambda ps: optim.Momentum(ps, lr=0.1, momentum=0.9))
    assert_steps(thetas, [
        [1 - 0.3, -2 - 0.06],                      # θ_1 = [0.7, −2.06]
        [0.7 - 0.67, -2.06 - 0.134],               # θ_2 = [0.03, −2.194]
        [0.03 - 1.803, -2.194 - 0.1206],           # θ_3 = [−1.773, −2.3146]
    ])
    np.testing.assert_allclose(optimizer.state[p]["velocity"], [1.803, 0.1206], rtol=1e-12)


def test_sgd_momentum_pytorch_form_gives_the_same_numbers():
    # b_t = μ·b_{t−1} + g_t (b_1 = g_1), θ_{t+1} = θ_t − η·b_t: b = v/η, so the same θ as Momentum
    #   b_1 = [3, 0.6], b_2 = [2.7 + 4, 0.54 + 0.8] = [6.7, 1.34], b_3 = [6.03 + 12, 1.206] = [18.03, 1.206]
    thetas, optimizer, p = three_steps(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))
    assert_steps(thetas, [[0.7, -2.06], [0.03, -2.194], [-1.773, -2.3146]])
    np.testing.assert_allclose(optimizer.state[p]["momentum_buffer"], [18.03, 1.206], rtol=1e-12)


def test_sgd_nesterov():
    # d_t = g_t + μ·b_t:  d_1 = [3 + 2.7, 0.6 + 0.54] = [5.7, 1.14]
    #                     d_2 = [4 + 0.9·6.7, 0.8 + 0.9·1.34] = [10.03, 2.006]
    #                     d_3 = [12 + 0.9·18.03, 0 + 0.9·1.206] = [28.227, 1.0854]
    thetas, _, _ = three_steps(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True))
    assert_steps(thetas, [
        [1 - 0.57, -2 - 0.114],                    # θ_1 = [0.43, −2.114]
        [0.43 - 1.003, -2.114 - 0.2006],           # θ_2 = [−0.573, −2.3146]
        [-0.573 - 2.8227, -2.3146 - 0.10854],      # θ_3 = [−3.3957, −2.42314]
    ])


def test_adagrad():
    # G_t = G_{t−1} + g_t², θ_{t+1} = θ_t − η·g_t / (√G_t + ε), η = 0.1, ε = 1e-10
    #   G_1 = [9, 0.36]    √G_1 = [3, 0.6]   steps η·[3/3, 0.6/0.6]   = [0.1, 0.1]
    #   G_2 = [25, 1]      √G_2 = [5, 1]     steps η·[4/5, 0.8/1]     = [0.08, 0.08]
    #   G_3 = [169, 1]     √G_3 = [13, 1]    steps η·[12/13, 0/1]     = [0.0923..., 0]
    eps = 1e-10
    thetas, optimizer, p = three_steps(lambda ps: optim.AdaGrad(ps, lr=0.1))
    t1 = [1 - 0.1 * 3 / (3 + eps), -2 - 0.1 * 0.6 / (0.6 + eps)]               # ≈ [0.9, −2.1]
    t2 = [t1[0] - 0.1 * 4 / (5 + eps), t1[1] - 0.1 * 0.8 / (1 + eps)]           # ≈ [0.82, −2.18]
    t3 = [t2[0] - 0.1 * 12 / (13 + eps), t2[1] - 0.0]                           # ≈ [0.7277, −2.18]
    assert_steps(thetas, [t1, t2, t3])
    np.testing.assert_allclose(optimizer.state[p]["sum"], [169, 1], rtol=1e-15)
    assert optimizer.state[p]["step"] == 3


def test_adagrad_lr_decay_and_initial_accumulator():
    # η_t = η / (1 + (t−1)·decay) = 0.1, 0.1/1.5, 0.1/2 for decay 0.5; G_0 = 16
    #   G_1 = [25, 16.36], G_2 = [41, 17], G_3 = [185, 17]
    thetas, _, _ = three_steps(lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.5, initial_accumulator_value=16,
                                                        eps=0))
    t1 = [1 - 0.1 * 3 / 5, -2 - 0.1 * 0.6 / math.sqrt(16.36)]
    t2 = [t1[0] - 0.1 / 1.5 * 4 / math.sqrt(41), t1[1] - 0.1 / 1.5 * 0.8 / math.sqrt(17)]
    t3 = [t2[0] - 0.1 / 2 * 12 / math.sqrt(185), t2[1]]
    assert_steps(thetas, [t1, t2, t3])


def test_rmsprop_with_the_notes_decay():
    # G_t = α·G_{t−1} + (1 − α)·g_t², θ_{t+1} = θ_t − η·g_t / (√G_t + ε), α = 0.9 (the notes' γ)
    #   G_1 = 0.1·[9, 0.36]                    = [0.9, 0.036]
    #   G_2 = 0.9·G_1 + 0.1·[16, 0.64]         = [0.81 + 1.6, 0.0324 + 0.064]   = [2.41, 0.0964]
    #   G_3 = 0.9·G_2 + 0.1·[144, 0]           = [2.169 + 14.4, 0.08676]        = [16.569, 0.08676]
    eta, eps = 0.01, 1e-8
    G = [[0.9, 0.036], [2.41, 0.0964], [16.569, 0.08676]]
    expected, theta = [], list(THETA_0)
    for g, Gt in zip(GRADS, G):
        theta = [theta[i] - eta * g[i] / (math.sqrt(Gt[i]) + eps) for i in range(2)]
        expected.append(theta)
    thetas, optimizer, p = three_steps(lambda ps: optim.RMSProp(ps, lr=eta, alpha=0.9))
    assert_steps(thetas, expected)
    # the first step is η·g/√(0.1·g²) = η·√10 ≈ 3.16·η for every coordinate
    np.testing.assert_allclose(np.subtract(THETA_0, thetas[0]), eta * math.sqrt(10), rtol=1e-7)
    np.testing.assert_allclose(optimizer.state[p]["square_avg"], G[-1], rtol=1e-12)


def test_rmsprop_centered_with_momentum():
    # ḡ_t = α·ḡ + (1−α)·g, a_t = √(G_t − ḡ_t²) + ε, b_t = μ·b_{t−1} + g_t/a_t, θ ← θ − η·b_t
    alpha, mu, eta, eps = 0.9, 0.5, 0.01, 1e-8
    G, gbar, b, theta, expected = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], list(THETA_0), []
    for g in GRADS:
        for i in range(2):
            G[i] = alpha * G[i] + (1 - alpha) * g[i] ** 2
            gbar[i] = alpha * gbar[i] + (1 - alpha) * g[i]
            b[i] = mu * b[i] + g[i] / (math.sqrt(G[i] - gbar[i] ** 2) + eps)
            theta[i] -= eta * b[i]
        expected.append(list(theta))
    # step 1 by hand: G = 0.9, ḡ = 0.3, √(0.9 − 0.09) = 0.9, b = 3/0.9 = 3.333..., θ = 1 − 0.0333...
    assert expected[0][0] == pytest.approx(1 - 0.01 * 3 / 0.9)
    thetas, _, _ = three_steps(lambda ps: optim.RMSprop(ps, lr=eta, alpha=alpha, momentum=mu, centered=True))
    assert_steps(thetas, expected)


def test_adam():
    # m_t = β1·m + (1−β1)·g, v_t = β2·v + (1−β2)·g², m̂ = m/(1−β1^t), v̂ = v/(1−β2^t),
    # θ ← θ − η·m̂/(√v̂ + ε);  β1 = 0.9, β2 = 0.999, η = 0.001, ε = 1e-8
    #   t=1: m = 0.1·g_1, v = 0.001·g_1², m̂ = g_1, v̂ = g_1²: the step is η·g/(|g| + ε) ≈ η·sign(g)
    #   t=2: m = [0.27 + 0.4, 0.054 + 0.08] = [0.67, 0.134], m̂ = m / 0.19 = [3.526..., 0.705...]
    #        v = [0.008991 + 0.016, 0.00035964 + 0.00064] = [0.024991, 0.00099964], v̂ = v / 0.001999
    b1, b2, eta, eps = 0.9, 0.999, 0.001, 1e-8
    m, v, theta, expected = [0.0, 0.0], [0.0, 0.0], list(THETA_0), []
    for t, g in enumerate(GRADS, start=1):
        for i in range(2):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            theta[i] -= eta * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(list(theta))
    assert m == pytest.approx([0.9 * 0.67 + 1.2, 0.9 * 0.134])
    thetas, optimizer, p = three_steps(lambda ps: optim.Adam(ps))
    assert_steps(thetas, expected)
    np.testing.assert_allclose(np.subtract(THETA_0, thetas[0]), [0.001, 0.001], rtol=1e-7)  # η·sign(g)
    np.testing.assert_allclose(optimizer.state[p]["exp_avg"], m, rtol=1e-12)
    np.testing.assert_allclose(optimizer.state[p]["exp_avg_sq"], v, rtol=1e-12)
    assert optimizer.state[p]["step"] == 3


def test_adam_amsgrad_uses_the_largest_second_moment():
    # v_3 = 0.999·v_2 + 0.001·0² shrinks in coordinate 1, so v^max keeps v_2 there
    thetas, optimizer, p = three_steps(lambda ps: optim.Adam(ps, amsgrad=True))
    state = optimizer.state[p]
    assert state["max_exp_avg_sq"][1] == pytest.approx(0.00099964) and state["exp_avg_sq"][1] < 0.00099964
    b1, b2, eta, eps = 0.9, 0.999, 0.001, 1e-8
    m3 = 0.9 * 0.134
    step3 = eta * (m3 / (1 - b1 ** 3)) / (math.sqrt(0.00099964 / (1 - b2 ** 3)) + eps)
    np.testing.assert_allclose(thetas[2][1] - thetas[1][1], -step3, rtol=1e-10)


def test_adamw_decays_the_weights_before_the_adam_step():
    # θ ← θ·(1 − η·λ), then Adam's step from g alone; η = 0.001, λ = 0.01: factor 0.99999
    adam_thetas, _, _ = three_steps(lambda ps: optim.Adam(ps))
    thetas, _, _ = three_steps(lambda ps: optim.AdamW(ps))
    t1 = np.array(THETA_0) * 0.99999 - (np.array(THETA_0) - adam_thetas[0])
    np.testing.assert_allclose(thetas[0], t1, rtol=1e-12)
    assert thetas[0][0] == pytest.approx(1 * 0.99999 - 0.001, rel=1e-9)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, maximize=True),
    lambda ps: optim.Momentum(ps, lr=0.1, maximize=True),
    lambda ps: optim.Adagrad(ps, maximize=True),
    lambda ps: optim.RMSprop(ps, maximize=True, centered=True, momentum=0.5),
    lambda ps: optim.Adam(ps, maximize=True, amsgrad=True),
    lambda ps: optim.AdamW(ps, maximize=True),
    lambda ps: optim.NAG(ps, lr=0.1, maximize=True),
    lambda ps: optim.Adadelta(ps, maximize=True, weight_decay=0.1),
    lambda ps: optim.Adamax(ps, maximize=True),
    lambda ps: optim.NAdam(ps, maximize=True, decoupled_weight_decay=True, weight_decay=0.1),
    lambda ps: optim.RAdam(ps, maximize=True, weight_decay=0.1),
])
def test_maximize_is_descent_on_the_negated_gradient(make):
    up, _, _ = three_steps(make)
    p = tg.Tensor(THETA_0, dtype=np.float64, requires_grad=True)
    optimizer = make([p])
    for group in optimizer.param_groups:
        group["maximize"] = False
    for g in GRADS:
        p.grad = tg.Tensor(np.negative(g), dtype=np.float64)
        optimizer.step()
    np.testing.assert_array_equal(up[-1], p.data)
    assert up[0][0] > THETA_0[0]          # g > 0 and maximize: θ goes up


# ----------------------------------------------------------------- the rest of Ruder's overview
def test_nag_the_look_ahead_form():
    # v_t = γ·v_{t−1} + η·g_t,  φ ← φ − (γ·v_t + η·g_t), γ = 0.9, η = 0.1 (φ = θ − γ·v, the look-ahead point)
    #   v_1 = [0.3, 0.06]    φ_1 = [1 − (0.27 + 0.3), −2 − (0.054 + 0.06)]            = [0.43, −2.114]
    #   v_2 = [0.67, 0.134]  φ_2 = [0.43 − (0.603 + 0.4), −2.114 − (0.1206 + 0.08)]   = [−0.573, −2.3146]
    #   v_3 = [1.803, 0.1206] φ_3 = [−0.573 − (1.6227 + 1.2), −2.3146 − 0.10854]     = [−3.3957, −2.42314]
    thetas, optimizer, p = three_steps(lambda ps: optim.NAG(ps, lr=0.1, momentum=0.9))
    assert_steps(thetas, [[0.43, -2.114], [-0.573, -2.3146], [-3.3957, -2.42314]])
    np.testing.assert_allclose(optimizer.state[p]["velocity"], [1.803, 0.1206], rtol=1e-12)
    nesterov, _, _ = three_steps(lambda ps: optim.Momentum(ps, lr=0.1, momentum=0.9, nesterov=True))
    np.testing.assert_array_equal(thetas[-1], nesterov[-1])


def test_nag_is_ruders_form_on_the_look_ahead_point():
    # Ruder: v ← γv + η∇J(θ − γv), θ ← θ − v, on J(θ) = ½θᵀAθ. NAG stores φ = θ − γv and is given ∇J(φ).
    A = np.array([[3.0, 1.0], [1.0, 0.5]])
    gamma, eta = 0.9, 0.05
    theta, v = np.array(THETA_0), np.zeros(2)
    phi = tg.Tensor(THETA_0, dtype=np.float64, requires_grad=True)
    optimizer = optim.NAG([phi], lr=eta, momentum=gamma)
    for _ in range(40):
        v = gamma * v + eta * A @ (theta - gamma * v)
        theta = theta - v
        phi.grad = tg.Tensor(A @ phi.data, dtype=np.float64)
        optimizer.step()
        np.testing.assert_allclose(phi.data, theta - gamma * v, rtol=1e-12, atol=1e-14)


def test_adadelta_needs_no_learning_rate():
    # E[g²]_t = ρ·E[g²] + (1−ρ)·g²,  Δθ_t = −√(E[Δθ²]_{t−1} + ε)/√(E[g²]_t + ε)·g_t,
    # E[Δθ²]_t = ρ·E[Δθ²] + (1−ρ)·Δθ²;  ρ = 0.5, ε = 0.5 (large, so the numbers are readable), η = 1:
    #   t=1, coordinate 0: E[g²] = 4.5, Δθ = −√0.5/√5·3 = −3·√0.1 = −0.948683, E[Δθ²] = 0.5·0.9 = 0.45
    rho, eps = 0.5, 0.5
    Eg, Ed, theta, expected = [0.0, 0.0], [0.0, 0.0], list(THETA_0), []
    for g in GRADS:
        for i in range(2):
            Eg[i] = rho * Eg[i] + (1 - rho) * g[i] ** 2
            delta = -math.sqrt(Ed[i] + eps) / math.sqrt(Eg[i] + eps) * g[i]
            Ed[i] = rho * Ed[i] + (1 - rho) * delta ** 2
            theta[i] += delta
        expected.append(list(theta))
    thetas, optimizer, p = three_steps(lambda ps: optim.Adadelta(ps, rho=rho, eps=eps))
    assert thetas[0][0] == pytest.approx(1 - 3 * math.sqrt(0.1), rel=1e-12)
    assert_steps(thetas, expected)
    np.testing.assert_allclose(optimizer.state[p]["square_avg"], Eg, rtol=1e-12)
    np.testing.assert_allclose(optimizer.state[p]["acc_delta"], Ed, rtol=1e-12)
    half, _, _ = three_steps(lambda ps: optim.Adadelta(ps, lr=0.5, rho=rho, eps=eps))
    assert half[0][0] == pytest.approx(1 - 0.5 * 3 * math.sqrt(0.1), rel=1e-12)   # η scales the step


def test_adamax_keeps_a_decaying_maximum():
    # m_t = β1·m + (1−β1)·g,  u_t = max(β2·u, |g| + ε),  θ ← θ − η/(1−β1^t)·m_t/u_t;  β1 = 0.9, β2 = 0.999
    #   t=1: m = [0.3, 0.06], u = [3, 0.6] (+ε): the step is η·sign(g) = 0.002
    #   t=2: m = [0.67, 0.134], u = [max(2.997, 4), max(0.5994, 0.8)] = [4, 0.8]
    #   t=3: m = [1.803, 0.1206], u = [max(3.996, 12), max(0.7992, 0)] = [12, 0.7992]: the old maximum, decayed
    eta, eps = 0.002, 1e-8
    thetas, optimizer, p = three_steps(lambda ps: optim.AdaMax(ps))
    u = [[3 + eps, 0.6 + eps], [4 + eps, 0.8 + eps], [12 + eps, 0.999 * (0.8 + eps)]]
    m = [[0.3, 0.06], [0.67, 0.134], [1.803, 0.1206]]
    theta, expected = np.array(THETA_0), []
    for t in range(3):
        theta = theta - eta / (1 - 0.9 ** (t + 1)) * np.divide(m[t], u[t])
        expected.append(theta)
    assert_steps(thetas, expected)
    np.testing.assert_allclose(np.subtract(THETA_0, thetas[0]), [0.002, 0.002], rtol=1e-7)
    np.testing.assert_allclose(optimizer.state[p]["exp_inf"], u[2], rtol=1e-12)


def test_nadam_with_its_momentum_schedule():
    # μ_t = β1·(1 − ½·0.96^(tψ)), Π_t = μ_1⋯μ_t, d = √(v/(1−β2^t)) + ε,
    # θ ← θ − η(1−μ_t)/(1−Π_t)·g/d − η·μ_{t+1}/(1−Π_t·μ_{t+1})·m/d;  ψ = 0.004
    b1, b2, eta, eps, psi = 0.9, 0.999, 0.002, 1e-8, 0.004
    m, v, theta, product, expected = [0.0, 0.0], [0.0, 0.0], list(THETA_0), 1.0, []
    for t, g in enumerate(GRADS, start=1):
        mu, mu_next = b1 * (1 - 0.5 * 0.96 ** (t * psi)), b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        product *= mu
        for i in range(2):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            d = math.sqrt(v[i] / (1 - b2 ** t)) + eps
            theta[i] -= eta * (1 - mu) / (1 - product) * g[i] / d + eta * mu_next / (1 - product * mu_next) * m[i] / d
        expected.append(list(theta))
    assert b1 * (1 - 0.5 * 0.96 ** 0.004) == pytest.approx(0.45007, abs=1e-5)   # μ_1 ≈ ½·β1, not β1
    thetas, optimizer, p = three_steps(lambda ps: optim.NAdam(ps))
    assert_steps(thetas, expected)
    assert optimizer.state[p]["mu_product"] == pytest.approx(product, rel=1e-15)


def test_radam_takes_momentum_steps_until_the_variance_is_tractable():
    # ρ_∞ = 2/(1−β2) − 1 = 1999 and ρ_t = ρ_∞ − 2t·β2^t/(1−β2^t): ρ_1 = 1, ρ_2 = 1.9995, ρ_3 = 2.999 ≤ 5,
    # so the first three steps are θ ← θ − η·m̂_t (no division by √v̂):
    #   m̂_1 = g_1 = [3, 0.6],  m̂_2 = [0.67, 0.134]/0.19,  m̂_3 = [1.803, 0.1206]/0.271
    thetas, optimizer, p = three_steps(lambda ps: optim.RAdam(ps, lr=0.1))
    theta, expected = np.array(THETA_0), []
    for m_hat in ([3.0, 0.6], np.divide([0.67, 0.134], 0.19), np.divide([1.803, 0.1206], 0.271)):
        theta = theta - 0.1 * np.asarray(m_hat)
        expected.append(theta)
    assert_steps(thetas, expected)


def test_radam_rectifies_once_rho_exceeds_5():
    # β2 = 0.9: ρ_∞ = 19, ρ_5 = 19 − 10·0.59049/0.40951 = 4.58 ≤ 5 < ρ_6 = 19 − 12·0.531441/0.468559 = 5.39.
    p = tg.Tensor(THETA_0, dtype=np.float64, requires_grad=True)
    optimizer = optim.RAdam([p], lr=0.1, betas=(0.9, 0.9), eps=0.0)
    for t in range(1, 7):
        before = p.data.copy()
        p.grad = tg.Tensor([3.0, -0.5], dtype=np.float64)           # a constant gradient: m̂ = g, v̂ = g²
        optimizer.step()
        rho_t = 19 - 2 * t * 0.9 ** t / (1 - 0.9 ** t)
        if rho_t <= 5:
            np.testing.assert_allclose(p.data - before, [-0.3, 0.05], rtol=1e-12)   # −η·m̂
        else:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * 19 / (15 * 17 * rho_t))
            np.testing.assert_allclose(p.data - before, [-0.1 * r, 0.1 * r], rtol=1e-12)  # −η·r·m̂/√v̂
    assert t == 6 and 0 < r < 1
