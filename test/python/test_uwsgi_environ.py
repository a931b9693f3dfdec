"""The CGI environ that a uwsgi packet's vars become (request_environ in
python/nuwsgi_worker/uwsgi_protocol.py), as the master's old buildRequest made it, trusted proxies
included, and the status line's protocol (response_protocol)."""

import unittest

from .uwsgi_packets import ErrorAssertions, PACKET, STREAM, environ_of, nginx_vars, raw_packet
from nuwsgi_worker.peers import AddressList  # noqa: E402  (uwsgi_packets puts python/ on sys.path)
from nuwsgi_worker.uwsgi_protocol import BadVars, UwsgiError, request_environ, response_protocol  # noqa: E402


class RequestEnvironTest(ErrorAssertions):
    def test_an_nginx_request(self):
        environ, length = request_environ(STREAM, len(PACKET), None)
        self.assertEqual(length, 5)
        self.assertEqual(environ, {
            'QUERY_STRING': 'x=1', 'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': '', 'CONTENT_LENGTH': '5',
            'REQUEST_URI': '/submit?x=1', 'PATH_INFO': '/submit', 'DOCUMENT_ROOT': '/usr/share/nginx/html',
            'SERVER_PROTOCOL': 'HTTP/1.1', 'REQUEST_SCHEME': 'http', 'REMOTE_PORT': '51234', 'SERVER_PORT': '80',
            'SERVER_NAME': 'example.com', 'HTTP_HOST': 'example.com', 'HTTP_USER_AGENT': 'test',
            'REMOTE_ADDR': '127.0.0.1', 'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http',
        })

    def test_empty_block(self):
        self.assertEqual(environ_of([]), ({'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http'}, 0))

    def test_uwsgi_and_dotted_keys_are_dropped(self):
        environ, _ = environ_of([
            ('UWSGI_FILE', '/tmp/evil.py'), ('UWSGI_SCHEME', 'https'), ('UWSGI_', 'x'), ('wsgi.url_scheme', 'https'),
            ('wsgi.input', 'x'), ('a.b', 'c'), ('.', 'd'), ('HTTP_X.Y', 'e'),
            ('UWSGIX', 'kept'), ('uwsgi_file', 'kept'), ('X_UWSGI_Y', 'kept'),
        ])
        self.assertEqual(environ, {
            'UWSGIX': 'kept', 'uwsgi_file': 'kept', 'X_UWSGI_Y': 'kept', 'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http',
        })

    def test_http_content_type_and_length_are_dropped(self):
        environ, length = environ_of([
            ('CONTENT_TYPE', 'text/plain'), ('CONTENT_LENGTH', '3'),
            ('HTTP_CONTENT_TYPE', 'text/plain'), ('HTTP_CONTENT_LENGTH', '3'), ('HTTP_CONTENT_MD5', 'x'),
        ])
        self.assertEqual(length, 3)
        self.assertEqual(environ, {'CONTENT_TYPE': 'text/plain', 'CONTENT_LENGTH': '3', 'HTTP_CONTENT_MD5': 'x',
                                   'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http'})

    def test_a_bad_http_content_length_is_dropped_unread(self):
        self.assertEqual(environ_of([('HTTP_CONTENT_LENGTH', 'x')])[1], 0)

    def test_the_last_duplicate_wins(self):
        environ, length = environ_of([
            ('PATH_INFO', '/a'), ('CONTENT_LENGTH', '10'), ('REMOTE_ADDR', '10.0.0.1'), ('HTTP_X', '1'),
            ('PATH_INFO', '/b'), ('CONTENT_LENGTH', '20'), ('REMOTE_ADDR', '10.0.0.2'), ('HTTP_X', '2'),
        ])
        self.assertEqual(length, 20)
        self.assertEqual(environ['PATH_INFO'], '/b')
        self.assertEqual(environ['CONTENT_LENGTH'], '20')
        self.assertEqual(environ['REMOTE_ADDR'], '10.0.0.2')
        self.assertEqual(environ['HTTP_X'], '2')

    def test_remote_addr(self):
        self.assertEqual(environ_of([('REMOTE_ADDR', '192.0.2.1')])[0]['REMOTE_ADDR'], '192.0.2.1')
        self.assertNotIn('REMOTE_ADDR', environ_of([('REQUEST_METHOD', 'GET')])[0])
        self.assertNotIn('REMOTE_ADDR', environ_of([('REMOTE_ADDR', '')])[0])
        # whatever it says: only trusted proxies are checked against a list
        self.assertEqual(environ_of([('REMOTE_ADDR', 'not an address')])[0]['REMOTE_ADDR'], 'not an address')

    def test_script_name(self):
        self.assertEqual(environ_of([('PATH_INFO', '/x')])[0]['SCRIPT_NAME'], '')
        self.assertEqual(environ_of([('SCRIPT_NAME', '/app'), ('PATH_INFO', '/x')])[0]['SCRIPT_NAME'], '/app')
        self.assertEqual(environ_of([('SCRIPT_NAME', '')])[0]['SCRIPT_NAME'], '')

    def test_url_scheme(self):
        cases = [
            ([], 'http'),
            ([('HTTPS', 'on')], 'https'), ([('HTTPS', 'ON')], 'https'), ([('HTTPS', 'On')], 'https'),
            ([('HTTPS', 'one')], 'https'), ([('HTTPS', '1')], 'https'), ([('HTTPS', '10')], 'https'),
            ([('HTTPS', 'off')], 'http'), ([('HTTPS', '0')], 'http'), ([('HTTPS', '')], 'http'),
            ([('HTTPS', 'yes')], 'http'), ([('HTTPS', ' on')], 'http'), ([('HTTPS', 'o')], 'http'),
            ([('REQUEST_SCHEME', 'https')], 'https'), ([('REQUEST_SCHEME', 'HTTPS')], 'https'),
            ([('REQUEST_SCHEME', 'http')], 'http'), ([('REQUEST_SCHEME', 'https ')], 'http'),
            ([('REQUEST_SCHEME', 'ws')], 'http'),
            ([('HTTPS', 'on'), ('HTTPS', 'off')], 'http'), ([('HTTPS', 'off'), ('HTTPS', 'on')], 'https'),
            ([('REQUEST_SCHEME', 'https'), ('REQUEST_SCHEME', 'http')], 'http'),
            # either one says https: they do not cancel each other, whatever the order
            ([('REQUEST_SCHEME', 'http'), ('HTTPS', 'on')], 'https'),
            ([('HTTPS', 'on'), ('REQUEST_SCHEME', 'http')], 'https'),
            ([('REQUEST_SCHEME', 'https'), ('HTTPS', 'off')], 'https'),
            ([('HTTPS', 'off'), ('REQUEST_SCHEME', 'https')], 'https'),
            ([('UWSGI_SCHEME', 'https')], 'http'), ([('HTTP_X_FORWARDED_PROTO', 'https')], 'http'),
        ]
        for pairs, scheme in cases:
            with self.subTest(pairs=pairs):
                self.assertEqual(environ_of(pairs)[0]['wsgi.url_scheme'], scheme)

    def test_https_and_request_scheme_reach_the_app(self):
        environ, _ = environ_of(nginx_vars(https=True))
        self.assertEqual((environ['HTTPS'], environ['REQUEST_SCHEME'], environ['wsgi.url_scheme']),
                         ('on', 'https', 'https'))

    def test_nul_byte(self):
        cases = [
            ([('A\0B', 'x')], 'the var "A\\u0000B" contains a NUL byte'),
            ([('PATH_INFO', '/a\0b')], 'the var "PATH_INFO" contains a NUL byte'),
            ([('\0', '')], 'the var "\\u0000" contains a NUL byte'),
            ([('HTTP_X', 'ok'), ('HTTP_Y', '\0')], 'the var "HTTP_Y" contains a NUL byte'),
            # checked before a key is dropped
            ([('UWSGI_FILE', 'a\0')], 'the var "UWSGI_FILE" contains a NUL byte'),
            ([('UWSGI_\0', 'x')], 'the var "UWSGI_\\u0000" contains a NUL byte'),
            ([('HTTP_CONTENT_TYPE', '\0')], 'the var "HTTP_CONTENT_TYPE" contains a NUL byte'),
            ([('a.b', '\0')], 'the var "a.b" contains a NUL byte'),
            ([('REMOTE_ADDR', '10.0.0.1\0')], 'the var "REMOTE_ADDR" contains a NUL byte'),
            ([('CONTENT_LENGTH', '1\0')], 'the var "CONTENT_LENGTH" contains a NUL byte'),
            ([('HTTP_"Q"', '\0')], 'the var "HTTP_\\"Q\\"" contains a NUL byte'),
        ]
        for pairs, message in cases:
            with self.subTest(pairs=pairs):
                with self.assertRaises(BadVars) as caught:
                    environ_of(pairs)
                self.assertEqual(str(caught.exception), message)

    def test_nul_byte_key_asked_twice(self):
        # the kinds of keys are remembered: a NUL key must not be remembered as harmless
        for _ in range(3):
            with self.assertRaises(BadVars):
                environ_of([('K\0', 'v')])

    def test_bad_content_length(self):
        for value, shown in (('x', '"x"'), ('-1', '"-1"'), ('+1', '"+1"'), (' 1', '" 1"'), ('1 ', '"1 "'),
                             ('1.0', '"1.0"'), ('0x10', '"0x10"'), ('1e3', '"1e3"'), ('5\t', '"5\\t"'),
                             ('1' * 16, '"%s"' % ('1' * 16))):
            with self.subTest(value=value):
                with self.assertRaises(BadVars) as caught:
                    environ_of([('CONTENT_LENGTH', value)])
                self.assertEqual(str(caught.exception), 'CONTENT_LENGTH %s is not a length' % shown)
        # digits that are not ASCII: superscripts (latin-1), an Arabic-Indic one (its UTF-8 bytes)
        for value in (b'\xb2', b'\xb9\xb2', b'1\xb3', '\u0661'.encode('utf-8')):
            with self.subTest(value=value):
                with self.assertRaises(BadVars):
                    environ_of([('CONTENT_LENGTH', value)])

    def test_content_length(self):
        for value, length in (('', 0), ('0', 0), ('5', 5), ('007', 7), ('9' * 15, 999999999999999),
                              ('65536', 65536)):
            with self.subTest(value=value):
                environ, got = environ_of([('CONTENT_LENGTH', value)])
                self.assertEqual(got, length)
                self.assertEqual(environ['CONTENT_LENGTH'], value)
        self.assertEqual(environ_of([('REQUEST_METHOD', 'POST')])[1], 0)

    def test_malformed_blocks_raise_uwsgi_error(self):
        with self.assertRaises(UwsgiError):
            data = raw_packet(bytes([1, 0, 65]))
            request_environ(data, len(data), AddressList(['127.0.0.1']))

    def test_values_are_latin1(self):
        environ, _ = environ_of([('PATH_INFO', b'/caf\xc3\xa9'), ('HTTP_X', b'\xff')])
        self.assertEqual(environ['PATH_INFO'], '/caf\xc3\xa9')
        self.assertEqual(environ['HTTP_X'], '\xff')

    def test_many_distinct_keys(self):
        # past the size of the remembered kinds of keys, the answers stay the same
        for round_ in range(3):
            pairs = [('HTTP_K%d_%d' % (round_, i), 'v') for i in range(900)] + [
                ('UWSGI_FILE', 'x'), ('HTTP_CONTENT_LENGTH', '1'), ('CONTENT_LENGTH', '2')]
            environ, length = environ_of(pairs)
            self.assertEqual(length, 2)
            self.assertEqual(len(environ), 900 + 3)
            self.assertNotIn('UWSGI_FILE', environ)
            self.assertNotIn('HTTP_CONTENT_LENGTH', environ)


