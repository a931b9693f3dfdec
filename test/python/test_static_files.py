"""Static files on a uwsgi socket (python/nuwsgi_worker/static_files.py), step for step as the
master's lookup.ts, disk.ts and files.ts: which candidates a PATH_INFO names and the refusals (403
for a backslash, a NUL, bytes that are not UTF-8, '.' and '..' segments; 404 for dot files), the
method and static-skip-ext, mount prefixes at segment boundaries, file mounts, static-map2; on disk
the real path under the mount or a static-safe path, the index of a directory, skip-ext on the real
path, precompressed siblings; and the whole response written on a connection (sendfile for GET,
nothing for HEAD, the answers without add-header, the log line of a refusal)."""

import contextlib
import io
import os
import shutil
import socket
import tempfile
import threading
import unittest
from unittest import mock

from .fake_master import PYTHON_DIR  # noqa: F401  (puts python/ on sys.path)
from nuwsgi_worker.sockio import recv_some  # noqa: E402
from nuwsgi_worker.static_files import StaticFiles  # noqa: E402
from nuwsgi_worker.static_lookup import Refusal  # noqa: E402
from nuwsgi_worker.uwsgi_connection import UwsgiConnection  # noqa: E402

MIME = {'txt': 'text/plain; charset=utf-8', 'css': 'text/css; charset=utf-8', 'html': 'text/html; charset=utf-8',
        'js': 'text/javascript; charset=utf-8'}


def rules(mounts, **more):
    """CONFIG's static_files, as src/master/worker-config.ts makes it (mounts longest prefix first)."""
    table = {
        'mounts': [{'prefix': prefix, 'root': root, 'file': file, 'keep_prefix': keep}
                   for prefix, root, file, keep in mounts],
        'index': [], 'skip_ext': [], 'safe': [], 'expires': [],
        'gzip': {'all': False, 'dirs': [], 'exts': [], 'patterns': []},
        'mime_types': MIME, 'add_headers': [], 'serve_mode': 'raw',
    }
    table.update(more)
    return table


def mount(prefix, root, file=False, keep=False):
    return prefix, root, file, keep


