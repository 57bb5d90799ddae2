"""PNG plots of a benchmark run.

Figures are built with ``matplotlib.figure.Figure`` and saved through the Agg
renderer, without pyplot: no display and no global backend state are needed.

What makes them readable: one legend per figure, outside the panels; PCA, the
reference, in black and dashed, drawn above the others; one colour and marker
per method in every figure; logarithmic error axes, on which a 10% difference
looks the same at code 32 as at code 2; methods that tie (an autoencoder that
kept PCA) shifted apart along the code-size axis, so that none hides another.
The error and fit-time figures take records only, so ``benchmarks.render`` draws
them from a committed ``results.json``.
"""

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogFormatterSciNotation

from benchmarks.verdict import WORSE_THAN_PCA, with_ratios_to_pca

PANEL_WIDTH = 4.2
PANEL_HEIGHT = 3.4
MAX_COLUMNS = 4
DPI = 100
MARKERS = "osD^vP*Xp<>h"
# How far apart, in octaves of the code size, the methods' points are drawn.
DODGE_OCTAVES = 0.05
WORSE_COLOR = "#d62728"


class PlainLogFormatter(LogFormatterSciNotation):
    """matplotlib's choice of labelled ticks on a log axis, written 0.6 and 40, not 6x10^-1."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def _log_axis(axis):
    # Stacked vertically, labels of minor ticks fit over two decades; side by side,
    # over one (matplotlib's default) before they run into each other.
    thresholds = (2, 0.5) if axis.axis_name == "y" else (1, 0.4)
    axis.set_major_formatter(PlainLogFormatter())
    axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=thresholds))


def _title(title, note):
    """The figure's title, with ``note`` (how a quick run differs) in parentheses."""
    return title if note is None else f"{title} ({note})"


def _panels(n_panels, title, panel_height=PANEL_HEIGHT):
    n_columns = min(n_panels, MAX_COLUMNS)
    n_rows = -(-n_panels // n_columns)
    figure = Figure(
        figsize=(PANEL_WIDTH * n_columns, panel_height * n_rows + 0.8),
        layout="constrained",
    )
    axes = figure.subplots(n_rows, n_columns, squeeze=False).ravel()
    for unused in axes[n_panels:]:
        unused.set_visible(False)
    figure.suptitle(title)
    return figure, axes[:n_panels]


def _unique(values):
    return list(dict.fromkeys(values))


def _method_styles(records):
    """One colour and marker per method, the same in every figure of the run.

    PCA, the reference every other method is read against, is black and dashed,
    and drawn above the others. The others take tab10's colours (tab20's past ten
    methods) and a marker each, so that two methods never look alike.
    """
    methods = [method for method in _unique(r["method"] for r in records) if method != "PCA"]
    colormap = colormaps["tab10" if len(methods) <= 10 else "tab20"]
    styles = {"PCA": {"color": "black", "marker": "o", "linestyle": "--", "zorder": 5}}
    for index, method in enumerate(methods):
        styles[method] = {
            "color": colormap(index % colormap.N),
            "marker": MARKERS[index % len(MARKERS)],
            "linestyle": "-",
            "zorder": 3,
        }
    return styles


def _legend_handles(styles, methods):
    return [
        Line2D([], [], label=method, markersize=6, **styles[method])
        for method in methods
        if method in styles
    ]


def _figure_legend(figure, handles):
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 6),
        fontsize="small",
        frameon=False,
    )


def _measured(records, *fields):
    return [r for r in records if all(r.get(field) is not None for field in fields)]


def _positive(points):
    # A logarithmic axis cannot show 0 (an exact reconstruction).
    return [(x, y) for x, y in points if y > 0]


def _dodge(index, n_methods):
    return 2.0 ** ((index - (n_methods - 1) / 2) * DODGE_OCTAVES)


def _code_size_axis(ax, code_sizes):
    ax.set_xscale("log", base=2)
    ax.set_xticks(code_sizes, [str(size) for size in code_sizes])
    ax.minorticks_off()
    ax.set_xlim(min(code_sizes) / 1.4, max(code_sizes) * 1.4)


