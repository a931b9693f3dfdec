"""`environ['wsgi.input']`: the request body as a read-only binary stream.

Reads never go past the body: they return b'' after BODY_END, or at once when the request had no
body. A body that ended with ABORTED, or a request the master cancelled, makes a read that reaches the
missing part raise ClientDisconnected (an OSError).

Flow control (docs/channel.md): the master may send as many body bytes as this side has granted. The
first grant is the window (0 for `Expect: 100-continue`). Whenever granted - consumed falls to half
the window, a BODY_CREDIT brings it back to the full window, or to the declared length of the body
when that is less; an app that waits with nothing buffered while more than half a window is granted
waits for bytes the master may already send. So at most one window of unread body is ever buffered
here, and a body no larger than the window needs no BODY_CREDIT at all.

The body chunks are bytes, or memoryviews of what the pump received (the pieces of BODY frames):
reads join them into the bytes they return.
"""

import sys

from .channel import BODY_CREDIT, encode_u32
from .request import ClientDisconnected


class WsgiInput:
    __slots__ = ('_state', '_pump', '_window', '_granted', '_consumed', '_offset', '_length')

    def __init__(self, state, pump, window):
        self._state = state
        self._pump = pump
        self._window = window
        self._granted = 0 if state.expect_continue else window
        self._consumed = 0
        # How much of the first buffered chunk the app has already read.
        self._offset = 0
        # No credit is granted past the declared length of the body.
        self._length = sys.maxsize

    def expect(self, content_length):
        """Takes the request's CONTENT_LENGTH (None or '' when it has none): a body that the credit
        granted already covers needs no more."""
        if content_length and content_length.isascii() and content_length.isdigit():
            self._length = int(content_length)

    def read(self, size=-1):
        if size is None or size < 0:
            size = sys.maxsize
        parts = []
        while size > 0 and self._ensure_data():
            data = self._take(size)
            parts.append(data)
            size -= len(data)
        return b''.join(parts)

    def readline(self, size=-1):
        if size is None or size < 0:
            size = sys.maxsize
        parts = []
        while size > 0 and self._ensure_data():
            chunks = self._state.body_chunks
            chunk = chunks[0]
            if type(chunk) is not bytes:
                # find() needs bytes: the view becomes a copy once, not once per line
                chunk = chunks[0] = bytes(chunk)
            offset = self._offset
            newline = chunk.find(b'\n', offset, offset + size)
            if newline >= 0:
                parts.append(self._take(newline + 1 - offset))
                break
            data = self._take(size)
            parts.append(data)
            size -= len(data)
        return b''.join(parts)

    def readlines(self, hint=-1):
        lines = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if line:
            return line
        raise StopIteration

    def _ensure_data(self):
        """True once some body bytes are buffered; False at the end of the body."""
        state = self._state
        # The chunks are never empty, and the one partly read stays first until it is used up.
        if state.body_chunks:
            return True
        if not state.body_ended and not state.cancelled:
            self._grant()
            self._pump.wait_until(lambda: state.body_chunks or state.body_ended or state.cancelled)
            if state.body_chunks:
                return True
        if state.body_aborted or not state.body_ended:
            raise ClientDisconnected('client disconnected before the end of the request body')
        return False

    def _take(self, limit):
        """Up to `limit` bytes from the first buffered chunk (there is one)."""
        state = self._state
        chunks = state.body_chunks
        chunk = chunks[0]
        offset = self._offset
        available = len(chunk) - offset
        if limit >= available:
            data = chunk[offset:] if offset else chunk
            chunks.popleft()
            self._offset = 0
        else:
            data = chunk[offset:offset + limit]
            self._offset = offset + limit
        self._consumed += len(data)
        if not state.body_ended:
            self._grant()
        return data

    def _grant(self):
        """Brings the master's credit back to a full window once half of it is consumed, or up to
        the end of the body when that comes first."""
        target = min(self._consumed + self._window, self._length)
        credit = target - self._granted
        if credit > 0 and (credit >= self._window - self._window // 2 or target == self._length):
            self._granted += credit
            self._pump.send_frame(BODY_CREDIT, self._state.id, encode_u32(credit))
            self._pump.flush()
