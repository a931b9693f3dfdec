"""The frame codec of the master <-> worker channel (docs/channel.md), without any I/O.

A frame is a 12-byte little-endian header (type u8, flags u8, reserved u16, id u32, length u32)
followed by `length` bytes of payload.
"""

import struct

HEADER = struct.Struct('<BBHII')
HEADER_SIZE = HEADER.size
U32 = struct.Struct('<I')
# RESPONSE_FILE's payload: the worker's descriptor, the offset and the byte count.
FILE_REGION = struct.Struct('<Idd')
MAX_PAYLOAD = 1 << 24

# Master -> worker.
CONFIG = 0x01
REQUEST = 0x02
BODY = 0x03
BODY_END = 0x04
RESPONSE_CREDIT = 0x05
CANCEL = 0x06
STOP = 0x07
PAUSE = 0x08
RESUME = 0x09
FILE_TAKEN = 0x0A
FROM_MASTER = frozenset((CONFIG, REQUEST, BODY, BODY_END, RESPONSE_CREDIT, CANCEL, STOP, PAUSE, RESUME, FILE_TAKEN))
# Master -> zygote (after CONFIG): fork a worker.
FORK = 0x0B
TO_ZYGOTE = frozenset((FORK,))

# Worker -> master.
READY = 0x41
RESPONSE_HEAD = 0x42
RESPONSE_BODY = 0x43
RESPONSE_END = 0x44
RESPONSE_ABORT = 0x45
BODY_CREDIT = 0x46
RELOAD = 0x47
REQUEST_DONE = 0x48
HARAKIRI = 0x49
RESPONSE_FILE = 0x4A
APP_EXCEPTION = 0x4B
FROM_WORKER = frozenset((
    READY, RESPONSE_HEAD, RESPONSE_BODY, RESPONSE_END, RESPONSE_ABORT, BODY_CREDIT, RELOAD, REQUEST_DONE, HARAKIRI,
    RESPONSE_FILE, APP_EXCEPTION))

# Zygote -> master: a worker was forked (its pid), or one of the forked workers exited (its status).
FORKED = 0x4C
FORK_EXIT = 0x4D
# A forked worker -> master, first on each connection it opens to the master: which fork it is.
HELLO = 0x4E

# The frames that carry body bytes: a decoder hands their payload out in pieces as it arrives.
BODY_FRAMES = frozenset((BODY, RESPONSE_BODY))

# REQUEST flags.
HAS_BODY = 0x01
EXPECT_CONTINUE = 0x02
# BODY_END flags.
ABORTED = 0x01

# The largest RESPONSE_BODY payload. The credit bounds a frame too, and the master's decoder hands a
# body frame out as it reads it, so large frames cost nobody memory; they save headers and pieces.
MAX_BODY_FRAME = 1024 * 1024


class ChannelError(Exception):
    """The peer sent something that is not a valid frame: the channel cannot be trusted any more."""


def encode_frame(type_, id_, payload=b'', flags=0):
    """One frame as bytes."""
    return HEADER.pack(type_, flags, 0, id_, len(payload)) + payload


def encode_u32(value):
    """The payload of a credit frame."""
    return U32.pack(value)


def decode_u32(payload):
    if len(payload) != 4:
        raise ChannelError('a credit frame carries 4 bytes, not %d' % len(payload))
    return U32.unpack(payload)[0]


def encode_file_region(fd, offset, count):
    """The payload of RESPONSE_FILE."""
    return FILE_REGION.pack(fd, offset, count)


def decode_file_taken(payload):
    """FILE_TAKEN's u8: True when the master sends the file, False when the worker must."""
    if len(payload) != 1 or payload[0] > 1:
        raise ChannelError('FILE_TAKEN carries one byte, 0 or 1, not %r' % bytes(payload))
    return payload[0] == 1


class FrameDecoder:
    """Turns a byte stream into frames: `feed(data)` returns the frames that `data` completes or
    continues, as `(type, flags, id, payload)` tuples, and keeps an incomplete remainder for the next
    call.

    `accepted` is the set of frame types this side may receive; anything else, or a length above
    MAX_PAYLOAD, raises ChannelError. The frames of a type in `streamed` (the body frames, unless
    told otherwise) are handed out as their bytes arrive, in one piece per feed they span, each
    piece a memoryview of the fed data: the receiver takes each piece as a frame of its own, and no
    body byte is copied. Every other frame comes whole, with a bytes payload, once complete.
    """

    def __init__(self, accepted=FROM_MASTER, streamed=BODY_FRAMES):
        self._accepted = accepted
        self._streamed = streamed
        # The start of a header that the next feed completes.
        self._header = b''
        # The frame whose payload continues in the next feed, how many of its bytes are still to
        # come, and its pieces so far (None for a streamed frame, whose pieces are handed out).
        self._frame = None
        self._left = 0
        self._parts = None

    def feed(self, data):
        if type(data) is not bytes:
            data = bytes(data)
        frames = []
        pos = 0
        if self._left:
            pos = self._take_payload(data, 0, frames)
        elif self._header:
            data = self._header + data
            self._header = b''
        unpack_from = HEADER.unpack_from
        accepted = self._accepted
        streamed = self._streamed
        end = len(data)
        while end - pos >= HEADER_SIZE:
            type_, flags, _reserved, id_, length = unpack_from(data, pos)
            if type_ not in accepted:
                raise ChannelError('unknown frame type 0x%02x' % type_)
            if length > MAX_PAYLOAD:
                raise ChannelError('frame payload of %d bytes is over the %d-byte limit' % (length, MAX_PAYLOAD))
            start = pos + HEADER_SIZE
            pos = start + length
            if pos > end:
                self._begin(type_, flags, id_, length, data, start, frames)
                return frames
            if type_ in streamed:
                frames.append((type_, flags, id_, memoryview(data)[start:pos]))
            else:
                frames.append((type_, flags, id_, data[start:pos]))
        if pos < end:
            self._header = data[pos:]
        return frames

    def _begin(self, type_, flags, id_, length, data, start, frames):
        """Starts a frame whose payload begins at data[start] and goes on past the end of `data`."""
        self._frame = (type_, flags, id_)
        self._left = length
        self._parts = None if type_ in self._streamed else []
        self._take_payload(data, start, frames)

    def _take_payload(self, data, pos, frames):
        """Takes what `data` holds, from `pos`, of the payload in progress; returns where it stopped."""
        size = min(self._left, len(data) - pos)
        if size == 0:
            return pos
        piece = memoryview(data)[pos:pos + size]
        self._left -= size
        type_, flags, id_ = self._frame
        if self._parts is None:
            frames.append((type_, flags, id_, piece))
        else:
            self._parts.append(piece)
            if not self._left:
                frames.append((type_, flags, id_, b''.join(self._parts)))
                self._parts = None
        return pos + size