def plot_error_vs_code_size(
    records, path: Path, note: str | None = None, metadata: dict | None = None
) -> Path | None:
    """Held-out error, and its ratio to PCA's, against code size; a column per data set.

    Top row: the held-out squared error per sample, on a logarithmic axis. Bottom
    row: that error over PCA's at the same code size, with PCA at 1 and the band
    above ``WORSE_THAN_PCA`` shaded. ``metadata`` goes into the PNG's text chunks.
    """
    measured = with_ratios_to_pca(_measured(records, "sq_error_per_sample"))
    if not measured:
        return None
    styles = _method_styles(records)
    methods = _unique(r["method"] for r in measured)
    dataset_names = _unique(r["dataset"] for r in measured)
    n_columns = len(dataset_names)
    figure = Figure(figsize=(PANEL_WIDTH * n_columns, 2 * PANEL_HEIGHT + 1.0), layout="constrained")
    axes = figure.subplots(2, n_columns, squeeze=False, sharex="col")
    figure.suptitle(_title("Held-out reconstruction error, and its ratio to PCA's", note))
    for column, dataset_name in enumerate(dataset_names):
        error_ax, ratio_ax = axes[0, column], axes[1, column]
        in_dataset = [r for r in measured if r["dataset"] == dataset_name]
        for index, method in enumerate(methods):
            runs = sorted(
                (r for r in in_dataset if r["method"] == method), key=lambda r: r["n_components"]
            )
            if not runs:
                continue
            shift = _dodge(index, len(methods))
            x = [r["n_components"] * shift for r in runs]
            errors = _positive(zip(x, [r["sq_error_per_sample"] for r in runs], strict=True))
            if errors:
                error_ax.plot(*zip(*errors, strict=True), markersize=5, **styles[method])
            ratios = [(xi, r["ratio_to_pca"]) for xi, r in zip(x, runs, strict=True)]
            ratios = _positive([(xi, ratio) for xi, ratio in ratios if ratio is not None])
            if ratios and method != "PCA":
                ratio_ax.plot(*zip(*ratios, strict=True), markersize=5, **styles[method])
        code_sizes = sorted({r["n_components"] for r in in_dataset})
        _code_size_axis(ratio_ax, code_sizes)
        error_ax.set_yscale("log")
        _log_axis(error_ax.yaxis)
        error_ax.set_title(dataset_name)
        error_ax.set_ylabel("held-out squared error per sample")
        error_ax.tick_params(labelbottom=True)
        ratio_ax.set_yscale("log")
        _log_axis(ratio_ax.yaxis)
        ratio_ax.axhline(1.0, **{**styles["PCA"], "marker": None, "linewidth": 1.5})
        low, high = ratio_ax.get_ylim()
        ratio_ax.set_ylim(min(low, 0.9), max(high, 1.1))
        ratio_ax.axhspan(WORSE_THAN_PCA, ratio_ax.get_ylim()[1], color=WORSE_COLOR, alpha=0.08)
        ratio_ax.set_xlabel("code size (n_components)")
        ratio_ax.set_ylabel("error / PCA's error")
    handles = _legend_handles(styles, methods)
    handles.append(Patch(color=WORSE_COLOR, alpha=0.15, label=f"above {WORSE_THAN_PCA}x PCA"))
    _figure_legend(figure, handles)
    figure.savefig(path, dpi=DPI, metadata=metadata)
    return path


# Where a code-size label may go, in points from its point: right, below, left.
LABEL_OFFSETS = ((4, 3), (4, -10), (-9, 3), (-9, -10))
LABEL_CHAR_POINTS, LABEL_HEIGHT_POINTS = 4.6, 8.0
# Two labels of the same text closer than this are one too many.
SAME_LABEL_POINTS = 8.0


def _boxes_overlap(a, b, margin=0.0):
    return (
        a[0] - margin < b[2]
        and b[0] - margin < a[2]
        and a[1] - margin < b[3]
        and b[1] - margin < a[3]
    )


def _label_points(ax, points, placed):
    """Label each ``(x, y, text)`` where its text fits beside it.

    A label is not drawn where the same text already stands in the way: a
    cluster of points of one code size is labelled once. ``placed`` holds the
    boxes drawn so far, in display pixels.
    """
    pixels_per_point = ax.figure.dpi / 72
    for x, y, text in points:
        px, py = ax.transData.transform((x, y))
        width = LABEL_CHAR_POINTS * len(text) * pixels_per_point
        height = LABEL_HEIGHT_POINTS * pixels_per_point
        for dx, dy in LABEL_OFFSETS:
            left, bottom = px + dx * pixels_per_point, py + dy * pixels_per_point
            box = (left, bottom, left + width, bottom + height)
            margin = SAME_LABEL_POINTS * pixels_per_point
            if any(
                other_text == text and _boxes_overlap(box, other, margin)
                for other, other_text in placed
            ):
                break
            if not any(_boxes_overlap(box, other) for other, _ in placed):
                placed.append((box, text))
                label = ax.annotate(
                    text, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize="x-small"
                )
                label.set_in_layout(False)
                break


