"""The executive S&OP pack: charts, an xlsx workbook, a self-contained HTML page and a PDF."""

from oneplan.reports.pack import Pack, build_pack
from oneplan.reports.page import write_html
from oneplan.reports.pdf import write_pdf
from oneplan.reports.workbook import write_xlsx

__all__ = ["Pack", "build_pack", "write_html", "write_pdf", "write_xlsx"]
