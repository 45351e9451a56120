"""fit, History, the progress bar, the non-finite-loss stop, evaluate and accuracy."""
import io
import json
import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.data import DataLoader, make_blobs, make_sparse_regression, standardize
from tinygrad_opt.train import History, NonFiniteLossError, NonFiniteWeightsError, ProgressBar, accuracy, evaluate, fit


@pytest.fixture
def blobs():
    """Three well separated classes in 4-D: 150 training and 60 validation samples."""
    X, y = make_blobs(n_samples=210, centers=3, n_features=4, seed=0)
    X_train, X_val, _ = standardize(X[:150], X[150:])
    return X_train, y[:150], X_val, y[150:]


def classifier(seed=0):
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def weights(model):
    return {name: array.copy() for name, array in model.state_dict().items()}


def test_history_has_one_entry_per_epoch_for_every_field(blobs):
    X_train, y_train, X_val, y_val = blobs
    model = classifier()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0), 3,
                  val=(X_val, y_val), progress=False)

    assert len(history) == 3 and history.epochs == [1, 2, 3]
    for field in History.FIELDS:
        values = getattr(history, field)
        assert len(values) == 3 and all(isinstance(v, float) for v in values), field
    assert history.lr == [0.1, 0.1, 0.1]
    assert history.loss[-1] < history.loss[0]
    assert all(0.0 <= a <= 1.0 for a in history.accuracy + history.val_accuracy)
    assert history.val_accuracy[-1] == accuracy(model, X_val, y_val)
    assert all(t > 0 for t in history.time)

    as_dict = json.loads(json.dumps(history.to_dict()))
    assert list(as_dict) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "time", "lr"]
    assert as_dict["epoch"] == [1, 2, 3] and as_dict["loss"] == history.loss


def test_training_loss_is_the_sample_weighted_mean_of_the_batch_losses(blobs):
    # 150 samples in batches of 64: 64 + 64 + 22. With lr=0 the weights never move, so the
    # epoch's loss is exactly the loss over all 150 samples at the initial weights.
    X_train, y_train, _, _ = blobs
    model = classifier()
    with tg.no_grad():
        expected = nn.CrossEntropyLoss()(model(tg.Tensor(X_train)), tg.Tensor(y_train)).item()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0),
                  DataLoader(X_train, y_train, batch_size=64), 1, progress=False)
    assert history.loss[0] == pytest.approx(expected, rel=1e-6)


def test_regression_has_no_accuracy_and_no_val_means_none():
    X, y, _ = make_sparse_regression(n_samples=64, n_features=5, seed=0)
    tg.manual_seed(0)
    model = nn.Linear(5, 1)
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), (X, y), 2, progress=False)

    assert history.accuracy == [None, None]
    assert history.val_loss == [None, None] and history.val_accuracy == [None, None]
    assert history.loss[1] < history.loss[0]


def test_scheduler_steps_after_each_epoch_and_lr_is_recorded(blobs):
    X_train, y_train, _, _ = blobs
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, (X_train, y_train), 3, scheduler=scheduler,
                  progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])


def test_a_callback_returning_true_stops_after_that_epoch(blobs):
    X_train, y_train, _, _ = blobs
    model = classifier()
    calls = []

    def stop_at_two(epoch, history):
        calls.append((epoch, len(history)))
        return epoch == 2

    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X_train, y_train), 10,
                  callbacks=[stop_at_two], progress=False)
    assert len(history) == 2
    assert calls == [(1, 1), (2, 2)]


def test_fit_continues_a_given_history(blobs):
    X_train, y_train, _, _ = blobs
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, (X_train, y_train), 2, progress=False)
    seen = []
    same = fit(model, nn.CrossEntropyLoss(), optimizer, (X_train, y_train), 1, progress=False, history=history,
               callbacks=[lambda epoch, h: seen.append(epoch)])
    assert same is history and history.epochs == [1, 2, 3] and seen == [3]
    assert History.from_dict(json.loads(json.dumps(history.to_dict()))).to_dict() == history.to_dict()


