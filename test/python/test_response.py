"""Responses through a real worker: start_response, write(), results, Content-Length, errors,
response-body flow control and CANCEL."""

import json
import select
import unittest

from .fake_master import (
    CANCEL, REQUEST, RESPONSE_ABORT, RESPONSE_BODY, RESPONSE_CREDIT, RESPONSE_END, RESPONSE_HEAD,
    BODY, encode_frame, encode_u32, environ_block, make_environ,
)
from nuwsgi_worker.channel import MAX_BODY_FRAME
from .probe import ProbeTestCase


class ResponseTest(ProbeTestCase):
    def test_hello(self):
        response = self.request('/hello')
        self.assertComplete(response)
        self.assertEqual(response.headers, [('Content-Type', 'text/plain'), ('Content-Length', '13')])
        self.assertEqual(response.body, b'Hello, World!')

    def test_repeated_headers_keep_their_order(self):
        response = self.request('/cookies')
        self.assertEqual(response.headers, [
            ('Content-Type', 'text/plain'), ('Set-Cookie', 'a=1'), ('X-Other', 'x'), ('Set-Cookie', 'b=2'),
            ('Set-Cookie', 'c=3')])

    def test_hop_by_hop_headers_are_dropped(self):
        response = self.request('/hop-by-hop')
        self.assertComplete(response)
        self.assertEqual(response.headers, [('Content-Type', 'text/plain')])

    def test_connection_close_is_passed_on(self):
        response = self.request('/hop-by-hop', query='connection=close')
        self.assertEqual(response.headers, [('Content-Type', 'text/plain'), ('Connection', 'close')])

    def test_write_callable(self):
        response = self.request('/write')
        self.assertComplete(response)
        self.assertEqual(response.body, b'one,two,three')
        self.assertEqual(self.events(), ['closed write'])

    def test_write_of_nothing_still_sends_the_head(self):
        response = self.request('/write-empty-only')
        self.assertComplete(response)
        self.assertEqual(response.body, b'')

    def test_start_response_from_inside_the_iterable(self):
        response = self.request('/late-start')
        self.assertComplete(response)
        self.assertEqual(response.body, b'late')

    def test_empty_result_sends_the_head_at_the_end(self):
        response = self.request('/empty')
        self.assertComplete(response, '204 No Content')
        self.assertEqual((response.headers, response.body), ([], b''))
        self.assertEqual(self.events(), ['closed empty'])

    def test_empty_chunks_send_the_head_at_the_end(self):
        response = self.request('/empty-chunks')
        self.assertComplete(response)
        self.assertEqual((response.body, response.body_frames), (b'', []))
        self.assertEqual(self.events(), ['closed empty-chunks'])

    def test_exc_info_before_the_head_replaces_status_and_headers(self):
        response = self.request('/exc-info-replace')
        self.assertComplete(response, '503 Service Unavailable')
        self.assertEqual(response.headers, [('Content-Type', 'text/plain'), ('Retry-After', '5')])
        self.assertEqual(response.body, b'replaced')

    def test_a_chunk_within_the_credit_goes_as_one_frame(self):
        response = self.request('/big', query='size=200000')
        self.assertComplete(response)
        self.assertEqual(response.body, (bytes(range(256)) * 800)[:200000])
        self.assertEqual(response.body_frames, [200000])
        self.assertEqual(self.events(), ['closed big'])

    def test_many_small_chunks(self):
        response = self.request('/big', query='size=10000&chunk=7')
        self.assertComplete(response)
        self.assertEqual(len(response.body), 10000)
        self.assertEqual(self.events(), ['closed big'])

    def test_file_wrapper(self):
        response = self.request('/file', query='size=20000&blksize=8192')
        self.assertComplete(response)
        self.assertEqual(response.body, b'f' * 20000)
        self.assertEqual(response.body_frames, [8192, 8192, 20000 - 2 * 8192])
        self.assertEqual(self.events(), ['closed file'])

    def test_head_request_with_content_length_and_no_body(self):
        response = self.request('/head-with-length', method='HEAD')
        self.assertComplete(response)
        self.assertEqual((response.header('Content-Length'), response.body), ('10', b''))

    def test_pipelined_requests_are_answered_in_order(self):
        master = self.master
        ids = [master.send_request(make_environ('/hello')) for _ in range(3)]
        for id_ in ids:
            response = master.read_response(id_)
            self.assertComplete(response)
            self.assertEqual(response.body, b'Hello, World!')

    def test_frames_for_unknown_requests_are_ignored(self):
        master = self.master
        master.send(RESPONSE_CREDIT, 9999, encode_u32(100))
        master.send(BODY, 9999, b'stray')
        master.send(CANCEL, 9999)
        self.assertComplete(self.request('/hello'))


