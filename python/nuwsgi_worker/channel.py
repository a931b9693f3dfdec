"""The frame codec of the master <-> worker channel (docs/channel.md), without any I/O.

A frame is a 12-byte little-endian header (type u8, flags u8, reserved u16, id u32, length u32)
followed by `length` bytes of payload.
"""

import struct

HEADER = struct.Struct('<BBHII')
HEADER_SIZE = HEADER.size
U32 = struct.Struct('<I')
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
FROM_MASTER = frozenset((CONFIG, REQUEST, BODY, BODY_END, RESPONSE_CREDIT, CANCEL, STOP, PAUSE, RESUME))

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
FROM_WORKER = frozenset((
    READY, RESPONSE_HEAD, RESPONSE_BODY, RESPONSE_END, RESPONSE_ABORT, BODY_CREDIT, RELOAD, REQUEST_DONE, HARAKIRI))

# REQUEST flags.
HAS_BODY = 0x01
EXPECT_CONTINUE = 0x02
# BODY_END flags.
ABORTED = 0x01

# The largest RESPONSE_BODY payload.
MAX_BODY_FRAME = 64 * 1024


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


class FrameDecoder:
    """Turns a byte stream into frames: `feed(data)` returns the frames completed by `data` as
    `(type, flags, id, payload)` tuples and keeps the incomplete remainder for the next call.

    `accepted` is the set of frame types this side may receive; anything else, or a length above
    MAX_PAYLOAD, raises ChannelError.
    """

    def __init__(self, accepted=FROM_MASTER):
        self._accepted = accepted
        self._partial = bytearray()
        # How many bytes the partial frame needs before it is worth parsing again, so that a large
        # frame arriving in many small pieces is not re-examined on every piece.
        self._needed = HEADER_SIZE

    def feed(self, data):
        partial = self._partial
        if partial:
            partial += data
            if len(partial) < self._needed:
                return []
            data = bytes(partial)
            partial.clear()
        frames = []
        unpack_from = HEADER.unpack_from
        accepted = self._accepted
        pos = 0
        end = len(data)
        needed = HEADER_SIZE
        while end - pos >= HEADER_SIZE:
            type_, flags, _reserved, id_, length = unpack_from(data, pos)
            if type_ not in accepted:
                raise ChannelError('unknown frame type 0x%02x' % type_)
            if length > MAX_PAYLOAD:
                raise ChannelError('frame payload of %d bytes is over the %d-byte limit' % (length, MAX_PAYLOAD))
            stop = pos + HEADER_SIZE + length
            if stop > end:
                needed = stop - pos
                break
            frames.append((type_, flags, id_, data[pos + HEADER_SIZE:stop]))
            pos = stop
        if pos < end:
            partial += memoryview(data)[pos:]
            self._needed = needed
        return frames