def test_non_finite_loss_stops_before_the_step_with_epoch_and_step_named(blobs):
    X_train, y_train, _, _ = blobs
    model = classifier()
    cross_entropy = nn.CrossEntropyLoss()
    calls = {"n": 0}
    snapshot = {}

    def loss_turning_nan_at_epoch_2_step_3(output, target):
        # 150 samples in batches of 50 → 3 steps per epoch; call 6 is epoch 2, step 3
        calls["n"] += 1
        loss = cross_entropy(output, target)
        if calls["n"] == 6:
            snapshot.update(weights(model))
            return loss * float("nan")
        return loss

    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError) as caught:
        fit(model, loss_turning_nan_at_epoch_2_step_3, optimizer, DataLoader(X_train, y_train, batch_size=50), 5,
            progress=False)

    error = caught.value
    assert isinstance(error, NonFiniteLossError)
    assert (error.epoch, error.step, error.lr) == (2, 3, 0.1) and math.isnan(error.loss)
    message = str(error)
    assert "epoch 2, step 3 of 3" in message and "smaller" in message and "lr=0.1" in message
    after = weights(model)
    assert all(np.array_equal(after[name], snapshot[name]) for name in snapshot)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_diverging_learning_rate_raises_and_leaves_the_weights_finite():
    X, y, _ = make_sparse_regression(n_samples=64, n_features=5, seed=0)
    tg.manual_seed(0)
    model = nn.Linear(5, 1)
    with pytest.raises(NonFiniteLossError, match="try a smaller one than lr=1e\\+06"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1e6), (X, y), 50, progress=False)
    assert all(np.isfinite(array).all() for array in model.state_dict().values())


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_step_that_makes_the_weights_infinite_is_named_at_that_step(blobs):
    # lr = 1e39 is beyond float32's largest value (3.4e38): the very first step turns the
    # float32 weights into inf, while the loss of that step was still finite.
    X_train, y_train, _, _ = blobs
    model = classifier()
    with pytest.raises(NonFiniteWeightsError) as caught:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e39),
            DataLoader(X_train, y_train, batch_size=50), 3, progress=False)
    error = caught.value
    assert (error.epoch, error.step, error.parameter) == (1, 1, "parameter '0.weight'")
    assert str(error) == ("the optimizer step at epoch 1, step 1 of 3 made parameter '0.weight' inf or NaN, so the "
                          "weights are no longer usable. The learning rate is probably too large: start again "
                          "(from the initial weights or a checkpoint) with a smaller one than lr=1e+39")
    assert not np.isfinite(model[0].weight.data).all()


def test_accuracy_of_no_samples_is_a_value_error_like_evaluate():
    model = classifier()
    empty_X, empty_y = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    with pytest.raises(ValueError, match="evaluate got no samples"):
        evaluate(model, nn.CrossEntropyLoss(), (empty_X, empty_y))
    with pytest.raises(ValueError, match="accuracy got no samples"):
        accuracy(model, empty_X, empty_y)


def test_progress_is_silent_when_stderr_is_not_a_terminal(blobs, capsys):
    X_train, y_train, _, _ = blobs
    model = classifier()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X_train, y_train), 2,
        progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal_unless_disabled(blobs, monkeypatch):
    X_train, y_train, _, _ = blobs
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    model = classifier()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        DataLoader(X_train, y_train, batch_size=50), 2, progress=True)
    text = terminal.getvalue()
    assert "\r" in text and "epoch 1 [" in text and "3/3" in text and "loss" in text
    assert text.count("\n") == 2  # one summary line per epoch stays on screen

    quiet = FakeTerminal()
    monkeypatch.setattr("sys.stderr", quiet)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X_train, y_train), 1,
        progress=False)
    assert quiet.getvalue() == ""


def test_progress_bar_line():
    terminal = FakeTerminal()
    bar = ProgressBar(4, label="epoch 1", stream=terminal, min_interval=0.0, width=8)
    bar.update(2, loss=0.5)
    assert terminal.getvalue() == "\repoch 1 [####....] 2/4 loss 0.5000"


def test_evaluate_and_accuracy_match_a_hand_count_and_keep_the_mode(blobs):
    _, _, X_val, y_val = blobs
    model = classifier()
    with tg.no_grad():
        logits = model(tg.Tensor(X_val))
    expected_accuracy = float((logits.numpy().argmax(axis=1) == y_val).mean())
    expected_loss = nn.CrossEntropyLoss()(logits, tg.Tensor(y_val)).item()

    model.train()
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), (X_val, y_val), batch_size=7)
    assert acc == pytest.approx(expected_accuracy) and loss == pytest.approx(expected_loss, rel=1e-5)
    assert accuracy(model, X_val, y_val) == pytest.approx(expected_accuracy)
    assert model.training
    model.eval()
    evaluate(model, nn.CrossEntropyLoss(), (X_val, y_val))
    assert not model.training


def test_bad_arguments_are_rejected_with_a_clear_message(blobs):
    X_train, y_train, _, _ = blobs
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        fit(model, nn.CrossEntropyLoss(), optimizer, (X_train, y_train), -1)
    with pytest.raises(ValueError, match=r"an \(X, y\) pair"):
        fit(model, nn.CrossEntropyLoss(), optimizer, (X_train, y_train, y_train), 1)
