"""The pictures' colours: one fixed colour-blind-safe style per rule, kept exactly through the
palette quantizing of the committed PNGs and GIFs, legends that match the paths.

The colour checks convert sRGB to CIELAB and simulate the two common red–green colour
blindnesses (Machado, Oliveira & Fernandes 2009, severity 1) to measure how far apart two
rules' colours look."""
import itertools
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt.lab.styles import EXTRA_STYLES, RULE_STYLES, rule_style, styles_for

FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"
NOTES_RULES = ("sgd", "momentum", "adagrad", "rmsprop", "adam")

DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])


def rgb(color):
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])


def lab(color, vision=np.eye(3)):
    """CIELAB (D65) of an sRGB colour as seen with `vision` (a matrix on linear RGB)."""
    c = rgb(color) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    linear = np.clip(vision @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 0.008856 ** 3))
    f = np.where(xyz / np.array([0.95047, 1.0, 1.08883]) > 0.008856, f,
                 7.787 * xyz / np.array([0.95047, 1.0, 1.08883]) + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(names, vision):
    return min((np.linalg.norm(lab(RULE_STYLES[a].color, vision) - lab(RULE_STYLES[b].color, vision)), a, b)
               for a, b in itertools.combinations(names, 2))


# ----------------------------------------------------------------------------- the styles
def test_every_rule_has_its_own_colour_marker_and_look():
    colors = [style.color.upper() for style in (*RULE_STYLES.values(), *EXTRA_STYLES)]
    assert len(set(colors)) == len(colors)
    markers = [style.marker for style in (*RULE_STYLES.values(), *EXTRA_STYLES)]
    assert len(set(markers)) == len(markers)
    assert set(RULE_STYLES) >= {"sgd", "momentum", "adagrad", "rmsprop", "adam", "nag", "adadelta",
                                "adamax", "nadam", "radam", "amsgrad", "adamw"}


@pytest.mark.parametrize("vision, name, least", [(np.eye(3), "normal vision", 20),
                                                (DEUTERANOPIA, "deuteranopia", 11),
                                                (PROTANOPIA, "protanopia", 11)])
def test_the_rules_colours_stay_apart_for_colour_blind_readers(vision, name, least):
    # ΔE (CIE76) ≈ 2 is just noticeable; the notes' five are drawn together most often and
    # are kept further apart than the twelve together.
    distance, a, b = closest_pair(NOTES_RULES, vision)
    assert distance >= least + 4, f"{a} and {b} look alike with {name}: ΔE = {distance:.1f}"
    distance, a, b = closest_pair(list(RULE_STYLES), vision)
    assert distance >= least, f"{a} and {b} look alike with {name}: ΔE = {distance:.1f}"


@pytest.mark.parametrize("vision, name", [(np.eye(3), "normal vision"), (DEUTERANOPIA, "deuteranopia"),
                                          (PROTANOPIA, "protanopia")])
def test_the_first_extra_style_stays_apart_from_the_notes_rules(vision, name):
    # Newton's method beside the five rules, or one custom run: drawn in EXTRA_STYLES[0].
    extra = EXTRA_STYLES[0].color
    distance, rule = min((np.linalg.norm(lab(extra, vision) - lab(RULE_STYLES[r].color, vision)), r)
                         for r in NOTES_RULES)
    assert distance >= 30, f"the first extra colour looks like {rule}'s with {name}: ΔE = {distance:.1f}"


def test_aliases_and_capitals_give_the_rules_own_style():
    for alias, name in [("Adagrad", "adagrad"), ("AdaGrad", "adagrad"), ("RMSprop", "rmsprop"),
                        ("RMSProp", "rmsprop"), ("Adamax", "adamax"), ("AdaMax", "adamax"),
                        ("NAdam", "nadam"), ("Nadam", "nadam"), ("SGD", "sgd"), (" adam ", "adam")]:
        assert rule_style(alias) == RULE_STYLES[name]
    assert rule_style("adam β1=0.5") is None
    assert styles_for(["adam", "mine", "sgd", "yours"]) == [
        RULE_STYLES["adam"], EXTRA_STYLES[0], RULE_STYLES["sgd"], EXTRA_STYLES[1]]


# ----------------------------------------------------------------------------- drawn pictures
matplotlib = pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402  (Pillow comes with matplotlib)

from tinygrad_opt.lab import Beale, Trajectory, animate_trajectories, plot_trajectories  # noqa: E402
from tinygrad_opt.lab.plot import quantize_together  # noqa: E402


def fake_runs(names, steps=40):
    """A straight path per rule from the start towards the minimum, fanned out by rule."""
    runs = {}
    for i, name in enumerate(names):
        t = np.linspace(0, 1, steps + 1)[:, None]
        end = np.array([3.0, 0.5]) + np.array([-0.15 * i, 0.25 * np.sin(i)])
        path = (1 - t) * np.array([1.0, 1.5]) + t * end
        runs[name] = Trajectory(name, path, np.zeros(steps + 1), lr=0.1)
    return runs


def legend_colours(figure, image):
    """The colour at the middle of each legend entry's line, read off the saved image."""
    legend = figure.legends[0]
    renderer = figure.canvas.get_renderer()
    pixels = np.asarray(image.convert("RGB"))
    height = pixels.shape[0]
    found = {}
    for line, text in zip(legend.get_lines(), legend.get_texts()):
        box = line.get_window_extent(renderer)
        row = height - int(round((box.y0 + box.y1) / 2))
        columns = range(int(box.x0) + 1, int(box.x1) - 1)
        colours = {tuple(pixels[r, c]) for r in (row - 1, row, row + 1) for c in columns}
        found[text.get_text().split(" ")[0]] = colours
    return found


def test_the_legend_shows_each_rule_in_its_exact_colour_after_quantizing(tmp_path):
    names = list(RULE_STYLES)
    figure = plot_trajectories(fake_runs(names), Beale(), figsize=(7, 7), dpi=80)
    path = tmp_path / "all.png"
    figure.savefig(path, dpi=80)
    quantized, = quantize_together([Image.open(path)], colors=48)
    for image in (Image.open(path), quantized):
        found = legend_colours(figure, image)
        for name in names:
            assert tuple(rgb(RULE_STYLES[name].color)) in found[name], f"{name}'s legend line lost its colour"


@pytest.mark.parametrize("name", ["beale_all.png", "saddle_all.png", "rosenbrock_all.png", "comparison.png"])
def test_the_committed_figures_of_the_five_rules_keep_every_rules_colour(name):
    path = FIGURES / name
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    for name in NOTES_RULES:
        count = int(np.all(pixels == rgb(RULE_STYLES[name].color), axis=1).sum())
        assert count >= 30, f"{path.name}: {name}'s colour {RULE_STYLES[name].color} is (almost) missing"


def gif_colour_tables(data):
    """(has a global colour table, [has a local colour table] per frame) of a GIF's bytes."""
    assert data[:6] in (b"GIF87a", b"GIF89a")
    flags = data[10]
    position = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    local = []
    while data[position] != 0x3B:                  # the trailer
        block = data[position]
        if block == 0x21:                          # an extension: label, then sub-blocks
            position += 2
        elif block == 0x2C:                        # an image: descriptor, table, code size, data
            packed = data[position + 9]
            local.append(bool(packed & 0x80))
            position += 10 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0) + 1
        else:
            raise ValueError(f"not a GIF block: {block:#x} at byte {position}")
        while data[position]:
            position += data[position] + 1
        position += 1
    return bool(flags & 0x80), local


