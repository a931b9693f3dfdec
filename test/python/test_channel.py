"""The frame codec alone (docs/channel.md, "Frames"), and how the pumps send the frames they collect."""

import struct
import unittest

from nuwsgi_worker.channel import (
    BODY, BODY_END, BODY_FRAMES, CONFIG, FROM_WORKER, MAX_PAYLOAD, READY, REQUEST, RESPONSE_BODY,
    RESPONSE_CREDIT, RESPONSE_END,
    ChannelError, FrameDecoder, decode_file_taken, decode_u32, encode_file_region, encode_frame, encode_u32,
)
from nuwsgi_worker.pump import IOV_MAX, JOIN_LIMIT, send_buffers


class EncodeTest(unittest.TestCase):
    def test_header_layout_is_little_endian(self):
        data = encode_frame(REQUEST, 0x01020304, b'abc', flags=0x03)
        self.assertEqual(data, bytes([0x02, 0x03, 0, 0, 4, 3, 2, 1, 3, 0, 0, 0]) + b'abc')

    def test_empty_payload(self):
        self.assertEqual(encode_frame(BODY_END, 7), struct.pack('<BBHII', BODY_END, 0, 0, 7, 0))

    def test_u32(self):
        self.assertEqual(encode_u32(65536), b'\x00\x00\x01\x00')
        self.assertEqual(decode_u32(encode_u32(2 ** 32 - 1)), 2 ** 32 - 1)
        with self.assertRaises(ChannelError):
            decode_u32(b'\x01\x00')

    def test_file_region_is_u32_f64_f64(self):
        self.assertEqual(encode_file_region(5, 1024, 2 ** 40), struct.pack('<Idd', 5, 1024.0, 2.0 ** 40))
        self.assertEqual(len(encode_file_region(5, 0, 1)), 20)

    def test_file_taken_is_one_byte_0_or_1(self):
        self.assertIs(decode_file_taken(b'\x01'), True)
        self.assertIs(decode_file_taken(b'\x00'), False)
        for bad in (b'', b'\x02', b'\x01\x00'):
            with self.assertRaises(ChannelError):
                decode_file_taken(bad)


def joined(frames):
    """The frames as sent, from what a decoder handed out: the pieces of a body frame joined, as
    bytes. (Two body frames in a row for the same request would join too; the streams here never
    send those.)"""
    result = []
    for type_, flags, id_, payload in frames:
        if type_ in BODY_FRAMES:
            assert len(payload) > 0, 'an empty body piece'
            last = result[-1] if result else None
            if last is not None and last[0] == type_ and last[2] == id_:
                result[-1] = (type_, last[1], id_, last[3] + bytes(payload))
                continue
        result.append((type_, flags, id_, bytes(payload)))
    return result