class ContentLengthTest(ProbeTestCase):
    def test_too_many_bytes_are_cut_with_a_warning(self):
        mark = len(self.master.output())
        response = self.request('/length-long')
        self.assertComplete(response)
        self.assertEqual(response.body, b'01234')
        self.assertIn('GET /length-long: the app sent more than its declared Content-Length of 5 bytes',
                      self.stderr_since(mark))
        self.assertEqual(self.events(), ['closed length-long'])

    def test_too_few_bytes_abort_the_response(self):
        mark = len(self.master.output())
        response = self.request('/length-short')
        self.assertEqual((response.status, response.body), ('200 OK', b'01234'))
        self.assertEqual(response.terminal, RESPONSE_ABORT)
        self.assertEqual(response.abort_reason, 'the app sent 5 bytes of its declared Content-Length of 10')
        self.assertIn('GET /length-short: the app sent 5 bytes', self.stderr_since(mark))
        self.assertEqual(self.events(), ['closed length-short'])


class AppErrorTest(ProbeTestCase):
    def assert500(self, response, generic=True):
        self.assertComplete(response, '500 Internal Server Error')
        # the generic body is the master's answer (ASCII); a traceback (catch-exceptions) is UTF-8
        self.assertEqual(response.header('Content-Type'), 'text/plain' if generic else 'text/plain; charset=utf-8')
        self.assertEqual(response.header('Content-Length'), str(len(response.body)))
        if generic:
            self.assertEqual(response.body, b'500 Internal Server Error\n')

    def test_exception_before_start_response(self):
        mark = len(self.master.output())
        exceptions = self.master.exceptions
        self.assert500(self.request('/raise-before-start', query='x=1'))
        self.assertEqual(self.master.exceptions, exceptions + 1, 'the master hears of it (APP_EXCEPTION)')
        log = self.stderr_since(mark)
        self.assertIn('nuwsgi: GET /raise-before-start?x=1: exception in the WSGI app:\nTraceback', log)
        self.assertIn('ValueError: failed on purpose before start_response', log)

    def test_exception_before_the_first_chunk(self):
        self.assert500(self.request('/raise-before-body'))
        self.assertEqual(self.events(), ['closed raise-before-body'])

    def test_exception_after_the_head_aborts(self):
        mark = len(self.master.output())
        response = self.request('/raise-after-body')
        self.assertEqual((response.status, response.body), ('200 OK', b'first'))
        self.assertEqual(response.terminal, RESPONSE_ABORT)
        self.assertEqual(response.abort_reason, 'the app raised ValueError after the response head was sent')
        self.assertIn('ValueError: failed on purpose after 1 chunks', self.stderr_since(mark))
        self.assertEqual(self.events(), ['closed raise-after-body'])

    def test_exc_info_after_the_head_reraises(self):
        response = self.request('/exc-info-after-head')
        self.assertEqual((response.status, response.body, response.terminal), ('200 OK', b'sent', RESPONSE_ABORT))
        self.assertEqual(self.events(), ['exc_info re-raised KeyError'])

    def test_second_start_response_without_exc_info(self):
        self.assert500(self.request('/start-twice'))
        self.assertEqual(self.events(), ['second call raised: start_response() was already called; '
                                         'calling it again needs exc_info'])

    def bad_start(self, status, headers, **extra):
        spec = dict(status=status, headers=headers, **extra)
        self.assert500(self.request('/bad-start', method='POST', body=json.dumps(spec).encode()))
        events = self.events()
        self.assertEqual(len(events), 1, events)
        return events[0]

    def test_invalid_status(self):
        self.assertRegex(self.bad_start('200', []), r'^ValueError: status must be a three-digit code')
        self.assertRegex(self.bad_start('200 OK\r\nX: y', []), r'^ValueError: status must be')
        self.assertRegex(self.bad_start(200, []), r'^TypeError: status must be a str')

    def test_invalid_headers(self):
        self.assertRegex(self.bad_start('200 OK', {'a': 'b'}), r'^TypeError: response headers must be a list')
        self.assertRegex(self.bad_start('200 OK', [['A', 'b', 'c']]), r'^TypeError: each response header must be')
        self.assertRegex(self.bad_start('200 OK', [['A', 1]]), r'^TypeError: response header name and value must')
        self.assertRegex(self.bad_start('200 OK', [], bytes_name=True), r'^TypeError: response header name and')
        self.assertRegex(self.bad_start('200 OK', [['Bad Name', 'x']]), r'^ValueError: .*not a valid HTTP token')
        self.assertRegex(self.bad_start('200 OK', [['X', 'a\r\nSet-Cookie: evil=1']]), r'^ValueError: the value of')
        self.assertRegex(self.bad_start('200 OK', [['Content-Length', 'ten']]), r'^ValueError: .*Content-Length')

    def test_str_chunk(self):
        mark = len(self.master.output())
        self.assert500(self.request('/str-chunk'))
        self.assertIn("TypeError: the app's result yielded a str object; every chunk must be bytes",
                      self.stderr_since(mark))
        self.assertEqual(self.events(), ['closed str-chunk'])

    def test_bytes_result(self):
        mark = len(self.master.output())
        self.assert500(self.request('/bytes-result'))
        self.assertIn('TypeError: the app returned a bytes object instead of an iterable of bytes',
                      self.stderr_since(mark))

    def test_none_result(self):
        mark = len(self.master.output())
        self.assert500(self.request('/none-result'))
        self.assertIn('TypeError: the app returned None instead of an iterable of bytes', self.stderr_since(mark))

    def test_write_of_str(self):
        mark = len(self.master.output())
        self.assert500(self.request('/write-str'))
        self.assertIn('TypeError: write() takes bytes, not str', self.stderr_since(mark))

    def test_body_without_start_response(self):
        mark = len(self.master.output())
        self.assert500(self.request('/no-start'))
        self.assertIn('RuntimeError: the app produced body data before calling start_response()',
                      self.stderr_since(mark))
        self.assertEqual(self.events(), ['closed no-start'])

    def test_no_start_response_at_all(self):
        mark = len(self.master.output())
        self.assert500(self.request('/no-start-empty'))
        self.assertIn('RuntimeError: the app returned without calling start_response()', self.stderr_since(mark))
        self.assertEqual(self.events(), ['closed no-start-empty'])

    def test_close_that_raises(self):
        response = self.request('/close-raises')
        self.assertEqual((response.status, response.body, response.terminal), ('200 OK', b'body', RESPONSE_ABORT))
        self.assertEqual(self.events(), ['closed close-raises'])

    def test_unknown_route_still_works_after_all_errors(self):
        self.assertComplete(self.request('/nowhere'), '404 Not Found')
        self.assertComplete(self.request('/hello'))