def test_gif_frames_share_one_palette_and_are_readable(tmp_path):
    runs = fake_runs(NOTES_RULES, steps=6)
    path = animate_trajectories(runs, Beale(), tmp_path / "a.gif")
    for gif in (path, FIGURES / "beale.gif"):
        data = gif.read_bytes()
        has_global, local = gif_colour_tables(data)
        assert has_global and len(local) > 1 and not any(local), f"{gif.name}: frames have their own palettes"
        with Image.open(gif) as image:
            assert image.size[0] >= 600, f"{gif.name} is {image.size[0]} px wide"
            palette = image.getpalette()
            rule_colours = {tuple(rgb(RULE_STYLES[name].color)) for name in NOTES_RULES}
            entries = {tuple(palette[i:i + 3]) for i in range(0, len(palette), 3)}
            assert rule_colours <= entries


def test_the_step_size_histogram_drops_no_element():
    # AdaGrad's step for a weight whose gradient was always 0 is η/ε = 0.05/1e-10 = 5e8; a bin
    # edge computed as 10 ** log10(5e8) can round below it, and np.histogram would drop it.
    from matplotlib.patches import Rectangle

    from tinygrad_opt.lab import plot_step_sizes

    class Report:                     # the two things plot_step_sizes reads from a StepReport
        formula = "η/(√G + ε)"

        def __init__(self, sizes):
            self.sizes = np.asarray(sizes, dtype=float)

        def step_sizes(self):
            return self.sizes

    for largest in (5e8, 0.05 / 1e-10, 1e3, 7.0):
        sizes = np.concatenate([np.logspace(-3, 0, 97), np.full(3, largest)])
        figure = plot_step_sizes({"AdaGrad": Report(sizes)})
        bars = [patch for patch in figure.axes[0].patches if isinstance(patch, Rectangle)]
        assert sum(bar.get_height() for bar in bars) == 100, f"an element was dropped (largest {largest:g})"


def test_compare_draws_each_rule_in_its_own_style_with_the_legend_under_the_axes(tmp_path):
    from tinygrad_opt.compare import Result, plot_comparison
    from tinygrad_opt.train import History

    results = []
    for i, name in enumerate(["sgd", "adam", "mine"]):
        history = History()
        for epoch in range(1, 4):
            history.append(loss=1.0 / (epoch + i), accuracy=None, val_loss=None, val_accuracy=0.5 + 0.1 * epoch,
                           time=0.0, lr=0.1)
        results.append(Result(name, 0.1, history))
    figure = plot_comparison(results, tmp_path / "comparison.png")
    assert (tmp_path / "comparison.png").exists()
    expected = [RULE_STYLES["sgd"], RULE_STYLES["adam"], EXTRA_STYLES[0]]
    for axes in figure.axes:
        drawn = [(line.get_color(), line.get_marker()) for line in axes.get_lines()]
        assert drawn == [(style.color, style.marker) for style in expected]
        assert axes.get_legend() is None, "a legend inside the axes covers the curves"
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["sgd (lr 0.1)", "adam (lr 0.1)",
                                                                           "mine (lr 0.1)"]
