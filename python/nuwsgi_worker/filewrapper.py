"""`environ['wsgi.file_wrapper']` (PEP 3333, "Optional Platform-Specific File Handling")."""


class FileWrapper:
    """Iterates over `filelike.read(blksize)` until it returns nothing; close() closes the file."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration

    def close(self):
        close = getattr(self.filelike, 'close', None)
        if close is not None:
            close()