def plot_error_vs_fit_time(
    records, path: Path, note: str | None = None, metadata: dict | None = None
) -> Path | None:
    """Held-out error against median fit time, a panel per data set.

    Each method's points are joined in code-size order and labelled by code size.
    """
    measured = _measured(records, "sq_error_per_sample", "fit_seconds")
    if not measured:
        return None
    styles = _method_styles(records)
    methods = _unique(r["method"] for r in measured)
    dataset_names = _unique(r["dataset"] for r in measured)
    title = _title("Held-out reconstruction error against fit time; labels: code size", note)
    figure, axes = _panels(len(dataset_names), title, panel_height=4.2)
    labelled = {}
    for ax, dataset_name in zip(axes, dataset_names, strict=True):
        in_dataset = [r for r in measured if r["dataset"] == dataset_name]
        labelled[ax] = []
        for method in methods:
            runs = sorted(
                (r for r in in_dataset if r["method"] == method and r["sq_error_per_sample"] > 0),
                key=lambda r: r["n_components"],
            )
            if not runs:
                continue
            seconds = [r["fit_seconds"] for r in runs]
            errors = [r["sq_error_per_sample"] for r in runs]
            ax.plot(seconds, errors, markersize=5, **styles[method])
            labelled[ax] += [
                (r["fit_seconds"], r["sq_error_per_sample"], str(r["n_components"])) for r in runs
            ]
        ax.set_xscale("log")
        ax.set_yscale("log")
        _log_axis(ax.xaxis)
        _log_axis(ax.yaxis)
        ax.margins(0.1)
        ax.set_title(dataset_name)
        ax.set_xlabel("median fit time (s)")
        ax.set_ylabel("held-out squared error per sample")
    _figure_legend(figure, _legend_handles(styles, methods))
    # Labels go where the final layout puts the points.
    figure.draw_without_rendering()
    for ax, points in labelled.items():
        _label_points(ax, points, placed=[])
    figure.savefig(path, dpi=DPI, metadata=metadata)
    return path


def reconstruction_code_size(records) -> int | None:
    """The code size at which the methods' held-out R² differ most.

    At a large code every method may reconstruct well (digits at 32: R² 0.93 to
    0.98), and their reconstructions look alike; where R² spreads most, they differ.
    """
    by_code = {}
    for record in _measured(records, "r2"):
        by_code.setdefault(record["n_components"], []).append(record["r2"])
    if not by_code:
        return None
    return max(sorted(by_code), key=lambda code: max(by_code[code]) - min(by_code[code]))


def plot_reconstructions(dataset, results, path: Path, note: str | None = None) -> Path | None:
    """Test images (top row) and each method's reconstructions, at one code size.

    The code size is :func:`reconstruction_code_size`'s; each row is labelled by its
    method and its held-out error over PCA's. Every row shares the originals' grey
    scale, so a method's contrast errors show.
    """
    if dataset.image_shape is None:
        return None
    with_images = [
        result
        for result in results
        if result.record["dataset"] == dataset.name and result.reconstructed_examples is not None
    ]
    if not with_images:
        return None
    records = with_ratios_to_pca([result.record for result in results])
    ratios = {(r["dataset"], r["method"], r["n_components"]): r["ratio_to_pca"] for r in records}
    n_components = reconstruction_code_size([result.record for result in with_images])
    rows = [("original", dataset.X_test[dataset.example_indices()])]
    for result in with_images:
        method = result.record["method"]
        if result.record["n_components"] != n_components:
            continue
        ratio = ratios.get((dataset.name, method, n_components))
        label = method if method == "PCA" or ratio is None else f"{method}\n{ratio:.2f}x PCA"
        rows.append((label, result.reconstructed_examples))
    originals = rows[0][1]
    n_columns = len(originals)
    # One inch per image, plus margins for the row labels and the title.
    label_width, title_height = 1.3, 0.7
    width, height = n_columns + label_width, len(rows) + title_height + 0.1
    figure = Figure(figsize=(width, height))
    axes = figure.subplots(len(rows), n_columns, squeeze=False)
    for row_axes, (label, images) in zip(axes, rows, strict=True):
        for ax, image in zip(row_axes, images, strict=True):
            ax.imshow(
                image.reshape(dataset.image_shape),
                cmap="gray",
                vmin=originals.min(),
                vmax=originals.max(),
            )
            ax.set_xticks([])
            ax.set_yticks([])
        row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center")
    title = (
        f"{dataset.name}: test images and their reconstructions from {n_components} numbers\n"
        "(the code size at which the methods' held-out R² differ most; "
        "labels: held-out error over PCA's)"
    )
    figure.suptitle(_title(title, note))
    figure.subplots_adjust(
        left=label_width / width,
        right=0.99,
        bottom=0.1 / height,
        top=1 - title_height / height,
        wspace=0.05,
        hspace=0.05,
    )
    figure.savefig(path, dpi=DPI)
    return path


