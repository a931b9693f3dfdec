"""wsgi.input on its own, against a simulated master that sends the body only as far as the worker's
credit allows (docs/channel.md, "Flow control")."""

import unittest

from nuwsgi_worker.channel import (
    ABORTED, BODY, BODY_CREDIT, BODY_END, CANCEL, EXPECT_CONTINUE, HAS_BODY, decode_u32,
)
from nuwsgi_worker.request import RequestState
from nuwsgi_worker.wsgi_input import WsgiInput


class SimulatedMaster:
    """Stands in for the pump: whenever the worker waits, it delivers the next body frame, never
    beyond the credit granted, and checks that the worker never has more than a window buffered."""

    def __init__(self, body, window, chunk=4, expect_continue=False, abort_after=None, cancel_after=None):
        flags = (HAS_BODY if body is not None else 0) | (EXPECT_CONTINUE if expect_continue else 0)
        self.state = RequestState(1, flags, b'', 0)
        self.input = WsgiInput(self.state, self, window)
        self.window = window
        self.remaining = body
        self.chunk = chunk
        self.credit = 0 if expect_continue else window
        self.abort_after = abort_after
        self.cancel_after = cancel_after
        self.sent_bytes = 0
        self.credits = []
        self.waits = 0

    # The pump interface WsgiInput uses.

    def send_frame(self, type_, id_, payload=b'', flags=0):
        assert type_ == BODY_CREDIT and id_ == 1, (type_, id_)
        self.credit += decode_u32(payload)
        self.credits.append(decode_u32(payload))

    def flush(self):
        pass

    def wait_until(self, predicate):
        while not predicate():
            self.waits += 1
            self.deliver()

    def deliver(self):
        state = self.state
        if self.cancel_after is not None and self.sent_bytes >= self.cancel_after:
            state.receive(CANCEL, 0, b'')
        elif self.abort_after is not None and self.sent_bytes >= self.abort_after:
            state.receive(BODY_END, ABORTED, b'')
        elif not self.remaining:
            state.receive(BODY_END, 0, b'')
        elif self.credit <= 0:
            raise AssertionError('the worker waits for body bytes without having granted credit')
        else:
            size = min(self.chunk, self.credit, len(self.remaining))
            if self.abort_after is not None:
                size = min(size, self.abort_after - self.sent_bytes)
            payload, self.remaining = self.remaining[:size], self.remaining[size:]
            self.credit -= size
            self.sent_bytes += size
            # the pump delivers views of what it received
            state.receive(BODY, 0, memoryview(payload))
            assert state.body_received - self.input._consumed <= self.window, 'more than a window buffered'


BODY_TEXT = b'first line\nsecond\n\nfourth line is longer\nno newline at the end'


class ReadTest(unittest.TestCase):
    def test_no_body(self):
        master = SimulatedMaster(None, 16)
        stream = master.input
        self.assertEqual(stream.read(), b'')
        self.assertEqual(stream.read(10), b'')
        self.assertEqual(stream.readline(), b'')
        self.assertEqual(stream.readlines(), [])
        self.assertEqual(list(stream), [])
        self.assertEqual((master.waits, master.credits), (0, []))

    def test_empty_body(self):
        master = SimulatedMaster(b'', 16)
        self.assertEqual(master.input.read(), b'')
        self.assertEqual(master.input.read(), b'')

    def test_read_everything(self):
        master = SimulatedMaster(BODY_TEXT, 16)
        self.assertEqual(master.input.read(), BODY_TEXT)
        self.assertEqual(master.input.read(), b'')
        self.assertEqual(master.input.read(5), b'')

    def test_read_none_and_negative_mean_everything(self):
        for size in (None, -1, -100):
            self.assertEqual(SimulatedMaster(BODY_TEXT, 16).input.read(size), BODY_TEXT)

    def test_read_sized_returns_exactly_size_until_the_end(self):
        for size in (1, 3, 4, 5, 7, 16, 1000):
            stream = SimulatedMaster(BODY_TEXT, 16).input
            pieces = []
            while True:
                piece = stream.read(size)
                if not piece:
                    break
                pieces.append(piece)
            self.assertEqual(b''.join(pieces), BODY_TEXT)
            self.assertTrue(all(len(p) == size for p in pieces[:-1]), (size, pieces))
            self.assertLessEqual(len(pieces[-1]), size)

    def test_read_zero(self):
        master = SimulatedMaster(BODY_TEXT, 16)
        self.assertEqual(master.input.read(0), b'')
        self.assertEqual(master.waits, 0)

    def test_readline(self):
        stream = SimulatedMaster(BODY_TEXT, 16).input
        self.assertEqual(stream.readline(), b'first line\n')
        self.assertEqual(stream.readline(), b'second\n')
        self.assertEqual(stream.readline(), b'\n')
        self.assertEqual(stream.readline(), b'fourth line is longer\n')
        self.assertEqual(stream.readline(), b'no newline at the end')
        self.assertEqual(stream.readline(), b'')

    def test_readline_with_a_size_limit(self):
        stream = SimulatedMaster(BODY_TEXT, 16).input
        self.assertEqual(stream.readline(5), b'first')
        self.assertEqual(stream.readline(6), b' line\n')
        self.assertEqual(stream.readline(0), b'')
        self.assertEqual(stream.readline(100), b'second\n')
        self.assertEqual(stream.readline(None), b'\n')

    def test_readline_then_read(self):
        stream = SimulatedMaster(BODY_TEXT, 16).input
        stream.readline()
        self.assertEqual(stream.read(), BODY_TEXT[len(b'first line\n'):])

    def test_readlines(self):
        expected = BODY_TEXT.splitlines(True)
        self.assertEqual(SimulatedMaster(BODY_TEXT, 16).input.readlines(), expected)
        self.assertEqual(SimulatedMaster(BODY_TEXT, 16).input.readlines(-1), expected)
        self.assertEqual(SimulatedMaster(BODY_TEXT, 16).input.readlines(None), expected)
        # A hint stops after the line that reaches it.
        self.assertEqual(SimulatedMaster(BODY_TEXT, 16).input.readlines(12), expected[:2])
        self.assertEqual(SimulatedMaster(BODY_TEXT, 16).input.readlines(11), expected[:1])

    def test_iteration(self):
        stream = SimulatedMaster(BODY_TEXT, 16).input
        self.assertIs(iter(stream), stream)
        self.assertEqual(list(stream), BODY_TEXT.splitlines(True))
        with self.assertRaises(StopIteration):
            next(stream)

    def test_every_read_returns_bytes(self):
        stream = SimulatedMaster(BODY_TEXT, 16).input
        got = [stream.read(1), stream.read(4), stream.read(3), stream.readline(), stream.readline(3), next(stream),
               stream.readlines(1)[0], stream.read()]
        self.assertEqual([type(piece) for piece in got], [bytes] * len(got))
        self.assertEqual(b''.join(got), BODY_TEXT)

    def test_large_body_small_chunks(self):
        body = bytes(range(256)) * 100
        master = SimulatedMaster(body, 1000, chunk=333)
        self.assertEqual(master.input.read(), body)


