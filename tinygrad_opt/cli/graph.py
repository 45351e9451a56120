"""`tinygrad-opt graph`: the computation graph of one training step, with values and gradients."""
import shutil

from .. import manual_seed, nn
from ..compare import build_mlp
from ..tensor import Tensor
from .arguments import (UsageError, add_model_arguments, check_data_arguments, check_writable_file,
                        fill_model_defaults, load_data, make_dirs)


GRAPH_FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv")


def add_command(subparsers):
    parser = subparsers.add_parser(
        "graph", help="draw the computation graph of one training step of the MLP",
        description="Run one training step's forward and backward pass of the MLP on one mini-batch and draw "
                    "its graph, with values and gradients, to --out (format from the extension: "
                    f"{', '.join(GRAPH_FORMATS)}; all but .dot and .gv need the Graphviz 'dot' program).")
    add_model_arguments(parser, 4)
    parser.add_argument("--out", default="graph.svg", metavar="FILE", help="output file (default: graph.svg)")
    parser.add_argument("--collapse", action="store_true", help="draw each layer as one node")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    from .. import viz  # only this command needs graphviz

    fill_model_defaults(args, 4)
    check_data_arguments(args)
    out = check_writable_file(args.out, "--out")
    if out.suffix.lower() not in viz.FORMATS:
        raise UsageError(f"--out {args.out!r}: unknown format {out.suffix or '(none)'!r} "
                         f"(choose from {', '.join(viz.FORMATS)})")
    if viz.FORMATS[out.suffix.lower()] is not None and shutil.which("dot") is None:
        raise UsageError(f"drawing {out.suffix} needs the Graphviz 'dot' program: install it "
                         "(apt-get install graphviz, brew install graphviz) or write a .dot file")

    data = load_data(args)
    manual_seed(args.seed)
    model = build_mlp(data.n_features, args.hidden, data.n_classes)
    x = Tensor(data.X_train[:args.batch_size], name="x")
    labels = Tensor(data.y_train[:args.batch_size], name="labels")
    loss = nn.CrossEntropyLoss()(model(x), labels)
    loss.name = "loss"
    # grads="all": the drawing runs backward itself, so every node shows its gradient,
    # intermediates included, with nothing written to .grad.
    graph = viz.draw_graph(loss, model, collapse=args.collapse, grads="all")
    make_dirs(out.parent)
    viz.save(graph, out)
    print(f"wrote {out} (loss {loss.item():.4f}, batch of {args.batch_size})")
    return 0