MAPS_CAPTION = (
    "trust.: how well the map keeps each test point's 5 nearest neighbours (1: all kept); "
    "error: the reconstruction from the same 2 numbers, over PCA's (below 1: better).\n"
    "The two can disagree: a code that reconstructs better can still fold distant "
    "points together."
)


def plot_2d_maps(dataset, results, path: Path, note: str | None = None) -> Path | None:
    """The 2-D codes of the test set, one panel per method, coloured by label.

    Each panel names its trustworthiness and its held-out error over PCA's, the
    two scores a reader weighs against each other.
    """
    with_codes = [
        result
        for result in results
        if result.record["dataset"] == dataset.name and result.test_codes is not None
    ]
    if not with_codes:
        return None
    records = with_ratios_to_pca([result.record for result in results])
    ratios = {(r["dataset"], r["method"], r["n_components"]): r["ratio_to_pca"] for r in records}
    title = _title(f"{dataset.name}: 2-D codes of the test set", note)
    figure, axes = _panels(len(with_codes), f"{title}\n{MAPS_CAPTION}")
    if dataset.y_test is None:
        colors, colormap = None, None
    else:
        classes, colors = np.unique(dataset.y_test, return_inverse=True)
        colormap = "viridis" if dataset.ordered_labels or len(classes) > 10 else "tab10"
    for ax, result in zip(axes, with_codes, strict=True):
        codes = result.test_codes
        points = ax.scatter(
            codes[:, 0],
            codes[:, 1],
            c=colors,
            cmap=colormap,
            s=4,
            alpha=0.8,
            linewidths=0,
        )
        record = result.record
        ratio = ratios.get((dataset.name, record["method"], record["n_components"]))
        error = "no reconstruction" if ratio is None else f"error {ratio:.2f}x PCA"
        ax.set_title(f"{record['method']}\ntrust. {record['trustworthiness']:.3f}, {error}")
        ax.set_xticks([])
        ax.set_yticks([])
    if colors is not None:
        handles, _ = points.legend_elements(num=None)
        figure.legend(
            handles,
            [str(label) for label in classes],
            title="label (bin)" if dataset.ordered_labels else "label",
            loc="outside right center",
            fontsize="small",
        )
    figure.savefig(path, dpi=DPI)
    return path


def make_all_plots(datasets, results, out_dir: Path, note: str | None = None) -> list[Path]:
    """Draw every figure that the results allow; return the files written.

    ``note`` goes into every title in parentheses: ``"quick: 10 epochs, 3 for conv"``
    for a ``--quick`` run.
    """
    out_dir = Path(out_dir)
    records = [result.record for result in results]
    paths = [
        plot_error_vs_code_size(records, out_dir / "error_vs_code_size.png", note),
        plot_error_vs_fit_time(records, out_dir / "error_vs_fit_time.png", note),
    ]
    for dataset in datasets:
        path = out_dir / f"reconstructions_{dataset.name}.png"
        paths.append(plot_reconstructions(dataset, results, path, note))
        paths.append(plot_2d_maps(dataset, results, out_dir / f"maps_2d_{dataset.name}.png", note))
    return [path for path in paths if path is not None]
