"""One request's response: start_response, write(), sending the app's result, and how it ends.

PEP 3333 rules kept here:
- the head leaves with the first non-empty body chunk (or write() call), or at the end of the result;
- start_response may replace the status and headers only with exc_info, and only before the head
  was sent; after that it re-raises the app's exception;
- the body of a result that is still being produced is flushed chunk by chunk. A list or tuple is
  already complete, so its chunks may wait for the next flush;
- a declared Content-Length is honoured: extra bytes are dropped with a warning, missing bytes make
  the response end aborted so that the client is not left waiting for them.

Where the bytes go is the sink's business: the master's channel (channel_sink.ChannelSink), or a
uwsgi connection the worker accepted itself (uwsgi_connection.UwsgiConnection). A sink offers
`cancelled` (the client is gone: the output is discarded), head(fields), body(data), streamed()
(a chunk of a result still being produced was given: send what is held), end(), abort(reason), and
`sendfile` (None, or a callable that sends part of a regular file from its descriptor, or has the
master send it, and returns how many bytes the response got).
"""

import os
import stat
import sys
import traceback

from . import answers
from .filewrapper import FileWrapper
from .headers import check_status, head_fields
from .request import ClientDisconnected

class Response:
    __slots__ = ('_sink', '_environ', '_status', '_head', '_length', '_head_sent', '_sent', '_truncated')

    def __init__(self, sink, environ):
        self._sink = sink
        self._environ = environ
        self._status = None
        # The head's fields [status, name, value, ...] and the declared Content-Length, from start_response.
        self._head = None
        self._length = None
        self._head_sent = False
        self._sent = 0
        self._truncated = False

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
        self._head, self._length = head_fields(status, headers)
        self._status = status
        return self.write

    def write(self, data):
        """The write() callable returned by start_response: sends `data` before returning."""
        if not isinstance(data, bytes):
            raise TypeError('write() takes bytes, not %s' % type(data).__name__)
        if self._head is None:
            raise RuntimeError('write() called before start_response()')
        sink = self._sink
        if sink.cancelled:
            raise ClientDisconnected('client disconnected; the response is discarded')
        if not self._head_sent:
            self._send_head()
        if data:
            self._send_body(data)
        sink.streamed()

    def send_result(self, result):
        """Sends every chunk of the iterable the app returned (the caller closes it)."""
        if result is None or isinstance(result, (bytes, bytearray, str)):
            raise TypeError(
                'the app returned %s instead of an iterable of bytes; return [body] instead'
                % ('None' if result is None else 'a %s object' % type(result).__name__))
        sink = self._sink
        if type(result) is FileWrapper and sink.sendfile is not None and self._send_file(result):
            return
        streaming = type(result) is not list and type(result) is not tuple
        for chunk in result:
            if sink.cancelled:
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
                    sink.streamed()

    def finish(self):
        """Ends the response after the result was sent and closed."""
        sink = self._sink
        if sink.cancelled:
            sink.end()
            return
        if not self._head_sent:
            if self._head is None:
                raise RuntimeError('the app returned without calling start_response()')
            self._send_head()
        length = self._length
        if length is not None and self._sent < length and self._has_body():
            reason = 'the app sent %d bytes of its declared Content-Length of %d' % (self._sent, length)
            self._log(reason)
            sink.abort(reason)
        else:
            sink.end()

    def fail(self, catch_exceptions):
        """Ends the response after the app raised: a 500 if the head was not sent, else an abort."""
        exc_type, exc, tb = sys.exc_info()
        sink = self._sink
        if isinstance(exc, ClientDisconnected):
            # The client is gone; there is nobody to answer.
            sink.abort(str(exc))
            return
        text = ''.join(traceback.format_exception(exc_type, exc, tb))
        self._log('exception in the WSGI app:\n' + text.rstrip('\n'))
        if self._head_sent or sink.cancelled:
            reason = 'the app raised %s after the response head was sent' % exc_type.__name__
            sink.abort(reason)
            return
        if catch_exceptions:
            body = text.encode('utf-8', 'replace')
            sink.head([answers.status_line('internalError'), 'Content-Type', 'text/plain; charset=utf-8', 'Content-Length', str(len(body))])
        else:
            body = answers.body('internalError')
            sink.head(answers.head('internalError'))
        sink.body(body)
        sink.end()

    def _send_head(self):
        self._head_sent = True
        self._sink.head(self._head)

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
        self._sink.body(data)

    def _send_file(self, wrapper):
        """wsgi.file_wrapper over a regular file, to a sink that can send files: the rest of the file
        (up to the declared Content-Length) goes straight from its descriptor. False when the
        file is not one (the wrapper is then iterated as any result)."""
        try:
            fd = wrapper.filelike.fileno()
            offset = wrapper.filelike.tell()
            info = os.fstat(fd)
        except (AttributeError, OSError, ValueError):
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
        count = info.st_size - offset
        if self._length is not None:
            count = min(count, self._length - self._sent)
        if count <= 0 or self._head is None:
            return False
        self._send_head()
        self._sent += self._sink.sendfile(fd, offset, count)
        return True

    def _has_body(self):
        """False for responses HTTP sends without a body, whatever their Content-Length."""
        code = self._status[:3]
        return not (self._environ.get('REQUEST_METHOD') == 'HEAD' or code[0] == '1' or code in ('204', '304'))

    def _log(self, message):
        environ = self._environ
        sys.stderr.write('nuwsgi: %s %s: %s\n' % (
            environ.get('REQUEST_METHOD', '-'), environ.get('REQUEST_URI', environ.get('PATH_INFO', '-')), message))
        sys.stderr.flush()
