"""Raw files as people have them, written byte for byte: other encodings, Excel-style dates,
workbooks, gzip (intact and damaged), control characters and lines of the wrong length."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import xlsxwriter

ONLINE_RETAIL_II_HEADER = [
    "Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID",
    "Country",
]  # fmt: skip


def write_lines(
    path: Path, header: str | None, rows: list[str], encoding: str = "utf-8", gzipped=False
) -> Path:
    """Writes the lines exactly as given (no quoting added), in `encoding`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in ([header] if header else []) + rows).encode(encoding)
    path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)
    return path


def excel_style_online_retail_rows(count: int, month: int, first_invoice: int) -> list[str]:
    """Good lines dated as the UCI file's Excel export writes them (`1/3/2011 8:26`): every day
    12 or less, so that day-first would read them too (only the span of the dates tells)."""
    return [
        f"{first_invoice + i},85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,"
        f"{month}/{3 + i % 10}/2011 {8 + i % 9}:26,2.55,{17800 + i},United Kingdom"
        for i in range(count)
    ]


def write_online_retail_ii_workbook(path: Path) -> Path:
    """Two sheets in Online Retail II's layout, cells typed as Excel types them: numbers for
    invoices, most stock codes and customer ids, date-formatted serials for the dates."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "m/d/yyyy h:mm"})
    for sheet_name, month, stock_code in (("Year 2011 March", 3, 71053), ("April", 4, "85123A")):
        sheet = book.add_worksheet(sheet_name)
        sheet.write_row(0, 0, ONLINE_RETAIL_II_HEADER)
        for i in range(10):
            row = i + 1
            sheet.write_number(row, 0, 537000 + month * 100 + i)
            sheet.write(row, 1, stock_code)
            sheet.write_string(row, 2, "WHITE METAL LANTERN")
            sheet.write_number(row, 3, 2)
            sheet.write_datetime(row, 4, dt.datetime(2011, month, 2 + i, 14, 30), date_format)
            sheet.write_number(row, 5, 3.39)
            sheet.write_number(row, 6, 17850.0)
            sheet.write_string(row, 7, "United Kingdom")
    book.close()
    return path


def flip_a_bit_in_stored_gzip(path: Path, header: str, rows: list[str]) -> Path:
    """An uncompressed (stored) gzip file with one bit of its data flipped: it still decodes,
    to a wrong character, and only the CRC tells."""
    data = bytearray(gzip.compress(("\n".join([header, *rows]) + "\n").encode(), 0, mtime=0))
    data[len(data) // 2] ^= 0x04
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))
    return path


def truncated_gzip(path: Path, header: str, rows: list[str]) -> Path:
    data = gzip.compress(("\n".join([header, *rows]) + "\n").encode(), mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[: len(data) - 40])
    return path
