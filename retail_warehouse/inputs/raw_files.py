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


class LineCounter:
    """Counts lines and finds the first one longer than the limit, a chunk at a time."""

    def __init__(self, limit: int):
        self.limit = limit
        self.lines = 0
        self.open_line = 0

    def add(self, chunk: bytes) -> None:
        ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == NEWLINE)
        if len(ends) == 0:
            self.open_line += len(chunk)
            self._check(np.array([self.open_line]), partial=True)
            return
        lengths = np.diff(ends, prepend=-1) - 1
        lengths[0] += self.open_line
        self._check(lengths, partial=False)
        self.lines += len(ends)
        self.open_line = len(chunk) - int(ends[-1]) - 1

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


def read_through(path: Path, encoding: str, max_line_size: int, copy_to: Path | None) -> None:
    """Reads the file to its end (gzip checks its CRC there), decoding every byte; with
    `copy_to`, writes the text there as UTF-8 (atomically)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = LineCounter(max_line_size)
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


def prepare(path_text: str, encoding: str, max_line_size: int, cache_dir: Path) -> Prepared:
    path = Path(path_text)
    prepared = Prepared(path_text)
    try:
        key = cache_key(path, encoding, max_line_size)
        if is_workbook(path):
            sheets = workbook_to_csv(path, cache_dir, f"-{key}")
            prepared.files = [
                ReadableFile(f"{path_text}#{sheet}", str(csv_path), converted=True)
                for sheet, csv_path in sheets
            ]
            if not sheets:
                raise InputError("the workbook has no sheet with a row")
        elif is_utf8(encoding):
            marker = cache_dir / f"{path.name}-{key}.checked"
            if not marker.exists():
                read_through(path, encoding, max_line_size, copy_to=None)
                marker.touch()
            prepared.files = [ReadableFile(path_text, path_text)]
        else:
            copy = cache_dir / f"{path.name.removesuffix('.gz')}-{key}.utf-8.csv"
            if not copy.exists():
                read_through(path, encoding, max_line_size, copy_to=copy)
            prepared.files = [ReadableFile(path_text, str(copy))]
    except Exception as error:  # every failure becomes the file's message
        prepared.files = []
        prepared.error, prepared.error_kind = describe(error)
    return prepared


def prepare_all(request_json: str) -> str:
    """The DuckDB function: {"files", "encoding", "max_line_size", "cache_dir"} in, one
    Prepared per file (as JSON, in the same order) out."""
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
    max_line_size = int(request["max_line_size"])
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(
            pool.map(lambda f: prepare(f, encoding, max_line_size, cache_dir), request["files"])
        )
    return json.dumps([asdict(result) for result in results])