class DecodeTest(unittest.TestCase):
    frames = [
        (CONFIG, 0, 0, b'{"a": 1}'),
        (REQUEST, 1, 1, b'REQUEST_METHOD\0GET'),
        (BODY, 0, 1, b'x' * 1000),
        (BODY_END, 1, 1, b''),
        (RESPONSE_CREDIT, 0, 1, encode_u32(5)),
    ]
    stream = b''.join(encode_frame(type_, id_, payload, flags) for type_, flags, id_, payload in frames)

    def test_many_frames_in_one_feed(self):
        self.assertEqual(FrameDecoder().feed(self.stream), self.frames)

    def test_one_byte_at_a_time(self):
        decoder = FrameDecoder()
        got = []
        for i in range(len(self.stream)):
            got.extend(decoder.feed(self.stream[i:i + 1]))
        self.assertEqual(joined(got), self.frames)
        # the body comes a byte at a time, every other frame whole
        self.assertEqual(len(got), len(self.frames) - 1 + 1000)

    def test_every_split_point(self):
        for cut in range(len(self.stream) + 1):
            decoder = FrameDecoder()
            got = decoder.feed(self.stream[:cut]) + decoder.feed(self.stream[cut:])
            self.assertEqual(joined(got), self.frames, 'split at %d' % cut)
            self.assertLessEqual(len(got), len(self.frames) + 1, 'split at %d' % cut)

    def test_body_frame_straddling_several_feeds_comes_in_pieces_without_a_copy(self):
        payload = bytes(range(256)) * 4096
        data = encode_frame(BODY, 9, payload) + encode_frame(BODY_END, 9)
        decoder = FrameDecoder()
        pieces = []
        for pos in range(0, len(data), 1000):
            chunk = data[pos:pos + 1000]
            for type_, _flags, id_, piece in decoder.feed(chunk):
                if type_ == BODY:
                    self.assertIsInstance(piece, memoryview)
                    self.assertIs(piece.obj, chunk)
                    self.assertTrue(0 < len(piece) <= 1000)
                    pieces.append(piece)
                else:
                    self.assertEqual((type_, id_, pos + 1000 >= len(data)), (BODY_END, 9, True))
        self.assertEqual(b''.join(pieces), payload)
        self.assertEqual(decoder.feed(b''), [])

    def test_other_frame_straddling_several_feeds_comes_whole(self):
        payload = bytes(range(256)) * 1024
        data = encode_frame(REQUEST, 9, payload)
        decoder = FrameDecoder()
        self.assertEqual(decoder.feed(data[:5]), [])
        self.assertEqual(decoder.feed(data[5:100]), [])
        self.assertEqual(decoder.feed(data[100:-1]), [])
        got = decoder.feed(data[-1:] + encode_frame(BODY_END, 9))
        self.assertEqual(got, [(REQUEST, 0, 9, payload), (BODY_END, 0, 9, b'')])
        self.assertIs(type(got[0][3]), bytes)

    def test_nothing_streamed_when_told(self):
        data = encode_frame(BODY, 9, b'x' * 100)
        decoder = FrameDecoder(streamed=frozenset())
        self.assertEqual(decoder.feed(data[:50]), [])
        self.assertEqual(decoder.feed(data[50:]), [(BODY, 0, 9, b'x' * 100)])

    def test_accepts_memoryview(self):
        self.assertEqual(FrameDecoder().feed(memoryview(self.stream)), self.frames)

    def test_unknown_flag_bits_are_passed_through(self):
        self.assertEqual(FrameDecoder().feed(encode_frame(BODY_END, 3, flags=0xF1)), [(BODY_END, 0xF1, 3, b'')])

    def test_length_over_the_limit_is_rejected_from_the_header_alone(self):
        header = struct.pack('<BBHII', BODY, 0, 0, 1, MAX_PAYLOAD + 1)
        with self.assertRaisesRegex(ChannelError, 'over the'):
            FrameDecoder().feed(header)

    def test_length_at_the_limit_is_accepted(self):
        decoder = FrameDecoder()
        self.assertEqual(decoder.feed(struct.pack('<BBHII', BODY, 0, 0, 1, MAX_PAYLOAD)), [])

    def test_unknown_type_is_rejected(self):
        with self.assertRaisesRegex(ChannelError, 'unknown frame type 0x0b'):
            FrameDecoder().feed(encode_frame(0x0b, 0))

    def test_worker_frames_are_not_accepted_from_the_master(self):
        with self.assertRaises(ChannelError):
            FrameDecoder().feed(encode_frame(READY, 0, b'{}'))

    def test_decoder_for_the_other_direction(self):
        data = encode_frame(RESPONSE_BODY, 4, b'hi')
        self.assertEqual(FrameDecoder(FROM_WORKER).feed(data), [(RESPONSE_BODY, 0, 4, b'hi')])


class ShortSendingSocket:
    """A socket whose sendmsg() takes at most `limit` bytes a call, as a signal may cut one short."""

    def __init__(self, limit):
        self.limit = limit
        self.received = bytearray()
        self.calls = []

    def sendmsg(self, buffers):
        self.calls.append(len(buffers))
        data = b''.join(buffers)[:self.limit]
        self.received += data
        return len(data)

    def sendall(self, data):
        self.calls.append('sendall')
        self.received += data


class SendBuffersTest(unittest.TestCase):
    def test_every_byte_goes_in_order_whatever_each_call_takes(self):
        buffers = [encode_frame(BODY, 1, bytes([n]) * (n * 37 % 500)) for n in range(40)]
        buffers += [memoryview(b'view' * 100), bytearray(b'tail')]
        for limit in (1, 7, 12, 499, 4096, 1 << 20):
            sock = ShortSendingSocket(limit)
            send_buffers(sock, list(buffers), JOIN_LIMIT)
            self.assertEqual(bytes(sock.received), b''.join(buffers), 'limit %d' % limit)
            self.assertNotIn('sendall', sock.calls)

    def test_at_most_iov_max_buffers_a_call(self):
        sock = ShortSendingSocket(1 << 30)
        send_buffers(sock, [b'x'] * (2 * IOV_MAX + 5), JOIN_LIMIT)
        self.assertEqual(sock.calls, [IOV_MAX, IOV_MAX, 5])
        self.assertEqual(len(sock.received), 2 * IOV_MAX + 5)

    def test_small_frames_are_joined(self):
        sock = ShortSendingSocket(1 << 30)
        buffers = [encode_frame(RESPONSE_BODY, 1, b'hello'), encode_frame(RESPONSE_END, 1)]
        send_buffers(sock, buffers, 5)
        self.assertEqual((sock.calls, bytes(sock.received)), (['sendall'], b''.join(buffers)))


if __name__ == '__main__':
    unittest.main()