class TrustedProxiesEnvironTest(unittest.TestCase):
    trusted = AddressList(['127.0.0.1', '10.0.0.0/8'])

    def seen(self, remote_addr, headers, https=False, trusted=trusted):
        pairs = nginx_vars(uri='/proxied', remote_addr=remote_addr, https=https, headers=[('Host', 'x')] + headers)
        environ, _ = environ_of(pairs, trusted)
        return environ.get('REMOTE_ADDR'), environ['wsgi.url_scheme'], environ.get('HTTP_X_FORWARDED_FOR')

    def test_without_trusted_proxies_nothing_changes(self):
        headers = [('X-Forwarded-For', '203.0.113.7'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('10.0.0.2', headers, trusted=None), ('10.0.0.2', 'http', '203.0.113.7'))
        self.assertEqual(self.seen('10.0.0.2', headers, trusted=AddressList([])), ('10.0.0.2', 'http', '203.0.113.7'))

    def test_trusted_remote_addr(self):
        headers = [('X-Forwarded-For', '203.0.113.9'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('10.0.0.2', headers), ('203.0.113.9', 'https', '203.0.113.9'))
        self.assertEqual(self.seen('127.0.0.1', headers), ('203.0.113.9', 'https', '203.0.113.9'))
        self.assertEqual(self.seen('::ffff:10.0.0.2', headers), ('203.0.113.9', 'https', '203.0.113.9'))

    def test_untrusted_remote_addr(self):
        headers = [('X-Forwarded-For', '203.0.113.9'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('192.0.2.50', headers), ('192.0.2.50', 'http', '203.0.113.9'))
        self.assertEqual(self.seen('', headers), (None, 'http', '203.0.113.9'))
        self.assertEqual(self.seen('127.0.0.2', headers), ('127.0.0.2', 'http', '203.0.113.9'))

    def test_forwarded_proto_http_wins_over_https_on(self):
        self.assertEqual(self.seen('10.0.0.2', [('X-Forwarded-Proto', 'http')], https=True)[:2], ('10.0.0.2', 'http'))

    def test_rightmost_untrusted_address(self):
        headers = [('X-Forwarded-For', '192.0.2.66, 198.51.100.1, 10.1.2.3')]
        self.assertEqual(self.seen('10.0.0.2', headers)[0], '198.51.100.1')

    def test_headers_saying_nothing_usable(self):
        headers = [('X-Forwarded-For', 'unknown'), ('X-Forwarded-Proto', 'gopher')]
        self.assertEqual(self.seen('127.0.0.1', headers, https=True), ('127.0.0.1', 'https', 'unknown'))

    def test_each_header_alone(self):
        self.assertEqual(self.seen('10.0.0.2', [('X-Forwarded-Proto', 'https')]), ('10.0.0.2', 'https', None))
        self.assertEqual(self.seen('10.0.0.2', [('X-Forwarded-For', '203.0.113.1')], https=True),
                         ('203.0.113.1', 'https', '203.0.113.1'))

    def test_the_last_forwarded_headers_count(self):
        headers = [('X-Forwarded-For', '203.0.113.1'), ('X-Forwarded-Proto', 'http'),
                   ('X-Forwarded-For', '203.0.113.2'), ('X-Forwarded-Proto', 'https')]
        self.assertEqual(self.seen('10.0.0.2', headers), ('203.0.113.2', 'https', '203.0.113.2'))

    def test_the_last_remote_addr_is_the_one_checked(self):
        pairs = [('REMOTE_ADDR', '10.0.0.2'), ('REMOTE_ADDR', '192.0.2.50'), ('HTTP_X_FORWARDED_FOR', '203.0.113.1')]
        self.assertEqual(environ_of(pairs, self.trusted)[0]['REMOTE_ADDR'], '192.0.2.50')
        pairs = [('REMOTE_ADDR', '192.0.2.50'), ('REMOTE_ADDR', '10.0.0.2'), ('HTTP_X_FORWARDED_FOR', '203.0.113.1')]
        self.assertEqual(environ_of(pairs, self.trusted)[0]['REMOTE_ADDR'], '203.0.113.1')

    def test_forwarded_headers_before_remote_addr(self):
        pairs = [('HTTP_X_FORWARDED_FOR', '203.0.113.1'), ('HTTP_X_FORWARDED_PROTO', 'https'), ('REMOTE_ADDR', '10.0.0.2')]
        environ, _ = environ_of(pairs, self.trusted)
        self.assertEqual((environ['REMOTE_ADDR'], environ['wsgi.url_scheme']), ('203.0.113.1', 'https'))


class ResponseProtocolTest(unittest.TestCase):
    def test_http_versions_are_echoed(self):
        for protocol in ('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/9.9'):
            self.assertEqual(response_protocol({'SERVER_PROTOCOL': protocol}), protocol)

    def test_anything_else_is_http_1_0(self):
        for protocol in ('', 'HTTP/1.10', 'HTTP/1', 'HTTP/11', 'HTTPS/1.1', 'http/1.1', 'HTTP/1,1', 'HTTP/a.1',
                         'HTTP/1.b', 'HTTP/1.1 ', ' HTTP/1.1', 'HTTP/\xb9.1', 'HTTP/1.\xb2', 'SPDY/3.1', 'HTTP/2'):
            with self.subTest(protocol=protocol):
                self.assertEqual(response_protocol({'SERVER_PROTOCOL': protocol}), 'HTTP/1.0')
        self.assertEqual(response_protocol({}), 'HTTP/1.0')

    def test_from_request_environ(self):
        environ, _ = request_environ(STREAM, len(PACKET), None)
        self.assertEqual(response_protocol(environ), 'HTTP/1.1')
