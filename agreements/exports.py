"""Tables a manager takes away, written as CSV (as before) or as an XLSX workbook with one
sheet per table, whatever Excel's locale: a CSV is split on the locale's list separator
(Excel set to Colombian Spanish expects «;» and reads a comma-separated file as one column),
a workbook has its columns and its dates as dates.

Cells are values: dates stay `datetime.date` (written as dates, shown dd/mm/yyyy); a text
that starts like a formula stays text in both formats."""

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = {"=", "+", "-", "@", "\t", "\r"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE_CHARS = 31  # Excel's limit
MAX_COLUMN_WIDTH = 60


@dataclass
class Table:
    title: str  # the sheet's name
    header: list[str]
    rows: list[list[object]] = field(default_factory=list)
    # Sentences about the whole table (names and texts erased, say), written below it after
    # an empty row, one per row, in the first column.
    notes: list[str] = field(default_factory=list)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def csv_response(filename: str, table: Table) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel reads Spanish accents correctly."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    if table.notes:
        writer.writerow([])
        for note in table.notes:
            writer.writerow([_csv_cell(note)])
    return response


def _xlsx_value(value: object) -> object:
    """A cell's value: dates and numbers as they are; text without the control characters a
    workbook cannot hold (a pasted title may carry one)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def workbook(tables: Iterable[Table]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:SHEET_TITLE_CHARS])
        sheet.append([_xlsx_value(title) for title in table.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(title)) for title in table.header]
        for row in table.rows:
            sheet.append([_xlsx_value(value) for value in row])
            for index, value in enumerate(row):
                widths[index] = max(widths[index], len(_csv_cell(value)))
        if table.notes:
            sheet.append([])
            for note in table.notes:
                sheet.append([_xlsx_value(note)])
                sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)
        # Every cell, the header's too (an area's name is typed by people).
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, str):
                    # A text that looks like a formula stays text (never evaluated).
                    cell.data_type = "s"
                    if "\n" in cell.value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(
                MAX_COLUMN_WIDTH, max(10, width + 2)
            )
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, tables: Iterable[Table]) -> HttpResponse:
    response = HttpResponse(workbook(tables), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
