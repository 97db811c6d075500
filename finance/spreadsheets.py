"""Spreadsheet formula injection (OWASP's CSV injection): a cell that
starts like a formula is run by Excel, LibreOffice and Sheets when the
file is opened, so every export of text that donors typed escapes it."""

# What a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """A text cell that a spreadsheet would run as a formula gets a leading
    apostrophe, so a donor named =HYPERLINK(...) stays text. Anything that
    is not text (numbers, dates, None) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