class CatchExceptionsTest(ProbeTestCase):
    config = {'catch_exceptions': True}

    def test_traceback_in_the_body(self):
        response = self.request('/raise-before-start')
        self.assertComplete(response, '500 Internal Server Error')
        self.assertTrue(response.body.startswith(b'Traceback (most recent call last):'), response.body)
        self.assertIn(b'ValueError: failed on purpose before start_response', response.body)


class ResponseCreditTest(ProbeTestCase):
    config = {'response_window': 100000}

    def test_worker_stops_at_its_credit_and_resumes(self):
        master = self.master
        id_ = master.send_request(make_environ('/big', query='size=250000'))
        received = 0
        frames = []
        while received < 100000:
            frame = master.read_frame()
            frames.append(frame[0])
            if frame[0] == RESPONSE_BODY:
                received += len(frame[3])
        self.assertEqual(received, 100000)
        self.assertEqual(frames[0], RESPONSE_HEAD)
        # Out of credit: nothing more may come.
        self.assertEqual(select.select([master.sock], [], [], 0.3)[0], [])
        master.send(RESPONSE_CREDIT, id_, encode_u32(50000))
        while received < 150000:
            frame = master.read_frame()
            self.assertEqual(frame[0], RESPONSE_BODY)
            received += len(frame[3])
        self.assertEqual(received, 150000)
        self.assertEqual(select.select([master.sock], [], [], 0.3)[0], [])
        master.send(RESPONSE_CREDIT, id_, encode_u32(150000))
        frame = master.read_frame()
        while frame[0] == RESPONSE_BODY:
            received += len(frame[3])
            frame = master.read_frame()
        self.assertEqual((received, frame[0]), (250000, RESPONSE_END))

    def test_chunks_larger_than_the_remaining_credit(self):
        response = self.request('/big', query='size=300000&chunk=30000')
        self.assertComplete(response)
        self.assertEqual(response.body, (bytes(range(256)) * 1200)[:300000])


