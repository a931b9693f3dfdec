"""One request's response: start_response, write(), sending the app's result, and the terminal frame.

PEP 3333 rules kept here:
- the head leaves with the first non-empty body chunk (or write() call), or at the end of the result;
- start_response may replace the status and headers only with exc_info, and only before the head
  was sent; after that it re-raises the app's exception;
- the body of a result that is still being produced is flushed chunk by chunk. A list or tuple is
  already complete, so its chunks may wait for the next flush;
- a declared Content-Length is honoured: extra bytes are dropped with a warning, missing bytes make
  the response end with RESPONSE_ABORT so that the client is not left waiting for them.
"""

import sys
import traceback

from .channel import MAX_BODY_FRAME, RESPONSE_ABORT, RESPONSE_BODY, RESPONSE_END, RESPONSE_HEAD
from .headers import check_status, encode_head
from .request import ClientDisconnected

_GENERIC_500_BODY = b'Internal Server Error\n'


class Response:
    __slots__ = ('_state', '_pump', '_environ', '_status', '_head', '_length', '_head_sent', '_sent', '_truncated', '_credit_used')

    def __init__(self, state, pump, environ):
        self._state = state
        self._pump = pump
        self._environ = environ
        self._status = None
        # The encoded RESPONSE_HEAD payload and the declared Content-Length, from start_response.
        self._head = None
        self._length = None
        self._head_sent = False
        self._sent = 0
        self._truncated = False
        # Response-body bytes sent against state.response_credit.
        self._credit_used = 0

    def start_response(self, status, headers, exc_info=None):
        if exc_info:
            try:
                if self._head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self._head is not None:
            raise RuntimeError('start_response() was already called; calling it again needs exc_info')
        check_status(status)
        self._head, self._length = encode_head(status, headers)
        self._status = status
        return self.write

    def write(self, data):
        """The write() callable returned by start_response: sends `data` before returning."""
        if not isinstance(data, bytes):
            raise TypeError('write() takes bytes, not %s' % type(data).__name__)
        if self._head is None:
            raise RuntimeError('write() called before start_response()')
        if self._state.cancelled:
            raise ClientDisconnected('client disconnected; the response is discarded')
        if not self._head_sent:
            self._send_head()
        if data:
            self._send_body(data)
        self._pump.flush()
        self._pump.poll()

    def send_result(self, result):
        """Sends every chunk of the iterable the app returned (the caller closes it)."""
        if result is None or isinstance(result, (bytes, bytearray, str)):
            raise TypeError(
                'the app returned %s instead of an iterable of bytes; return [body] instead'
                % ('None' if result is None else 'a %s object' % type(result).__name__))
        state = self._state
        pump = self._pump
        streaming = type(result) is not list and type(result) is not tuple
        for chunk in result:
            if state.cancelled:
                return
            if not isinstance(chunk, bytes):
                raise TypeError('the app\'s result yielded a %s object; every chunk must be bytes' % type(chunk).__name__)
            if chunk:
                if not self._head_sent:
                    if self._head is None:
                        raise RuntimeError('the app produced body data before calling start_response()')
                    self._send_head()
                self._send_body(chunk)
                if streaming:
                    pump.flush()
                    pump.poll()

    def finish(self):
        """Ends the response after the result was sent and closed."""
        state = self._state
        pump = self._pump
        if state.cancelled:
            pump.send_frame(RESPONSE_END, state.id)
            return
        if not self._head_sent:
            if self._head is None:
                raise RuntimeError('the app returned without calling start_response()')
            self._send_head()
        length = self._length
        if length is not None and self._sent < length and self._has_body():
            reason = 'the app sent %d bytes of its declared Content-Length of %d' % (self._sent, length)
            self._log(reason)
            pump.send_frame(RESPONSE_ABORT, state.id, reason.encode())
        else:
            pump.send_frame(RESPONSE_END, state.id)

    def fail(self, catch_exceptions):
        """Ends the response after the app raised: a 500 if the head was not sent, else an abort."""
        exc_type, exc, tb = sys.exc_info()
        state = self._state
        pump = self._pump
        if isinstance(exc, ClientDisconnected):
            # The master knows the client is gone; there is nobody to answer.
            pump.send_frame(RESPONSE_ABORT, state.id, str(exc).encode())
            return
        text = ''.join(traceback.format_exception(exc_type, exc, tb))
        self._log('exception in the WSGI app:\n' + text.rstrip('\n'))
        if self._head_sent or state.cancelled:
            reason = 'the app raised %s after the response head was sent' % exc_type.__name__
            pump.send_frame(RESPONSE_ABORT, state.id, reason.encode())
            return
        body = text.encode('utf-8', 'replace') if catch_exceptions else _GENERIC_500_BODY
        head = '500 Internal Server Error\0Content-Type\0text/plain; charset=utf-8\0Content-Length\0%d' % len(body)
        pump.send_frame(RESPONSE_HEAD, state.id, head.encode('latin-1'))
        pump.send_frame(RESPONSE_BODY, state.id, body)
        pump.send_frame(RESPONSE_END, state.id)

    def _send_head(self):
        self._head_sent = True
        self._pump.send_frame(RESPONSE_HEAD, self._state.id, self._head)

    def _send_body(self, data):
        length = self._length
        if length is not None and self._sent + len(data) > length:
            if not self._truncated:
                self._truncated = True
                self._log('the app sent more than its declared Content-Length of %d bytes; the excess is dropped' % length)
            data = data[:length - self._sent]
            if not data:
                return
        self._sent += len(data)
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

    def _has_body(self):
        """False for responses HTTP sends without a body, whatever their Content-Length."""
        code = self._status[:3]
        return not (self._environ.get('REQUEST_METHOD') == 'HEAD' or code[0] == '1' or code in ('204', '304'))

    def _log(self, message):
        environ = self._environ
        sys.stderr.write('nuwsgi: %s %s: %s\n' % (
            environ.get('REQUEST_METHOD', '-'), environ.get('REQUEST_URI', environ.get('PATH_INFO', '-')), message))
        sys.stderr.flush()
