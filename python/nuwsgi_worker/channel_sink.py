"""Where the response of a request that came over the channel goes: RESPONSE_* frames to the master,
the body within the credit the master grants (docs/channel.md, "Flow control")."""

from .channel import MAX_BODY_FRAME, RESPONSE_ABORT, RESPONSE_BODY, RESPONSE_END, RESPONSE_HEAD


class ChannelSink:
    __slots__ = ('_state', '_pump', '_credit_used')
    # Files go through the channel as body frames.
    sendfile = None

    def __init__(self, state, pump):
        self._state = state
        self._pump = pump
        # Response-body bytes sent against state.response_credit.
        self._credit_used = 0

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

    def streamed(self):
        """A streamed chunk leaves now; a CANCEL already waiting is seen while there is credit left."""
        self._pump.flush()
        self._pump.poll()

    def end(self):
        self._pump.send_frame(RESPONSE_END, self._state.id)

    def abort(self, reason):
        self._pump.send_frame(RESPONSE_ABORT, self._state.id, reason.encode())
