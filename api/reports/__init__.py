"""The one writer of the files the service's reports are made of (DESIGN.md §2: typed cells, no formulas).

Every Excel file the service writes (the ANS report, the CPS change reports,
and the reports to come) goes through :func:`write_xlsx`: each cell written
from data is a string, a number, a date or a date-time, never a formula.
"""
from .xlsx import DATE, DATETIME, MONEY, Column, Sheet, typed_cell, write_xlsx

__all__ = ["Column", "DATE", "DATETIME", "MONEY", "Sheet", "typed_cell", "write_xlsx"]
