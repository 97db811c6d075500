"""The donor's PDF link, as only the email they were sent holds it."""

import re

PDF_LINK = re.compile(r"https?://[^/\s]+(/receipts/([^/\s]+)/pdf/)")


def pdf_path_in(message) -> str:
    """The path of the one PDF link in a receipt email's text."""
    [(path, _token)] = PDF_LINK.findall(message.body)
    return path


def pdf_token_in(message) -> str:
    [(_path, token)] = PDF_LINK.findall(message.body)
    return token
