"""What the channel has delivered for one request: its environ block, the request-body bytes not
yet read by the app, the response-body credit, whether the client went away, and the master's
answer to a file the response handed over (FILE_TAKEN).

The pump fills it in as frames arrive; wsgi.input and the response consume it. Every field has one
writer: the counters here only grow as frames arrive, and the consumers keep their own tallies
(WsgiInput._consumed, Response._credit_used). So in threaded mode the reader thread and the thread
that runs the request never update the same number.
"""

from collections import deque

from .channel import (
    ABORTED, BODY, BODY_END, CANCEL, EXPECT_CONTINUE, FILE_TAKEN, HAS_BODY, RESPONSE_CREDIT, decode_file_taken, decode_u32,
)


class ClientDisconnected(OSError):
    """The client went away: raised by wsgi.input reads and by write() so that the app stops."""


class RequestState:
    __slots__ = (
        'id', 'environ_block', 'expect_continue',
        'body_chunks', 'body_received', 'body_ended', 'body_aborted',
        'response_credit', 'cancelled', 'file_taken',
    )

    def __init__(self, id_, flags, environ_block, response_window):
        self.id = id_
        self.environ_block = environ_block
        self.expect_continue = bool(flags & EXPECT_CONTINUE)
        has_body = flags & HAS_BODY
        self.body_chunks = deque() if has_body else None
        # Request-body bytes received so far (read or not).
        self.body_received = 0
        self.body_ended = not has_body
        self.body_aborted = False
        # Response-body credit granted so far, the initial window included.
        self.response_credit = response_window
        self.cancelled = False
        # FILE_TAKEN's answer to the response's RESPONSE_FILE (there is at most one): None until it
        # comes, then True (the master sends the file) or False (the worker does).
        self.file_taken = None

    def receive(self, type_, flags, payload):
        """Takes one frame addressed to this request."""
        if type_ == BODY:
            if not self.body_ended and payload:
                self.body_chunks.append(payload)
                self.body_received += len(payload)
        elif type_ == BODY_END:
            if not self.body_ended:
                self.body_ended = True
                self.body_aborted = bool(flags & ABORTED)
        elif type_ == RESPONSE_CREDIT:
            self.response_credit += decode_u32(payload)
        elif type_ == CANCEL:
            self.cancelled = True
        elif type_ == FILE_TAKEN:
            self.file_taken = decode_file_taken(payload)
