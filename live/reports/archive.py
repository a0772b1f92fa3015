"""Uploaded archives (an XLSX workbook is a zip) checked before anything is unpacked.

A zip file names every entry and its unpacked size in its central directory, at the end of the
file: reading that directory costs microseconds, whatever the entries hold. ``check_archive``
refuses a file whose directory promises too much (too many entries, too many bytes unpacked in
all, or bytes that unpack out of proportion to their packed size: a decompression bomb) before
any entry is inflated. The promise is then kept by Python's ``zipfile``, which never hands out
more bytes of an entry than its directory declares (a lying entry fails its CRC check), so an
archive that passes cannot unpack to more than ``max_unpacked`` bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

__all__ = ["ArchiveLimits", "check_archive"]


@dataclass(frozen=True)
class ArchiveLimits:
    """What an upload may be. The defaults fit any real roster or question workbook many times
    over: a 2,000-row roster unpacks to about 1 MB."""

    max_packed: int = 5_000_000  # bytes of the file itself
    max_unpacked: int = 25_000_000  # bytes of every entry unpacked, added up
    max_entries: int = 256
    max_ratio: float = 100.0  # unpacked / packed, for every entry that unpacks past ratio_floor
    ratio_floor: int = 1_000_000  # small entries may compress as well as they like


def check_archive(raw: bytes, limits: ArchiveLimits | None = None) -> None:
    """Raise ``ValueError`` with the reason when ``raw`` is not a zip within ``limits``.

    Reads the central directory only; nothing is decompressed.
    """
    limits = limits or ArchiveLimits()
    if len(raw) > limits.max_packed:
        raise ValueError(f"the file is {len(raw)} bytes; an upload may be {limits.max_packed}")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ValueError(f"not a readable XLSX file ({exc})") from None
    if len(entries) > limits.max_entries:
        raise ValueError(
            f"the archive holds {len(entries)} entries; a workbook may hold {limits.max_entries}"
        )
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.max_unpacked:
        raise ValueError(
            f"the archive unpacks to {unpacked} bytes; a workbook may unpack to "
            f"{limits.max_unpacked}"
        )
    for e in entries:
        if e.file_size > limits.ratio_floor and e.file_size > limits.max_ratio * max(
            e.compress_size, 1
        ):
            raise ValueError(
                f"the archive entry {e.filename[:60]!r} unpacks {e.file_size // max(e.compress_size, 1)}"
                f" times its size (a decompression bomb?); the limit is {limits.max_ratio:g}"
            )
