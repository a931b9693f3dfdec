"""Request bodies through a real worker: wsgi.input semantics and request-body flow control."""

import json
import unittest

from .fake_master import (
    BODY, BODY_CREDIT, BODY_END, HAS_BODY, RESPONSE_ABORT, RESPONSE_BODY, RESPONSE_END, RESPONSE_HEAD,
    make_environ,
)
from .probe import ProbeTestCase

TEXT = b'alpha\nbeta\n\ngamma delta\nlast line without newline'


class ReadTest(ProbeTestCase):
    config = {'request_body_window': 16}

    def pieces(self, query, body, path='/read', **kwargs):
        response = self.request(path, method='POST', query=query, body=body, chunk_size=5, **kwargs)
        self.assertComplete(response)
        return json.loads(response.body)

    def test_read_all(self):
        self.assertEqual(self.pieces('how=all', TEXT), {'pieces': [TEXT.decode(), ''], 'error': None})

    def test_read_sized(self):
        got = self.pieces('how=sized&size=7', TEXT)['pieces']
        self.assertEqual(''.join(got), TEXT.decode())
        self.assertEqual([len(p) for p in got[:-2]], [7] * (len(got) - 2))
        self.assertEqual(got[-1], '')

    def test_readline(self):
        got = self.pieces('how=lines', TEXT)['pieces']
        self.assertEqual(got, [line.decode() for line in TEXT.splitlines(True)] + [''])

    def test_readline_with_size(self):
        got = self.pieces('how=lines&size=4', TEXT)['pieces']
        self.assertEqual(got[:3], ['alph', 'a\n', 'beta'])
        self.assertEqual(''.join(got), TEXT.decode())

    def test_readlines_and_iteration(self):
        lines = [line.decode() for line in TEXT.splitlines(True)]
        self.assertEqual(self.pieces('how=readlines', TEXT)['pieces'], lines)
        self.assertEqual(self.pieces('how=readlines&size=11', TEXT)['pieces'], lines[:2])
        self.assertEqual(self.pieces('how=readlines&size=12', TEXT)['pieces'], lines[:3])
        self.assertEqual(self.pieces('how=iter', TEXT)['pieces'], lines)

    def test_forms_the_validator_does_not_allow(self):
        lines = [line.decode() for line in TEXT.splitlines(True)]
        self.assertEqual(self.pieces('', TEXT, path='/read-unvalidated')['pieces'],
                         [lines[0], ''.join(lines[1:])])
        self.assertEqual(self.pieces('how=none', TEXT, path='/read-unvalidated')['pieces'],
                         [lines[0], ''.join(lines[1:])])
        self.assertEqual(self.pieces('how=iter', TEXT, path='/read-unvalidated')['pieces'], lines)

    def test_no_body(self):
        response = self.request('/read', query='how=all')
        self.assertEqual(json.loads(response.body), {'pieces': ['', ''], 'error': None})
        self.assertEqual(response.body_credits, [])

    def test_empty_body(self):
        self.assertEqual(self.pieces('how=all', b'')['pieces'], ['', ''])

    def test_binary_body_larger_than_the_window(self):
        body = bytes(range(256)) * 40
        got = self.pieces('how=all', body)['pieces'][0].encode('latin-1')
        self.assertEqual(got, body)

    def test_aborted_body_raises_oserror_in_the_app(self):
        got = self.pieces('how=all', TEXT[:10], abort_body=True)
        self.assertEqual(got['pieces'], [])
        self.assertRegex(got['error'], r'^ClientDisconnected: client disconnected')

    def test_aborted_body_the_app_does_not_catch(self):
        response = self.request('/read-uncaught', method='POST', body=TEXT[:10], abort_body=True)
        self.assertIsNone(response.status)
        self.assertEqual(response.terminal, RESPONSE_ABORT)
        self.assertComplete(self.request('/hello'))


class FlowControlTest(ProbeTestCase):
    config = {'request_body_window': 1000}

    def test_credit_keeps_one_window(self):
        body = b'x' * 10000
        response = self.request('/read', method='POST', query='how=sized&size=300', body=body, chunk_size=1000)
        self.assertComplete(response)
        self.assertEqual(len(''.join(json.loads(response.body)['pieces'])), 10000)
        # The master (FakeMaster.request) never sends beyond the credit, so the body only arrives
        # in full if the worker kept granting it.
        self.assertGreaterEqual(1000 + sum(response.body_credits), 10000)
        self.assertTrue(all(c <= 1000 for c in response.body_credits), response.body_credits)

    def test_expect_continue_without_reading_grants_nothing(self):
        response = self.request('/ignore-body', method='POST', body=b'x' * 5000, expect_continue=True)
        self.assertComplete(response)
        self.assertEqual(response.body_credits, [])

    def test_expect_continue_first_read_grants_the_window(self):
        response = self.request('/read', method='POST', query='how=all', body=b'y' * 2500, expect_continue=True)
        self.assertComplete(response)
        self.assertEqual(json.loads(response.body)['pieces'][0], 'y' * 2500)
        self.assertEqual(response.body_credits[0], 1000)

    def test_streamed_lines_leave_one_by_one(self):
        """Each chunk a generator yields reaches the master before the worker reads on (PEP 3333)."""
        master = self.master
        id_ = master.send_request(make_environ('/stream-lines', method='POST'), HAS_BODY)
        for line in (b'one\n', b'two\n', b'three\n'):
            master.send(BODY, id_, line)
            frames = []
            while not frames or frames[-1][0] != RESPONSE_BODY:
                frames.append(master.read_frame())
            self.assertEqual(frames[-1][3], line)
            self.assertTrue(all(f[0] in (RESPONSE_HEAD, BODY_CREDIT) for f in frames[:-1]), frames)
        master.send(BODY_END, id_)
        frame = master.read_frame()
        while frame[0] == BODY_CREDIT:
            frame = master.read_frame()
        self.assertEqual(frame[0], RESPONSE_END)


if __name__ == '__main__':
    unittest.main()
