"""The environ a request gets: what the master sent plus the wsgi.* keys (PEP 3333)."""

import json
import sys
import unittest

from .fake_master import environ_block, make_environ
from .probe import ProbeTestCase
from nuwsgi_worker.environ import base_environ, build_environ
from nuwsgi_worker.filewrapper import FileWrapper


class BuildEnvironTest(unittest.TestCase):
    def test_pairs_from_the_block(self):
        block = b'REQUEST_METHOD\0GET\0PATH_INFO\0/caf\xe9 x\0QUERY_STRING\0\0HTTP_X_EMPTY\0\0wsgi.url_scheme\0https'
        environ = build_environ(block, {}, None)
        self.assertEqual(environ, {
            'REQUEST_METHOD': 'GET', 'PATH_INFO': '/caf\xe9 x', 'QUERY_STRING': '', 'HTTP_X_EMPTY': '',
            'wsgi.url_scheme': 'https', 'wsgi.input': None,
        })

    def test_empty_block(self):
        self.assertEqual(build_environ(b'', {}, 'input'), {'wsgi.input': 'input'})

    def test_base_keys_and_a_fresh_dict_each_time(self):
        base = base_environ({'threads': 1, 'processes': 4})
        block = environ_block(make_environ('/x'))
        first = build_environ(block, base, 'in')
        second = build_environ(block, base, 'in')
        self.assertIsNot(first, second)
        self.assertEqual(first['wsgi.version'], (1, 0))
        self.assertIs(first['wsgi.errors'], sys.stderr)
        self.assertIs(first['wsgi.multithread'], False)
        self.assertIs(first['wsgi.multiprocess'], True)
        self.assertIs(first['wsgi.run_once'], False)
        self.assertIs(first['wsgi.input_terminated'], True)
        self.assertIs(first['wsgi.file_wrapper'], FileWrapper)
        first['PATH_INFO'] = '/changed'
        self.assertEqual(second['PATH_INFO'], '/x')
        self.assertNotIn('wsgi.input', base)


class WorkerEnvironTest(ProbeTestCase):
    config = {'processes': 2, 'threads': 1}

    def test_environ_seen_by_the_app(self):
        response = self.request('/environ', method='POST', query='a=1&b=%20', body=b'xyz',
                                headers=[('Host', 'example.com'), ('X-Latin', 'caf\xe9')],
                                CONTENT_TYPE='text/plain')
        self.assertComplete(response)
        environ = json.loads(response.body)
        self.assertEqual(environ['REQUEST_METHOD'], 'POST')
        self.assertEqual(environ['QUERY_STRING'], 'a=1&b=%20')
        self.assertEqual(environ['CONTENT_TYPE'], 'text/plain')
        self.assertEqual(environ['CONTENT_LENGTH'], '3')
        self.assertEqual(environ['HTTP_HOST'], 'example.com')
        self.assertEqual(environ['HTTP_X_LATIN'], 'caf\xe9')
        self.assertEqual(environ['wsgi.url_scheme'], 'http')
        self.assertEqual(environ['wsgi.version'], [1, 0])
        self.assertIs(environ['wsgi.multithread'], False)
        self.assertIs(environ['wsgi.multiprocess'], True)
        self.assertIs(environ['wsgi.run_once'], False)
        self.assertIs(environ['wsgi.input_terminated'], True)
        self.assertIs(environ['wsgi.errors is sys.stderr'], True)
        self.assertEqual(environ['wsgi.file_wrapper'], 'FileWrapper')

    def test_a_fresh_dict_per_request(self):
        self.assertComplete(self.request('/environ'))
        response = self.request('/same-environ')
        self.assertEqual(json.loads(response.body), {'previous_intact': True})


class MultithreadFlagTest(ProbeTestCase):
    config = {'processes': 1, 'threads': 4}

    def test_flags_follow_the_config(self):
        environ = json.loads(self.request('/environ').body)
        self.assertIs(environ['wsgi.multithread'], True)
        self.assertIs(environ['wsgi.multiprocess'], False)


if __name__ == '__main__':
    unittest.main()
