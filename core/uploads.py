"""A cap on the size of a multipart request, checked before any of it is
read: Django's own DATA_UPLOAD_MAX_MEMORY_SIZE does not count file data,
so without this any form that takes a POST would stream a body of any size
to temporary files before a form could refuse it."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class MultipartSizeLimit(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a multipart body larger than
    MULTIPART_MAX_BYTES is refused (400) from its Content-Length alone.
    Django reads no further than Content-Length, so that is the whole body."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.MULTIPART_MAX_BYTES:
            raise RequestDataTooBig(f"A form upload may be at most {settings.MULTIPART_MAX_BYTES} bytes.")
        return None  # within the cap: the next handlers parse it

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
