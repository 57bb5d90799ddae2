"""PNG plots of a benchmark run.

Figures are built with ``matplotlib.figure.Figure`` and saved through the Agg
renderer, without pyplot: no display and no global backend state are needed.
"""

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

PANEL_WIDTH = 4.2
PANEL_HEIGHT = 3.6
MAX_COLUMNS = 4
# Figures of one panel per data set: two panels a row, about 840 pixels wide, which
# a page or a README shows at their size, text included.
DATASET_COLUMNS = 2


def _title(title, note):
    """The figure's title, with ``note`` (how a quick run differs) in parentheses."""
    return title if note is None else f"{title} ({note})"


def _panels(n_panels, title, max_columns=MAX_COLUMNS):
    n_columns = min(n_panels, max_columns)
    n_rows = -(-n_panels // n_columns)
    figure = Figure(
        figsize=(PANEL_WIDTH * n_columns, PANEL_HEIGHT * n_rows + 0.4),
        layout="constrained",
    )
    axes = figure.subplots(n_rows, n_columns, squeeze=False).ravel()
    for unused in axes[n_panels:]:
        unused.set_visible(False)
    figure.suptitle(title)
    return figure, axes[:n_panels]


def _unique(values):
    return list(dict.fromkeys(values))


MARKERS = "osD^vP*Xp<>h"


def _method_styles(records):
    """One colour and marker per method, the same in every figure of the run.

    tab20 keeps a dozen methods apart where the default cycle repeats after
    ten; PCA, the reference every other method is read against, is black.
    """
    methods = [method for method in _unique(r["method"] for r in records) if method != "PCA"]
    styles = {"PCA": {"color": "black", "marker": "o"}}
    for index, method in enumerate(methods):
        styles[method] = {
            "color": colormaps["tab20"](index % 20),
            "marker": MARKERS[index % len(MARKERS)],
        }
    return styles


def _measured(records, *fields):
    return [r for r in records if all(r[field] is not None for field in fields)]


def _shared_legend(figure, axes):
    """One legend under the panels for every method that any panel shows."""
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    figure.legend(
        handles.values(),
        handles.keys(),
        loc="outside lower center",
        ncols=min(len(handles), 4),
        fontsize="small",
    )


def plot_error_vs_code_size(records, path: Path, note: str | None = None) -> Path | None:
    """Held-out squared error per sample against code size, one panel per data set."""
    measured = _measured(records, "sq_error_per_sample")
    if not measured:
        return None
    styles = _method_styles(records)
    dataset_names = _unique(r["dataset"] for r in measured)
    title = _title("Held-out reconstruction error", note)
    figure, axes = _panels(len(dataset_names), title, DATASET_COLUMNS)
    for ax, dataset_name in zip(axes, dataset_names, strict=True):
        in_dataset = [r for r in measured if r["dataset"] == dataset_name]
        for method in _unique(r["method"] for r in in_dataset):
            points = sorted(
                (r["n_components"], r["sq_error_per_sample"])
                for r in in_dataset
                if r["method"] == method
            )
            n_components, errors = zip(*points, strict=True)
            line_style = "--" if method == "PCA" else "-"
            ax.plot(n_components, errors, line_style, label=method, **styles[method])
        code_sizes = sorted({r["n_components"] for r in in_dataset})
        ax.set_xscale("log", base=2)
        ax.set_xticks(code_sizes, [str(size) for size in code_sizes])
        ax.minorticks_off()
        ax.set_ylim(bottom=0)
        ax.set_title(dataset_name)
        ax.set_xlabel("code size (n_components)")
        ax.set_ylabel("squared error per test sample")
    _shared_legend(figure, axes)
    figure.savefig(path, dpi=100)
    return path


def plot_error_vs_fit_time(records, path: Path, note: str | None = None) -> Path | None:
    """Held-out error against median fit time; each point is labelled by code size."""
    measured = _measured(records, "sq_error_per_sample", "fit_seconds")
    if not measured:
        return None
    styles = _method_styles(records)
    dataset_names = _unique(r["dataset"] for r in measured)
    title = _title("Reconstruction error against fit time", note)
    figure, axes = _panels(len(dataset_names), title, DATASET_COLUMNS)
    for ax, dataset_name in zip(axes, dataset_names, strict=True):
        in_dataset = [r for r in measured if r["dataset"] == dataset_name]
        for method in _unique(r["method"] for r in in_dataset):
            points = [r for r in in_dataset if r["method"] == method]
            seconds = [r["fit_seconds"] for r in points]
            errors = [r["sq_error_per_sample"] for r in points]
            ax.scatter(seconds, errors, label=method, **styles[method])
            for r in points:
                ax.annotate(
                    str(r["n_components"]),
                    (r["fit_seconds"], r["sq_error_per_sample"]),
                    textcoords="offset points",
                    xytext=(4, 3),
                    fontsize="x-small",
                )
        ax.set_xscale("log")
        ax.set_title(dataset_name)
        ax.set_xlabel("median fit time (s)")
        ax.set_ylabel("squared error per test sample")
    _shared_legend(figure, axes)
    figure.savefig(path, dpi=100)
    return path


def plot_reconstructions(dataset, results, path: Path, note: str | None = None) -> Path | None:
    """Test images (top row) and each method's reconstructions at the largest code size.

    The largest code size run gives the most recognisable reconstructions; every
    row shares the originals' grey scale, so a method's contrast errors show.
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
    n_components = max(result.record["n_components"] for result in with_images)
    rows = [("original", dataset.X_test[dataset.example_indices()])]
    rows += [
        (result.record["method"], result.reconstructed_examples)
        for result in with_images
        if result.record["n_components"] == n_components
    ]
    originals = rows[0][1]
    n_columns = len(originals)
    # One inch per image, plus margins for the row labels and the title.
    label_width, title_height = 1.2, 0.45
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
    title = f"{dataset.name}: test images and reconstructions, code size {n_components}"
    figure.suptitle(_title(title, note))
    figure.subplots_adjust(
        left=label_width / width,
        right=0.99,
        bottom=0.1 / height,
        top=1 - title_height / height,
        wspace=0.05,
        hspace=0.05,
    )
    figure.savefig(path, dpi=100)
    return path


def plot_2d_maps(dataset, results, path: Path, note: str | None = None) -> Path | None:
    """The 2-D codes of the test set, one panel per method, coloured by label."""
    with_codes = [
        result
        for result in results
        if result.record["dataset"] == dataset.name and result.test_codes is not None
    ]
    if not with_codes:
        return None
    title = _title(f"{dataset.name}: 2-D codes of the test set", note)
    figure, axes = _panels(len(with_codes), title)
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
        trust = result.record["trustworthiness"]
        ax.set_title(f"{result.record['method']} (trustworthiness {trust:.3f})")
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
    figure.savefig(path, dpi=100)
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
