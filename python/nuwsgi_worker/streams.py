"""stdout and stderr that survive their reader going away.

The worker's stdout and stderr are pipes the master reads into its log. If the master is gone (a closed
pipe), a write raises BrokenPipeError: in the app's print() or wsgi.errors, or in the worker's own
error report, where it would kill the worker and every request it holds. Log lines are lost instead.
"""

import sys


class GoneTolerantStream:
    """Delegates to a text stream; writes and flushes that fail with OSError are dropped."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError:
            return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        try:
            self._stream.flush()
        except OSError:
            pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


def tolerate_gone_log():
    sys.stdout = GoneTolerantStream(sys.stdout)
    sys.stderr = GoneTolerantStream(sys.stderr)
