"""REQUEST_DONE's payload (python/nuwsgi_worker/uwsgi_server.py encode_record, docs/channel.md): the
numbers and four strings, the log vars appended only when CONFIG asks for them, the address
replaced for log-x-forwarded-for; and the vars and packet size as uWSGI's request log counts them."""

import struct
import unittest

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker import uwsgi_server
from nuwsgi_worker.peers import AddressList
from nuwsgi_worker.uwsgi_protocol import request_environ_counted
from nuwsgi_worker.uwsgi_connection import _encode_head
from .uwsgi_packets import encode_packet

ENVIRON = {'REMOTE_ADDR': '10.0.0.2', 'REQUEST_METHOD': 'GET', 'REQUEST_URI': '/a?b', 'SERVER_PROTOCOL': 'HTTP/1.1',
           'HTTP_USER_AGENT': 'ua/1', 'HTTP_X_ID': 'id-7', 'wsgi.input': object()}


def strings(payload):
    return payload[40:].decode('latin-1').split('\0')


class RecordTest(unittest.TestCase):
    def tearDown(self):
        uwsgi_server.set_log_vars(())

    def record(self, environ=ENVIRON, address=None):
        return uwsgi_server.encode_record(200, 3, 1, 45, 24, 300, 1000.0, 1000.5, 0, environ, address)

    def test_without_log_vars_four_strings(self):
        payload = self.record()
        self.assertEqual(strings(payload), ['10.0.0.2', 'GET', '/a?b', 'HTTP/1.1'])
        self.assertEqual(struct.unpack_from('<HHHHIIddd', payload)[8], 500000.0)

    def test_log_vars_follow_in_order(self):
        uwsgi_server.set_log_vars(['HTTP_X_ID', 'REMOTE_USER', 'HTTP_USER_AGENT', 'wsgi.input'])
        self.assertEqual(strings(self.record()), ['10.0.0.2', 'GET', '/a?b', 'HTTP/1.1', 'id-7', '', 'ua/1', ''])

    def test_no_vars_for_a_request_not_logged(self):
        uwsgi_server.set_log_vars(['HTTP_X_ID'])
        self.assertEqual(strings(self.record(environ={})), ['', '', '', ''])

    def test_address_replaced(self):
        self.assertEqual(strings(self.record(address='203.0.113.7, 10.0.0.2'))[0], '203.0.113.7, 10.0.0.2')


class CountsTest(unittest.TestCase):
    def test_vars_as_sent_and_the_peer_sent(self):
        pairs = [('REQUEST_METHOD', 'GET'), ('PATH_INFO', '/'), ('REMOTE_ADDR', '127.0.0.1'), ('HTTP_HOST', 'x')]
        data = encode_packet(pairs)
        environ, length, sent, from_proxy = request_environ_counted(data, len(data), None)
        self.assertEqual(sent, 4, 'SCRIPT_NAME and wsgi.url_scheme added by the worker are not counted')
        self.assertIn('wsgi.url_scheme', environ)
        self.assertFalse(from_proxy)
        # the peer's REMOTE_ADDR as sent decides whether it is a trusted proxy
        self.assertTrue(request_environ_counted(data, len(data), AddressList(['127.0.0.1']))[3])
        self.assertFalse(request_environ_counted(data, len(data), AddressList(['10.0.0.1']))[3])

    def test_head_bytes_as_uwsgi_counts_them(self):
        head, status, count, size = _encode_head(('HTTP/1.1', '200 OK', 'Content-Type', 'text/plain', 'Content-Length', '3'))
        self.assertEqual((status, count), (200, 2))
        self.assertEqual(size, len(head))
        self.assertEqual(size, 64)


if __name__ == '__main__':
    unittest.main()
