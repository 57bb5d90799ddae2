"""The order of the examples in the gallery: a reading order, not the alphabet's."""

# From the first use of an autoencoder to its variants, its uses, and tuning.
READING_ORDER = (
    "plot_compression.py",
    "plot_code_size.py",
    "plot_sparse.py",
    "plot_denoising.py",
    "plot_watermark_removal.py",
    "plot_colourisation.py",
    "plot_2d_maps.py",
    "plot_anomaly_detection.py",
    "plot_vae_generation.py",
    "plot_grid_search.py",
)


class ReadingOrder:
    """sphinx-gallery's ``within_subsection_order``: listed examples first, in order.

    Examples not listed follow, by file name, so a new one is never left out.
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in READING_ORDER:
            return (0, READING_ORDER.index(filename), filename)
        return (1, 0, filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
