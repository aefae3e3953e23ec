"""reader: a keyboard-driven terminal feed reader."""

__version__ = "0.1.0"
# The name on the package index: `reader` there is another project (a feed-reader library).
DISTRIBUTION = "reader-tui"