class LargeFrameTest(ProbeTestCase):
    config = {'response_window': 4 * MAX_BODY_FRAME}

    def test_large_chunks_are_split_into_frames_of_max_body_frame(self):
        size = 2 * MAX_BODY_FRAME + 1000
        response = self.request('/big', query='size=%d' % size)
        self.assertComplete(response)
        self.assertEqual(response.body, (bytes(range(256)) * (size // 256 + 1))[:size])
        self.assertEqual(response.body_frames, [MAX_BODY_FRAME, MAX_BODY_FRAME, 1000])


class CancelTest(ProbeTestCase):
    config = {'response_window': 4096}

    def cancel_after_first_chunk(self, path, return_credit):
        master = self.master
        id_ = master.send_request(make_environ(path))
        frame = master.read_frame()
        self.assertEqual(frame[0], RESPONSE_HEAD)
        master.send(CANCEL, id_)
        while True:
            type_, _, frame_id, payload = master.read_frame()
            self.assertEqual(frame_id, id_)
            if type_ in (RESPONSE_END, RESPONSE_ABORT):
                return type_
            self.assertEqual(type_, RESPONSE_BODY)
            if return_credit:
                master.send(RESPONSE_CREDIT, id_, encode_u32(len(payload)))

    def test_cancel_while_streaming_with_credit(self):
        self.assertEqual(self.cancel_after_first_chunk('/stream-forever', return_credit=True), RESPONSE_END)
        self.assertEqual(self.events(), ['closed stream-forever'])

    def test_cancel_while_waiting_for_credit(self):
        self.assertEqual(self.cancel_after_first_chunk('/stream-forever', return_credit=False), RESPONSE_END)
        self.assertEqual(self.events(), ['closed stream-forever'])

    def test_cancel_during_write(self):
        self.assertEqual(self.cancel_after_first_chunk('/write-forever', return_credit=True), RESPONSE_ABORT)
        self.assertEqual(self.events(), ['write raised ClientDisconnected'])

    def test_cancel_before_the_request_runs(self):
        master = self.master
        id_ = master.last_id + 1
        master.last_id = id_
        master.sock.sendall(encode_frame(REQUEST, id_, environ_block(make_environ('/hello'))) +
                            encode_frame(CANCEL, id_))
        response = master.read_response(id_)
        self.assertEqual((response.status, response.terminal), (None, RESPONSE_END))


if __name__ == '__main__':
    unittest.main()
