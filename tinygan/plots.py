"""Line plots with matplotlib, an optional extra (``pip install -e ".[figures]"``).

Sample grids are pictures of arrays and stay in ``images`` (pillow); curves, axes and legends are
matplotlib's job. Every figure is written atomically as a PNG.
"""
from . import files

INSTALL = 'pip install -e ".[figures]"   (or: pip install matplotlib)'


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend; RuntimeError with the install command
    where matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(f"this figure needs matplotlib: {INSTALL}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(figure, path):
    """Writes a matplotlib figure as a PNG, atomically, and closes it."""
    with files.atomic_write(path) as f:
        figure.savefig(f, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(figure)
