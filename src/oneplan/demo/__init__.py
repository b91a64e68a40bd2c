"""The demo company: a deterministic, realistic mid-size manufacturer as an S&OP data package."""

from oneplan.demo.columns import TABLE_COLUMNS
from oneplan.demo.company import build_demo_company

__all__ = ["TABLE_COLUMNS", "build_demo_company"]
