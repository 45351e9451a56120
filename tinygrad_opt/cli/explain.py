"""`tinygrad-opt explain`: a few steps of one rule on the MLP, each written out in its equations with the numbers."""
import numpy as np

from .. import manual_seed, nn
from ..compare import DEFAULT_LR, OPTIMIZERS, build_mlp
from ..data import DataLoader
from ..optim import registry
from ..tensor import Tensor
from .arguments import (UsageError, add_model_arguments, check_data_arguments, fill_model_defaults,
                        learning_rate, load_data, optimizer_name, positive_int)

EXPLAIN_DEFAULT_BATCH_SIZE = 32


def add_command(subparsers):
    parser = subparsers.add_parser(
        "explain", help="show a rule's first steps on the MLP in its own equations, with the numbers",
        description="Train the MLP for a few steps with one optimizer and, before each step, write out the "
                    "rule's equations for a few weights with the live numbers put in (g, the rule's buffers, "
                    "Δθ). The weights shown are those of --param with the largest gradients at the first step; "
                    "the same weights are followed at every step.")
    add_model_arguments(parser, EXPLAIN_DEFAULT_BATCH_SIZE)
    parser.add_argument("--optimizer", type=optimizer_name, default="adam", metavar="NAME",
                        help=f"one of {', '.join(OPTIMIZERS)} (default: adam)")
    parser.add_argument("--lr", type=learning_rate, default=None, metavar="RATE",
                        help="learning rate (default: the optimizer's tuned rate, as in compare)")
    parser.add_argument("--steps", type=positive_int("--steps"), default=3, metavar="N",
                        help="how many steps to explain (default: 3)")
    parser.add_argument("--weights", type=positive_int("--weights"), default=2, metavar="N",
                        help="how many weights of --param to write out (default: 2)")
    parser.add_argument("--param", default=None, metavar="NAME",
                        help="the parameter to follow, e.g. 0.weight (default: the first layer's weight)")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    fill_model_defaults(args, EXPLAIN_DEFAULT_BATCH_SIZE)
    check_data_arguments(args)
    data = load_data(args)
    manual_seed(args.seed)
    model = build_mlp(data.n_features, args.hidden, data.n_classes)
    named = list(model.named_parameters())
    names = [name for name, _ in named]
    chosen = names[0] if args.param is None else args.param
    if chosen not in names:
        raise UsageError(f"--param {chosen!r}: the MLP has no such parameter (choose from {', '.join(names)})")
    param = dict(named)[chosen]
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    optimizer = registry.get(args.optimizer).cls(named, lr=lr)
    loader = DataLoader(data.X_train, data.y_train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    loss_fn = nn.CrossEntropyLoss()

    batches = iter(loader)
    elements = None
    for step in range(1, args.steps + 1):
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, y = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x)), Tensor(y))
        loss.backward()
        if elements is None:   # the weights that move most at the first step, followed from then on
            flat = np.argsort(-np.abs(param.grad.data), axis=None, kind="stable")[:args.weights]
            elements = [np.unravel_index(i, param.data.shape) for i in flat]
        print(f"--- step {step}: loss on this batch of {len(y)} = {loss.item():.4f}")
        print(optimizer.explain(param, elements))
        optimizer.step()
    return 0
