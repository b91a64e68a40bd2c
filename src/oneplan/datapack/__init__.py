"""The data package: oneplan's open exchange format (CSV folder, Parquet folder or xlsx workbook).

One schema, derived from the database models, drives reading, validation, writing and the
published documentation (docs/data-package.md and docs/datapackage.json).
"""

from oneplan.datapack.docs import frictionless_descriptor, render_markdown, write_docs
from oneplan.datapack.read import RawPackage, RawTable, read_package
from oneplan.datapack.safety import ReadLimits
from oneplan.datapack.schema import (
    PROVENANCE_COLUMNS,
    ColumnSchema,
    PackageSchema,
    TableSchema,
    package_schema,
)
from oneplan.datapack.validate import (
    Validation,
    check_package,
    load_package,
    validate_package,
    validate_raw,
)
from oneplan.datapack.write import canonical_frame, write_package

__all__ = [
    "PROVENANCE_COLUMNS",
    "ColumnSchema",
    "PackageSchema",
    "RawPackage",
    "RawTable",
    "ReadLimits",
    "TableSchema",
    "Validation",
    "canonical_frame",
    "check_package",
    "frictionless_descriptor",
    "load_package",
    "package_schema",
    "read_package",
    "render_markdown",
    "validate_package",
    "validate_raw",
    "write_docs",
    "write_package",
]
