"""A data package sent as one zip archive: its CSV or Parquet files, unpacked safely.

A zip of the package folder is how a folder travels in one upload. Its files land flat in one
folder (a zip of the folder itself, ``package/items.csv``, is the same as one of its files);
nothing is written outside that folder, links and nested folders are refused, and the sizes the
archive declares are held to the reading limits before anything is inflated.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from oneplan.datapack.cells import name_shown
from oneplan.datapack.raw import is_ignored
from oneplan.datapack.safety import ReadLimits
from oneplan.errors import Problem

#: Folders some zip tools add beside the files (resource forks): never part of a package.
TOOL_FOLDERS = ("__MACOSX",)


def _member_names(members: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """Member path -> info, files only, without the tools' folders."""
    return {
        m.filename: m
        for m in members
        if not m.is_dir() and PurePosixPath(m.filename).parts[:1] != TOOL_FOLDERS
    }


def unpack_zip(archive: Path, folder: Path, limits: ReadLimits) -> list[Problem]:
    """Unpack the package files of ``archive`` into ``folder``; the problems, if any, each
    naming the archive and the member (nothing is unpacked when there is one).

    >>> import io, tempfile
    >>> where = Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(where / "p.zip", "w") as z:
    ...     z.writestr("package/items.csv", "code\\nA\\n")
    >>> unpack_zip(where / "p.zip", where / "out", ReadLimits()), sorted(
    ...     p.name for p in (where / "out").iterdir())
    ([], ['items.csv'])
    """
    shown = name_shown(archive.name)
    try:
        with zipfile.ZipFile(archive) as opened:
            files = _member_names(opened.infolist())
            problems = _check(shown, files, limits)
            if problems:
                return problems
            folder.mkdir(parents=True, exist_ok=True)
            for name, member in files.items():
                leaf = PurePosixPath(name).name
                if is_ignored(leaf):
                    continue
                with opened.open(member) as source, (folder / leaf).open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return [Problem(shown, None, None, f"is not a readable zip archive ({error})")]
    return []


def _check(shown: str, files: dict[str, zipfile.ZipInfo], limits: ReadLimits) -> list[Problem]:
    problems = []
    if len(files) > limits.max_members:
        message = f"has {len(files):,} files, more than the {limits.max_members:,} allowed"
        return [Problem(shown, None, None, message)]
    total = sum(m.file_size for m in files.values())
    if total > limits.max_uncompressed_bytes:
        message = (
            f"would unpack to {total:,} bytes, more than the "
            f"{limits.max_uncompressed_bytes:,} allowed"
        )
        return [Problem(shown, None, None, message)]
    folders = {PurePosixPath(name).parent for name in files}
    leaves: set[str] = set()
    for name, member in files.items():
        path = PurePosixPath(name)
        where = f"{shown}: {name_shown(name)}"
        if path.is_absolute() or ".." in path.parts or "\\" in name:
            problems.append(Problem(where, None, None, "points outside the package; refused"))
        elif len(folders) > 1 or len(path.parts) > 2:
            problems.append(
                Problem(where, None, None, "is in a folder of its own: the package is one folder")
            )
        elif (member.external_attr >> 16) & 0o170000 == 0o120000:
            problems.append(Problem(where, None, None, "is a link; refused"))
        elif member.file_size > limits.max_file_bytes:
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f"is {member.file_size:,} bytes, more than the {limits.max_file_bytes:,} "
                    "allowed",
                )
            )
        elif path.name in leaves:
            problems.append(Problem(where, None, None, "is given twice"))
        leaves.add(path.name)
    if not files:
        problems.append(Problem(shown, None, None, "is an empty zip archive"))
    return problems