class LookupTest(unittest.TestCase):
    def setUp(self):
        self.files = StaticFiles(rules([mount('/static/css', '/srv/css'), mount('/static', '/srv/static'),
                                        mount('/favicon.ico', '/srv/favicon.ico', file=True)],
                                       skip_ext=['.py']))

    def candidates(self, path, method='GET'):
        found = self.files.look_up(method, path)
        if found is None or type(found) is Refusal:
            return found
        return [p for _, p in found]

    def refusal(self, path):
        found = self.files.look_up('GET', path)
        self.assertIs(type(found), Refusal, path)
        return found.answer, found.why

    def test_candidates_longest_prefix_first(self):
        self.assertEqual(self.candidates('/static/css/a.css'), ['/srv/css/a.css', '/srv/static/css/a.css'])
        self.assertEqual(self.candidates('/static/a/b.txt'), ['/srv/static/a/b.txt'])
        self.assertEqual(self.candidates('/static'), ['/srv/static'])
        self.assertEqual(self.candidates('/static/'), ['/srv/static'])
        self.assertEqual(self.candidates('/static//a'), ['/srv/static/a'])
        self.assertEqual(self.candidates('/static/a/'), ['/srv/static/a/'])

    def test_prefixes_end_at_a_segment(self):
        self.assertIsNone(self.candidates('/staticx'))
        self.assertIsNone(self.candidates('/static.txt'))
        self.assertIsNone(self.candidates('/'))
        self.assertIsNone(self.candidates('/other/static/a'))

    def test_a_file_mount_serves_its_prefix_alone(self):
        self.assertEqual(self.candidates('/favicon.ico'), ['/srv/favicon.ico'])
        self.assertIsNone(self.candidates('/favicon.ico/x'))
        self.assertIsNone(self.candidates('/favicon.icox'))

    def test_static_map2_and_check_static(self):
        files = StaticFiles(rules([mount('/m2', '/srv', keep=True), mount('', '/pub')]))
        self.assertEqual([p for _, p in files.look_up('GET', '/m2/a.txt')], ['/srv/m2/a.txt', '/pub/m2/a.txt'])
        self.assertEqual([p for _, p in files.look_up('GET', '/x')], ['/pub/x'])
        self.assertEqual([p for _, p in files.look_up('GET', '/')], ['/pub'])

    def test_other_methods_and_skip_ext_go_to_the_app(self):
        for method in ('POST', 'PUT', 'DELETE', 'OPTIONS', 'get'):
            self.assertIsNone(self.candidates('/static/a.txt', method), method)
        self.assertEqual(self.candidates('/static/a.txt', 'HEAD'), ['/srv/static/a.txt'])
        self.assertIsNone(self.candidates('/static/app.py'))
        # skip-ext looks at PATH_INFO before anything is refused
        self.assertIsNone(self.candidates('/static/../app.py'))

    def test_refused_403(self):
        for path, why in (
                ('/static/../etc/passwd', "a '..' segment in the path"), ('/static/..', "a '..' segment in the path"),
                ('/static/a/./b', "a '.' segment in the path"), ('/static/.', "a '.' segment in the path"),
                ('/static/a\\..\\b', 'a backslash in the path'), ('/static/a\0b', 'a NUL byte in the path'),
                ('/static/\xff', 'the path is not valid UTF-8'), ('/static/\xc0\xae\xc0\xae', 'the path is not valid UTF-8'),
                ('/static/\xed\xa0\x80', 'the path is not valid UTF-8'), ('/static/\xe2\x82', 'the path is not valid UTF-8'),
                ('/static/.git/../x', "a '..' segment in the path")):
            self.assertEqual(self.refusal(path), ('forbidden', why), path)

    def test_dot_files_are_not_found(self):
        for path in ('/static/.env', '/static/a/.git/config', '/static/.hidden/x.txt', '/static/...x'):
            self.assertEqual(self.refusal(path), ('notFound', 'a hidden (dot) file'), path)

    def test_a_refusal_under_any_mount_wins(self):
        self.assertEqual(self.refusal('/static/css/../x')[0], 'forbidden')

    def test_utf8_names(self):
        self.assertEqual(self.candidates('/static/\xc3\xa9.txt'), ['/srv/static/\xe9.txt'])
        # a leading byte order mark is part of the name, as on the master (ignoreBOM)
        self.assertEqual(self.candidates('/static/\xef\xbb\xbfa.txt'), ['/srv/static/\ufeffa.txt'])


class Tree(unittest.TestCase):
    """A mount over a temporary tree of files, symlinks in and out of it, and a fallback mount."""

    def setUp(self):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix='nuwsgi-static-'))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.root = self.path('static')
        for name, data in (('static/a.txt', 'a'), ('static/app.py', 'py'), ('static/dir/index.html', 'i'),
                           ('static/empty/x', ''), ('outside/secret.txt', 's'), ('safe/lib.js', 'j'),
                           ('static/style.css', 'css'), ('static/style.css.gz', 'gz'), ('static/style.css.br', 'br'),
                           ('static/only.css', 'o'), ('static/only.css.gz', 'gz'), ('fallback/b.txt', 'b')):
            os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
            with open(self.path(name), 'w') as f:
                f.write(data)
        os.symlink('../outside/secret.txt', self.path('static/leak.txt'))
        os.symlink('../safe/lib.js', self.path('static/lib.js'))
        os.symlink('app.py', self.path('static/code.txt'))
        os.symlink('../a.txt', self.path('static/dir/link.txt'))
        os.mkdir(self.path('static/dir/index.htm'))
        os.mkfifo(self.path('static/fifo'))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def files(self, **more):
        more.setdefault('safe', [self.path('safe')])
        more.setdefault('skip_ext', ['.py'])
        more.setdefault('index', ['index.htm', 'index.html'])
        return StaticFiles(rules([mount('/static', self.root), mount('/static', self.path('fallback'))], **more))

    def find(self, path_info, files=None):
        files = files or self.files()
        return files.find(files.look_up('GET', path_info))


