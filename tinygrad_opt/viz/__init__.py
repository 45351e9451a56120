"""Drawings of the computation graph: values, gradients and the order backward visits it.

    from tinygrad_opt import viz
    viz.draw_graph(loss, model)                  # graphviz.Digraph; shows inline in Jupyter
    viz.save(viz.draw_backward(loss, model), "backward.svg")
    viz.backprop_html(loss, "backprop.html")     # step through backward, one node per frame

Drawing never changes the graph: nothing is recorded, no gradient written, nothing freed.
"""
from .draw import draw_graph, draw_backward
from .html import backprop_html
from .save import save, render, FORMATS

__all__ = ["draw_graph", "draw_backward", "backprop_html", "save", "render", "FORMATS"]