class AbortTest(unittest.TestCase):
    def test_aborted_body_raises_after_the_bytes_that_arrived(self):
        stream = SimulatedMaster(BODY_TEXT, 16, abort_after=10).input
        self.assertEqual(stream.read(10), BODY_TEXT[:10])
        with self.assertRaisesRegex(OSError, 'client disconnected'):
            stream.read(1)
        with self.assertRaises(OSError):
            stream.readline()

    def test_aborted_body_makes_read_all_raise(self):
        with self.assertRaises(OSError):
            SimulatedMaster(BODY_TEXT, 16, abort_after=10).input.read()

    def test_cancel_makes_a_waiting_read_raise(self):
        with self.assertRaises(OSError):
            list(SimulatedMaster(BODY_TEXT, 16, cancel_after=8).input)


class FlowControlTest(unittest.TestCase):
    def test_credit_once_half_the_window_is_consumed(self):
        master = SimulatedMaster(b'x' * 100, 16, chunk=8)
        stream = master.input
        self.assertEqual(stream.read(4), b'xxxx')
        self.assertEqual(master.credits, [])
        stream.read(4)
        # granted 16 - consumed 8 = 8 = half the window: back to a full window.
        self.assertEqual(master.credits, [8])

    def test_no_credit_while_more_than_half_the_window_is_granted(self):
        master = SimulatedMaster(b'x' * 100, 16, chunk=4)
        stream = master.input
        self.assertEqual(stream.read(4), b'xxxx')
        stream.read(3)
        # Nothing was buffered when the app asked again, but the master could still send 12 bytes.
        self.assertEqual(master.credits, [])
        stream.read(1)
        self.assertEqual(master.credits, [8])

    def test_no_credit_for_a_body_the_window_covers(self):
        master = SimulatedMaster(b'x' * 100, 128, chunk=7)
        master.input.expect('100')
        self.assertEqual(master.input.read(), b'x' * 100)
        self.assertEqual(master.credits, [])

    def test_credit_stops_at_the_declared_length(self):
        for size in (3, 5, 16, 17):
            master = SimulatedMaster(b'x' * 100, 16, chunk=5)
            master.input.expect('100')
            while master.input.read(size):
                pass
            # the last grant may be smaller than half a window: it is what the body still needs
            self.assertEqual(16 + sum(master.credits), 100, size)

    def test_a_length_that_is_not_a_number_is_ignored(self):
        master = SimulatedMaster(b'x' * 100, 16, chunk=8)
        master.input.expect(' 100')
        master.input.expect('\u00b2')
        self.assertEqual(master.input.read(), b'x' * 100)
        self.assertGreater(16 + sum(master.credits), 100)

    def test_credit_keeps_at_most_one_window_outstanding(self):
        master = SimulatedMaster(b'x' * 1000, 16, chunk=5)
        consumed = 0
        while True:
            piece = master.input.read(3)
            if not piece:
                break
            consumed += len(piece)
            granted = 16 + sum(master.credits)
            self.assertLessEqual(granted - consumed, 16)
        self.assertEqual(consumed, 1000)

    def test_expect_continue_grants_nothing_until_the_first_read(self):
        master = SimulatedMaster(b'abc', 16, expect_continue=True)
        self.assertEqual(master.credits, [])
        self.assertEqual(master.input.read(), b'abc')
        self.assertEqual(master.credits[0], 16)

    def test_expect_continue_with_a_size(self):
        master = SimulatedMaster(b'abcdef', 16, expect_continue=True)
        self.assertEqual(master.input.read(2), b'ab')
        self.assertEqual(master.credits, [16])

    def test_no_credit_after_the_end_of_the_body(self):
        master = SimulatedMaster(b'', 16)
        master.state.receive(BODY, 0, b'x' * 12)
        master.state.receive(BODY_END, 0, b'')
        self.assertEqual(master.input.read(), b'x' * 12)
        self.assertEqual(master.credits, [])

    def test_no_credit_for_a_request_without_body(self):
        master = SimulatedMaster(None, 16, expect_continue=True)
        master.input.read()
        self.assertEqual(master.credits, [])


if __name__ == '__main__':
    unittest.main()