class DiskTest(Tree):
    def test_a_file(self):
        found = self.find('/static/a.txt')
        self.assertEqual((found.path, found.stat.st_size, found.compressible), (self.path('static/a.txt'), 1, False))

    def test_symlinks_inside_the_mount_are_followed(self):
        self.assertEqual(self.find('/static/dir/link.txt').path, self.path('static/a.txt'))

    def test_a_symlink_out_of_the_mount_is_403(self):
        found = self.find('/static/leak.txt')
        self.assertEqual(found.answer, 'forbidden')
        self.assertEqual(found.why, '%s is not under %s or a static-safe path' % (self.path('outside/secret.txt'), self.root))

    def test_static_safe_lets_a_symlink_out(self):
        self.assertEqual(self.find('/static/lib.js').path, self.path('safe/lib.js'))
        self.assertEqual(self.find('/static/lib.js', self.files(safe=[])).answer, 'forbidden')

    def test_a_directory_serves_its_first_index_file(self):
        # index.htm is a directory: the next name is tried
        self.assertEqual(self.find('/static/dir').path, self.path('static/dir/index.html'))
        self.assertEqual(self.find('/static/dir/').path, self.path('static/dir/index.html'))
        self.assertIsNone(self.find('/static/empty'))
        self.assertIsNone(self.find('/static/dir', self.files(index=[])))

    def test_absent_files_go_to_the_next_mount_then_the_app(self):
        self.assertEqual(self.find('/static/b.txt').path, self.path('fallback/b.txt'))
        self.assertIsNone(self.find('/static/nope.txt'))
        self.assertIsNone(self.find('/static/a.txt/x'))
        # realpath(3), as the master has it, refuses a file named as a directory
        self.assertIsNone(self.find('/static/a.txt/'))
        self.assertIsNone(self.find('/static/fifo'))

    def test_skip_ext_on_the_real_path(self):
        self.assertIsNone(self.find('/static/code.txt'))
        self.assertEqual(self.find('/static/code.txt', self.files(skip_ext=[])).path, self.path('static/app.py'))

    def test_precompressed_siblings(self):
        files = self.files(gzip={'all': False, 'dirs': [], 'exts': ['.css'], 'patterns': []})
        found = self.find('/static/style.css', files)
        self.assertTrue(found.compressible)
        self.assertEqual((found.br[0], found.gzip[0]), (self.path('static/style.css.br'), self.path('static/style.css.gz')))
        found = self.find('/static/only.css', files)
        self.assertEqual((found.br, found.gzip[0]), (None, self.path('static/only.css.gz')))
        self.assertFalse(self.find('/static/a.txt', files).compressible)
        self.assertIsNone(self.find('/static/style.css').br)

    def test_which_files_are_compressible(self):
        files = self.files(gzip={'all': False, 'dirs': [self.path('static/d')], 'exts': ['.js'], 'patterns': ['\\.t[x]t$']})
        self.assertTrue(files._compressible(self.path('static/dir/x')))
        self.assertTrue(files._compressible('/x/y.js'))
        self.assertTrue(files._compressible('/x/y.txt'))
        self.assertFalse(files._compressible('/x/y.css'))
        self.assertTrue(self.files(gzip={'all': True, 'dirs': [], 'exts': [], 'patterns': []})._compressible('/x'))

    def test_content_type(self):
        files = self.files()
        for path, content_type in (('/a/b.TXT', 'text/plain; charset=utf-8'), ('/a/b.tar.css', 'text/css; charset=utf-8'),
                                   ('/a/noext', 'application/octet-stream'), ('/a/b.unknown', 'application/octet-stream'),
                                   ('/a/.txt', 'application/octet-stream'), ('/a/..txt', 'text/plain; charset=utf-8'),
                                   ('/a.txt/b', 'application/octet-stream'), ('/a/b.', 'application/octet-stream')):
            self.assertEqual(files.content_type(path), content_type, path)

    def test_the_first_expiry_rule_that_matches(self):
        files = self.files(expires=[
            {'subject': 'filename', 'pattern': '\\.css$', 'seconds': 1, 'from_mtime': False},
            {'subject': 'path_info', 'pattern': '^/static/x', 'seconds': 2, 'from_mtime': True},
            {'subject': 'uri', 'pattern': 'v=3', 'seconds': 3, 'from_mtime': False},
            {'subject': 'type', 'pattern': 'text/plain', 'seconds': 4, 'from_mtime': True},
        ])
        environ = {'PATH_INFO': '/static/y', 'REQUEST_URI': '/static/y?v=3'}
        self.assertEqual(files.expiry('/r/a.css', environ, 'text/plain'), (1, False))
        self.assertEqual(files.expiry('/r/a.txt', dict(environ, PATH_INFO='/static/x'), 'text/plain'), (2, True))
        self.assertEqual(files.expiry('/r/a.txt', environ, 'text/plain; charset=utf-8'), (3, False))
        self.assertEqual(files.expiry('/r/a.txt', dict(environ, REQUEST_URI='/'), 'text/plain; charset=utf-8'), (4, True))
        self.assertIsNone(files.expiry('/r/a.js', dict(environ, REQUEST_URI='/'), 'text/javascript'))


