"""Where the response of a request that came over the channel goes: RESPONSE_* frames to the master,
the body within the credit the master grants (docs/channel.md, "Flow control").

A regular file (wsgi.file_wrapper) is handed over to the master: RESPONSE_FILE names the
descriptor and the region, the master opens the same file through /proc and answers FILE_TAKEN.
Once it took it, the worker is done with the response and goes on to its next request while the
master sends the file; when it could not, the worker sends the region itself as body frames.
"""

import os

from .channel import (
    MAX_BODY_FRAME, RESPONSE_ABORT, RESPONSE_BODY, RESPONSE_END, RESPONSE_FILE, RESPONSE_HEAD, encode_file_region,
)

# How much of a file the worker reads at a time when it sends the file itself.
FILE_CHUNK = 256 * 1024


class ChannelSink:
    __slots__ = ('_state', '_pump', '_credit_used', '_offloaded')

    def __init__(self, state, pump):
        self._state = state
        self._pump = pump
        # Response-body bytes sent against state.response_credit.
        self._credit_used = 0
        # The master took a file: the end leaves at once, so that it can end the response.
        self._offloaded = False

    @property
    def cancelled(self):
        return self._state.cancelled

    def head(self, fields):
        self._pump.send_frame(RESPONSE_HEAD, self._state.id, '\0'.join(fields).encode('latin-1'))

    def body(self, data):
        state = self._state
        pump = self._pump
        if len(data) <= state.response_credit - self._credit_used and len(data) <= MAX_BODY_FRAME:
            self._credit_used += len(data)
            pump.send_frame(RESPONSE_BODY, state.id, data)
            return
        view = memoryview(data)
        while view:
            if state.response_credit <= self._credit_used:
                pump.wait_until(lambda: state.response_credit > self._credit_used or state.cancelled)
                if state.cancelled:
                    return
            size = min(len(view), state.response_credit - self._credit_used, MAX_BODY_FRAME)
            self._credit_used += size
            pump.send_frame(RESPONSE_BODY, state.id, view[:size])
            view = view[size:]

    def sendfile(self, fd, offset, count):
        """Sends `count` bytes of the regular file `fd` from `offset`: asks the master to (the
        descriptor stays open here until it answers), else sends them as body frames. Returns how
        many bytes the response got: `count` when the master took the file."""
        state = self._state
        pump = self._pump
        pump.send_frame(RESPONSE_FILE, state.id, encode_file_region(fd, offset, count))
        # after CANCEL the master sends nothing from the descriptor, whatever it answers
        pump.wait_until(lambda: state.file_taken is not None or state.cancelled)
        if state.cancelled:
            return 0
        if state.file_taken:
            self._offloaded = True
            return count
        return self._send_region(fd, offset, count)

    def _send_region(self, fd, offset, count):
        """The master could not take the file: its bytes go as body frames, as they are read."""
        sent = 0
        while sent < count and not self._state.cancelled:
            data = os.pread(fd, min(FILE_CHUNK, count - sent), offset + sent)
            if not data:
                break
            self.body(data)
            sent += len(data)
            self.streamed()
        return sent

    def streamed(self):
        """A streamed chunk leaves now; a CANCEL already waiting is seen while there is credit left."""
        self._pump.flush()
        self._pump.poll()

    def end(self):
        self._pump.send_frame(RESPONSE_END, self._state.id)
        if self._offloaded:
            self._pump.flush()

    def abort(self, reason):
        self._pump.send_frame(RESPONSE_ABORT, self._state.id, reason.encode())
        if self._offloaded:
            self._pump.flush()
