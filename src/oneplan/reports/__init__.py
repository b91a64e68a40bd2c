"""The executive S&OP pack: charts, an xlsx workbook, a self-contained HTML page and a PDF."""

from oneplan.reports.pack import Pack, build_pack, write_html, write_xlsx
from oneplan.reports.pdf import write_pdf

__all__ = ["Pack", "build_pack", "write_html", "write_pdf", "write_xlsx"]
