"""oneplan: open-source Sales & Operations Planning."""

__version__ = "0.1.0"
