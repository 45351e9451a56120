"""Train an MLP on the bundled handwritten digits with a plain training loop.

The loop is the one every framework teaches: zero the gradients, compute the loss,
backward, step. Nothing is hidden in a helper (`tinygrad_opt.train.fit` packages the same
loop when you want one).

    python examples/train_mlp_digits.py                    # 15 epochs of Adam, a second or so
    python examples/train_mlp_digits.py --optimizer sgd --lr 0.1 --save digits_mlp.npz
"""
import argparse
from pathlib import Path
import time

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.data import DataLoader, load_digits, standardize, train_test_split

OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum, "adagrad": optim.AdaGrad,
              "rmsprop": optim.RMSProp, "adam": optim.Adam}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train an MLP on the 8x8 digits with a plain loop.")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--hidden", type=int, default=128, help="width of the hidden layer")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", metavar="FILE", help="save the trained weights here (.npz)")
    return parser.parse_args(argv)


def accuracy_on(model, X, y):
    model.eval()
    with tg.no_grad():
        predictions = model(tg.Tensor(X)).argmax(axis=1).numpy()
    model.train()
    return float((predictions == y).mean())


def main(argv=None):
    args = parse_args(argv)
    tg.manual_seed(args.seed)

    X, y = load_digits()                                   # 1797 images of 8x8 = 64 pixels, labels 0..9
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=args.seed)
    X_train, X_test, _ = standardize(X_train, X_test)      # pixel statistics of the training part only

    model = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    print(model)
    print(optimizer)

    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total_loss = 0.0
        for xb, yb in DataLoader(X_train, y_train, batch_size=args.batch_size, shuffle=True, seed=[args.seed, epoch]):
            optimizer.zero_grad()                          # forget the last batch's gradients
            loss = loss_fn(model(xb), yb)                  # forward: the mean cross-entropy of the batch
            loss.backward()                                # backward: fill p.grad for every parameter
            optimizer.step()                               # the update rule: p ← p − (step from p.grad)
            total_loss += loss.item() * len(xb)
        print(f"epoch {epoch:2d}  training loss {total_loss / len(X_train):.4f}  "
              f"test accuracy {accuracy_on(model, X_test, y_test):.4f}")
    print(f"trained in {time.perf_counter() - started:.1f} s")

    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        tg.save(model.state_dict(), args.save)             # an .npz of named arrays: no pickle
        restored = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
        restored.load_state_dict(tg.load(args.save))
        print(f"saved the weights to {args.save}; reloaded, they score "
              f"{accuracy_on(restored, X_test, y_test):.4f} on the test set")


if __name__ == "__main__":
    main()
