"""Learn the three interleaved spirals and draw the decision boundary the MLP found.

A straight line cannot separate the arms; two hidden ReLU layers bend the boundary around
them. Training uses `tinygrad_opt.train.fit`, the packaged form of the usual
zero_grad / backward / step loop; the picture colours every point of the plane by the class
the trained model predicts there, with the training points on top.

    python examples/spirals.py                   # writes spirals_out/spirals.png
    python examples/spirals.py --epochs 300 --optimizer sgd --lr 0.5 --out my_dir
"""
import argparse
from pathlib import Path

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.data import DataLoader, make_spirals
from tinygrad_opt.train import fit

OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum, "adagrad": optim.AdaGrad,
              "rmsprop": optim.RMSProp, "adam": optim.Adam}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train an MLP on spirals and plot its decision boundary.")
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=64, help="width of both hidden layers")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="spirals_out", metavar="DIR", help="folder for spirals.png")
    return parser.parse_args(argv)


def predict(model, points):
    with tg.no_grad():
        return model(tg.Tensor(points)).argmax(axis=1).numpy()


def plot_decision_boundary(model, X, y, path, title):
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    margin = 0.25
    xs = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, 300)
    ys = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, 300)
    grid_x, grid_y = np.meshgrid(xs, ys)
    regions = predict(model, np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32))

    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    figure = Figure(figsize=(5.5, 5.5), layout="constrained")
    axes = figure.subplots()
    axes.contourf(grid_x, grid_y, regions.reshape(grid_x.shape), alpha=0.3,
                  levels=np.arange(y.max() + 2) - 0.5, cmap=ListedColormap(colours[:y.max() + 1]))
    axes.scatter(X[:, 0], X[:, 1], c=[colours[label] for label in y], s=12, edgecolors="black", linewidths=0.3)
    axes.set(title=title, xlabel="x₁", ylabel="x₂", aspect="equal")
    figure.savefig(path, dpi=110)


def main(argv=None):
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    X, y = make_spirals(n_samples=args.samples, n_classes=3, noise=0.2, seed=args.seed)

    model = nn.Sequential(nn.Linear(2, args.hidden), nn.ReLU(),
                          nn.Linear(args.hidden, args.hidden), nn.ReLU(),
                          nn.Linear(args.hidden, 3))
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    history = fit(model, nn.CrossEntropyLoss(), optimizer,
                  DataLoader(X, y, batch_size=32, shuffle=True, seed=args.seed), args.epochs)
    training_accuracy = float((predict(model, X) == y).mean())
    print(f"{args.optimizer} after {len(history)} epochs: training loss {history.loss[-1]:.4f}, "
          f"training accuracy {training_accuracy:.3f}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        plot_decision_boundary(model, X, y, out / "spirals.png",
                               f"{args.optimizer}, {len(history)} epochs: training accuracy {training_accuracy:.3f}")
    except ImportError:
        print('matplotlib is not installed, so no plot was drawn: pip install "tinygrad_opt[plot]"')
        return
    print(f"wrote {out / 'spirals.png'}")


if __name__ == "__main__":
    main()