class ServeTest(Tree):
    """The whole response, as serve() writes it on a uwsgi connection."""

    def serve(self, path_info, method='GET', files=None, **headers):
        files = files or self.files()
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        conn = UwsgiConnection(server, recv_some, 5, '', 'test.sock', threading.Lock(), ('X-Frame-Options', 'DENY'))
        conn.protocol = 'HTTP/1.1'
        environ = dict({'REQUEST_METHOD': method, 'PATH_INFO': path_info, 'REQUEST_URI': path_info,
                        'REMOTE_ADDR': '10.0.0.1'}, **headers)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            served = files.serve(conn, environ)
        server.close()
        data = b''
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
        self.log = stderr.getvalue()
        self.conn = conn
        if not served:
            self.assertEqual(data, b'')
            return None
        head, _, body = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        return lines[0], dict(line.split(': ', 1) for line in lines[1:]), body

    def test_a_file_with_sendfile(self):
        data = os.urandom(100_000)
        with open(self.path('static/big.bin'), 'wb') as f:
            f.write(data)
        status, head, body = self.serve('/static/big.bin')
        self.assertEqual(status, 'HTTP/1.1 200 OK')
        self.assertEqual(body, data)
        self.assertEqual(head['Content-Length'], '100000')
        self.assertEqual(head['Content-Type'], 'application/octet-stream')
        self.assertEqual(head['X-Frame-Options'], 'DENY')
        self.assertEqual(self.log, '')
        self.assertEqual((self.conn.status, self.conn.body_bytes, self.conn.header_count), (200, 100_000, 6))

    def test_a_range(self):
        status, head, body = self.serve('/static/style.css', HTTP_RANGE='bytes=1-')
        self.assertEqual((status, head['Content-Range'], body), ('HTTP/1.1 206 Partial Content', 'bytes 1-2/3', b'ss'))

    def test_head_and_304_send_no_body(self):
        status, head, body = self.serve('/static/a.txt', 'HEAD')
        self.assertEqual((status, head['Content-Length'], body), ('HTTP/1.1 200 OK', '1', b''))
        status, head, body = self.serve('/static/a.txt', HTTP_IF_NONE_MATCH=head['ETag'])
        self.assertEqual((status, body), ('HTTP/1.1 304 Not Modified', b''))
        self.assertEqual(head['X-Frame-Options'], 'DENY')
        self.assertEqual(self.conn.body_bytes, 0)

    def test_precompressed(self):
        files = self.files(gzip={'all': True, 'dirs': [], 'exts': [], 'patterns': []})
        status, head, body = self.serve('/static/style.css', files=files, HTTP_ACCEPT_ENCODING='gzip, br')
        self.assertEqual((head['Content-Encoding'], head['Vary'], head['Content-Type'], body),
                         ('br', 'Accept-Encoding', 'text/css; charset=utf-8', b'br'))
        status, head, body = self.serve('/static/style.css', files=files, HTTP_ACCEPT_ENCODING='gzip')
        self.assertEqual((head['Content-Encoding'], body), ('gzip', b'gz'))
        status, head, body = self.serve('/static/style.css', files=files)
        self.assertEqual((head.get('Content-Encoding'), head['Vary'], body), (None, 'Accept-Encoding', b'css'))

    def test_answers_without_add_header(self):
        for path, headers, status in (('/static/.env', {}, '404 Not Found'), ('/static/../x', {}, '403 Forbidden'),
                                      ('/static/a.txt', {'HTTP_IF_MATCH': '"x"'}, '412 Precondition Failed'),
                                      ('/static/a.txt', {'HTTP_RANGE': 'bytes=5-'}, '416 Range Not Satisfiable')):
            line, head, body = self.serve(path, **headers)
            self.assertEqual(line, 'HTTP/1.1 ' + status)
            self.assertEqual(body, (status + '\n').encode())
            self.assertEqual(head['Content-Type'], 'text/plain')
            self.assertNotIn('X-Frame-Options', head)
        self.assertEqual(head['Content-Range'], 'bytes */1')

    def test_a_refusal_logs_one_line_and_a_dot_file_none(self):
        self.serve('/static/../x')
        self.assertEqual(self.log, "GET /static/../x from 10.0.0.1: a '..' segment in the path: answered 403\n")
        self.serve('/static/leak.txt', 'HEAD')
        self.assertEqual(self.log, 'HEAD /static/leak.txt from 10.0.0.1: %s is not under %s or a static-safe path: answered 403\n'
                         % (self.path('outside/secret.txt'), self.root))
        line, head, body = self.serve('/static/.env', 'HEAD')
        self.assertEqual((line, head['Content-Length'], body, self.log), ('HTTP/1.1 404 Not Found', '14', b'', ''))

    def test_the_app_gets_what_no_mount_serves(self):
        for path, method in (('/static/nope', 'GET'), ('/static/a.txt', 'POST'), ('/static/app.py', 'GET'), ('/other', 'GET')):
            self.assertIsNone(self.serve(path, method), (path, method))
            self.assertEqual(self.conn.status, 0)

    def test_file_serve_mode(self):
        files = self.files(serve_mode='x-accel-redirect')
        status, head, body = self.serve('/static/a.txt', files=files, HTTP_RANGE='bytes=0-0', HTTP_IF_NONE_MATCH='*')
        self.assertEqual((status, head['X-Accel-Redirect'], head['Content-Length'], body),
                         ('HTTP/1.1 200 OK', self.path('static/a.txt'), '0', b''))
        self.assertNotIn('ETag', head)
        self.assertEqual(head['X-Frame-Options'], 'DENY')
        status, head, body = self.serve('/static/a.txt', files=self.files(serve_mode='x-sendfile'))
        self.assertEqual(head['X-Sendfile'], self.path('static/a.txt'))

    def test_a_peer_that_stops_reading_is_given_up_after_socket_timeout(self):
        with open(self.path('static/big.bin'), 'wb') as f:
            f.truncate(64 * 1024 * 1024)
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        self.addCleanup(server.close)
        self.assertTrue(os.get_blocking(server.fileno()))
        conn = UwsgiConnection(server, recv_some, 0.1, '', 'test.sock', threading.Lock())
        environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/static/big.bin', 'REQUEST_URI': '/static/big.bin'}
        # the client reads nothing: sendfile() must not wait for it for good on this blocking socket
        thread = threading.Thread(target=self.files().serve, args=(conn, environ), daemon=True)
        thread.start()
        thread.join(30)
        self.assertFalse(thread.is_alive(), 'serve() still waits for a peer that reads nothing')
        self.assertTrue(conn.broken)
        self.assertTrue(conn.cancelled)
        self.assertLess(conn.body_bytes, 64 * 1024 * 1024)
        self.assertTrue(os.get_blocking(server.fileno()), 'the socket is blocking again')

    def test_a_file_that_cannot_be_opened_is_500(self):
        with mock.patch('os.open', side_effect=PermissionError(13, 'Permission denied')):
            line, head, body = self.serve('/static/a.txt')
        self.assertEqual(line, 'HTTP/1.1 500 Internal Server Error')
        self.assertEqual(self.log, 'GET /static/a.txt from 10.0.0.1: the static file cannot be read: '
                                   '[Errno 13] Permission denied: answered 500\n')
        self.assertNotIn('X-Frame-Options', head)


if __name__ == '__main__':
    unittest.main()
