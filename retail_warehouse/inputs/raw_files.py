"""Each raw file made safe for DuckDB's CSV reader before a line of it is read.

DuckDB reads gzip without checking its CRC (a flipped bit loads as garbled lines), decodes
only UTF-8 (its latin-1 refuses the bytes cp1252 uses most), cannot read workbooks, and stops
a build on a bad byte or an overlong line with a message that names none of the project's
settings. So before the raw views exist (the on-run-start hook, macros/raw_sources.sql,
through the DuckDB function that duckdb_plugin.py registers), each file is read once to its
end: a `.gz` file's CRC and length are checked, its text is decoded with the source's encoding
(a file in another encoding than UTF-8 is written again as UTF-8) and no line may be longer
than max_line_size; a workbook becomes one CSV per sheet (workbooks.py).

A file that passes is remembered in the cache folder under a name made of its path, size,
modification time and the settings, so an unchanged file is read once, not on every build.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from retail_warehouse.inputs.workbooks import is_workbook, workbook_to_csv

CHUNK_BYTES = 1 << 22
GZIP_MAGIC = b"\x1f\x8b"
NEWLINE = 10
# Every byte but the C0 controls and DEL: deleting them leaves the controls of a chunk.
NOT_CONTROL_BYTES = bytes(range(32, 127)) + bytes(range(128, 256))
# Files are read in parallel: zlib, the decoders and numpy release the GIL.
WORKERS = 2


@dataclass
class ReadableFile:
    """What the raw view reads for one input: `source_file` names it in every table (a
    workbook's sheets as `<workbook>#<sheet>`), `read_path` is the file DuckDB scans, and
    `converted` says it is the project's own CSV (written here: comma, double quotes)."""

    source_file: str
    read_path: str
    converted: bool = False
    has_control_characters: bool = True


@dataclass
class Prepared:
    path: str
    files: list[ReadableFile] = field(default_factory=list)
    error: str | None = None
    # What the error is about: the setting it names (`encoding`, `max_line_size`) or `file`.
    error_kind: str | None = None


class InputError(ValueError):
    """A file that cannot be read as it is; `kind` is the setting that would change that."""

    def __init__(self, message: str, kind: str = "file"):
        super().__init__(message)
        self.kind = kind


class ByteScan:
    """A chunk at a time: counts lines, finds the first one longer than the limit, and notes
    whether any value holds a control character (C0 but the line ends, DEL, C1 as UTF-8), a
    line break inside quotes included, so that staging strips them only in such files."""

    def __init__(self, limit: int, quote: int):
        self.limit = limit
        self.quote = quote
        self.quote_byte = bytes([quote])
        self.lines = 0
        self.open_line = 0
        self.quotes_open = False
        self.previous_byte = -1
        self.has_control_characters = False

    def add(self, chunk: bytes) -> None:
        data = np.frombuffer(chunk, dtype=np.uint8)
        ends = np.flatnonzero(data == NEWLINE)
        if not self.has_control_characters:
            self._find_control_characters(chunk, data, ends)
        if len(ends) == 0:
            self.open_line += len(chunk)
            self._check(np.array([self.open_line]), partial=True)
        else:
            lengths = np.diff(ends, prepend=-1) - 1
            lengths[0] += self.open_line
            self._check(lengths, partial=False)
            self.lines += len(ends)
            self.open_line = len(chunk) - int(ends[-1]) - 1
        self.previous_byte = int(data[-1]) if len(data) else self.previous_byte

    def _find_control_characters(self, chunk: bytes, data: np.ndarray, ends: np.ndarray) -> None:
        # Byte-string operations in C rather than numpy masks over every byte: the scan of a
        # file not yet checked is most of the first build's on-run-start hook.
        controls = chunk.translate(None, NOT_CONTROL_BYTES)
        # A control byte that is no line end, or a carriage return not before a line feed...
        outside_line_ends = bool(controls.translate(None, b"\r\n")) or controls.count(
            b"\r"
        ) != chunk.count(b"\r\n")
        # ...or a line break inside quotes (an odd number of quotes before it)...
        quoted_break = False
        if self.quotes_open or self.quote_byte in chunk:
            quotes = np.flatnonzero(data == self.quote)
            before = np.searchsorted(quotes, ends) + int(self.quotes_open)
            quoted_break = bool(np.any(before % 2 == 1))
            self.quotes_open = bool((len(quotes) + int(self.quotes_open)) % 2)
        # ...or a C1 control as UTF-8 (0xC2 0x80-0x9F), also across the chunk boundary.
        c1 = False
        if b"\xc2" in chunk:
            c1 = bool(np.any((data[:-1] == 0xC2) & (data[1:] >= 0x80) & (data[1:] <= 0x9F)))
        starts_with_c1 = self.previous_byte == 0xC2 and 0x80 <= chunk[0] <= 0x9F
        self.has_control_characters = outside_line_ends or quoted_break or c1 or starts_with_c1

    def _check(self, lengths: np.ndarray, partial: bool) -> None:
        over = np.flatnonzero(lengths > self.limit)
        if len(over):
            number = self.lines + int(over[0]) + 1
            size = "more than " if partial else ""
            raise InputError(
                f"line {number:,} (counting the header) is {size}{int(lengths[over[0]]):,} bytes,"
                f" longer than max_line_size ({self.limit:,})",
                kind="max_line_size",
            )


def cache_key(path: Path, *settings: object) -> str:
    stat = path.stat()
    identity = "|".join(map(str, (path.resolve(), stat.st_size, stat.st_mtime_ns, *settings)))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def open_bytes(path: Path):
    if not is_gzip(path):
        return path.open("rb")
    with path.open("rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            raise InputError("its name ends in .gz but it is not a gzip file")
    return gzip.open(path, "rb")


def read_through(
    path: Path, encoding: str, max_line_size: int, quote: str, copy_to: Path | None
) -> bool:
    """Reads the file to its end (gzip checks its CRC there), decoding every byte; with
    `copy_to`, writes the text there as UTF-8 (atomically). Returns whether a value holds a
    control character."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = ByteScan(max_line_size, ord(quote))
    partial = copy_to.with_name(copy_to.name + ".partial") if copy_to else None
    out = partial.open("wb") if partial else None
    try:
        with open_bytes(path) as source:
            offset = 0
            while chunk := source.read(CHUNK_BYTES):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    line = lines.lines + chunk.count(b"\n", 0, error.start) + 1
                    bad = chunk[error.start : error.start + 1]
                    raise InputError(
                        f"line {line:,} (byte {offset + error.start:,}) holds {bad!r}, which is"
                        f" not {encoding} text",
                        kind="encoding",
                    ) from None
                encoded = text.encode("utf-8") if out else chunk
                lines.add(encoded)
                if out:
                    out.write(encoded)
                offset += len(chunk)
            tail = decoder.decode(b"", final=True)
            if out:
                out.write(tail.encode("utf-8"))
    finally:
        if out:
            out.close()
    if partial and copy_to:
        partial.replace(copy_to)
    return lines.has_control_characters


def describe(error: BaseException) -> tuple[str, str]:
    """What went wrong with a file, in words a user can act on, and the setting it is about."""
    if isinstance(error, InputError):
        return str(error), error.kind
    if isinstance(error, gzip.BadGzipFile):
        return f"it is a damaged gzip file ({error})", "file"
    if isinstance(error, EOFError):
        return "it is a truncated gzip file (the compressed stream ends early)", "file"
    if isinstance(error, zlib.error):
        return f"it is a damaged gzip file (its compressed data cannot be decoded: {error})", "file"
    return f"{type(error).__name__}: {error}", "file"


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8"


def checked(source: Path, marker: Path, scan) -> bool:
    """The scan's answer (has a control character), computed once per file version: the
    marker file keeps it."""
    if marker.exists():
        return json.loads(marker.read_text())["has_control_characters"]
    found = scan()
    marker.write_text(json.dumps({"source": str(source), "has_control_characters": found}))
    return found


def prepare(
    path_text: str, encoding: str, max_line_size: int, quote: str, cache_dir: Path
) -> Prepared:
    path = Path(path_text)
    prepared = Prepared(path_text)
    try:
        key = cache_key(path, encoding, max_line_size, quote)
        if is_workbook(path):
            for sheet, csv_path in workbook_to_csv(path, cache_dir, f"-{key}"):
                found = checked(
                    csv_path,
                    csv_path.with_suffix(".checked"),
                    lambda csv_path=csv_path: read_through(
                        csv_path, "utf-8", max_line_size, '"', copy_to=None
                    ),
                )
                prepared.files.append(
                    ReadableFile(f"{path_text}#{sheet}", str(csv_path), True, found)
                )
            if not prepared.files:
                raise InputError("the workbook has no sheet with a row")
        elif is_utf8(encoding):
            found = checked(
                path,
                cache_dir / f"{path.name}-{key}.checked",
                lambda: read_through(path, encoding, max_line_size, quote, copy_to=None),
            )
            prepared.files = [ReadableFile(path_text, path_text, False, found)]
        else:
            copy = cache_dir / f"{path.name.removesuffix('.gz')}-{key}.utf-8.csv"
            found = checked(
                path,
                copy.with_suffix(".checked"),
                lambda: read_through(path, encoding, max_line_size, quote, copy_to=copy),
            )
            prepared.files = [ReadableFile(path_text, str(copy), False, found)]
    except Exception as error:  # every failure becomes the file's message
        prepared.files = []
        prepared.error, prepared.error_kind = describe(error)
    return prepared


def prepare_all(request_json: str) -> str:
    """The DuckDB function: {"files", "encoding", "max_line_size", "quote", "cache_dir"} in,
    one Prepared per file (as JSON, in the same order) out."""
    request = json.loads(request_json)
    encoding = request.get("encoding") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        unknown = f"the encoding '{encoding}' is not one Python knows (e.g. utf-8, cp1252, latin-1)"
        failed = [Prepared(file, error=unknown, error_kind="encoding") for file in request["files"]]
        return json.dumps([asdict(result) for result in failed])
    cache_dir = Path(request["cache_dir"])
    cache_dir.mkdir(parents=True, exist_ok=True)
    max_line_size, quote = int(request["max_line_size"]), request.get("quote") or '"'
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(
            pool.map(
                lambda f: prepare(f, encoding, max_line_size, quote, cache_dir), request["files"]
            )
        )
    return json.dumps([asdict(result) for result in results])
