"""Loading the app as uWSGI does (module, module:callable, module:factory(), wsgi_file), and failing
with exit status 22 and a clear message when that is not possible."""

import json
import os
import shutil
import tempfile
import unittest

from .fake_master import FakeMaster

WHO_AM_I = '''
import json

def application(environ, start_response):
    body = json.dumps({"name": __name__, "file": __file__, "tag": TAG}).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]

TAG = 'plain'
'''


class LoaderTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def serve(self, **app):
        """Starts a worker with these app settings, returns (READY payload, body of GET /)."""
        master = FakeMaster(app=app, cwd=self.dir)
        try:
            ready = master.start()
            response = master.request('/')
            self.assertEqual(response.terminal, 0x44, master.output())
            self.assertEqual(master.stop(), 0)
            return ready, json.loads(response.body)
        finally:
            master.kill()

    def fails(self, **app):
        """Starts a worker that must fail to load; returns its stderr."""
        master = FakeMaster(app=app, cwd=self.dir)
        try:
            with self.assertRaises(EOFError):
                master.start()
            self.assertEqual(master.wait(), 22)
            return master.output()
        finally:
            master.kill()


class LoadTest(LoaderTestCase):
    def test_module_with_the_default_callable(self):
        self.write('who.py', WHO_AM_I)
        ready, body = self.serve(module='who')
        self.assertEqual(ready['app'], "module 'who'")
        self.assertEqual(body['name'], 'who')

    def test_module_and_callable(self):
        self.write('pkg/__init__.py', '')
        self.write('pkg/who.py', WHO_AM_I + '\napp = application\nTAG = "pkg"\n')
        ready, body = self.serve(module='pkg.who:app')
        self.assertEqual((ready['app'], body['name'], body['tag']), ("module 'pkg.who:app'", 'pkg.who', 'pkg'))

    def test_callable_from_config(self):
        self.write('who.py', WHO_AM_I + '\napp = application\n')
        _, body = self.serve(module='who', callable='app')
        self.assertEqual(body['name'], 'who')

    def test_factory(self):
        self.write('factory.py', WHO_AM_I + '''
def create_app():
    global TAG
    TAG = 'made by the factory'
    return application
''')
        _, body = self.serve(module='factory:create_app()')
        self.assertEqual(body['tag'], 'made by the factory')

    def test_wsgi_file_named_like_uwsgi(self):
        self.write('sub/my-app.py', WHO_AM_I)
        ready, body = self.serve(wsgi_file='sub/my-app.py')
        self.assertEqual(ready['app'], "file 'sub/my-app.py'")
        self.assertEqual(body['name'], 'uwsgi_file_sub_my_app')
        self.assertEqual(body['file'], os.path.join(os.path.realpath(self.dir), 'sub', 'my-app.py'))

    def test_wsgi_file_with_the_wsgi_extension(self):
        self.write('site.wsgi', WHO_AM_I)
        _, body = self.serve(wsgi_file='site.wsgi', callable='application')
        self.assertEqual(body['name'], 'uwsgi_file_site_wsgi')

    def test_wsgi_file_by_absolute_path(self):
        path = self.write('abs.py', WHO_AM_I)
        _, body = self.serve(wsgi_file=path)
        self.assertEqual(body['file'], path)


class LoadFailureTest(LoaderTestCase):
    def assertTraceback(self, stderr, line):
        """The app's traceback, then the one-line explanation."""
        self.assertTrue(stderr.startswith('Traceback (most recent call last):'), stderr)
        self.assertTrue(stderr.endswith('\n' + line + '\n'), stderr)

    def test_module_not_found(self):
        stderr = self.fails(module='no_such_module:app')
        self.assertTraceback(stderr, "nuwsgi: failed to load WSGI app from module 'no_such_module:app': "
                                   "ModuleNotFoundError: No module named 'no_such_module'")

    def test_missing_callable(self):
        self.write('who.py', WHO_AM_I)
        stderr = self.fails(module='who:app')
        self.assertEqual(stderr, "nuwsgi: failed to load WSGI app from module 'who:app': module 'who' has "
                                 "no attribute 'app' (the WSGI callable; name another one with --callable "
                                 "or 'module:name')\n")

    def test_not_callable(self):
        self.write('who.py', 'application = 42\n')
        stderr = self.fails(module='who')
        self.assertEqual(stderr, "nuwsgi: failed to load WSGI app from module 'who': "
                                 "'application' in module 'who' is not callable (its type is int), so it cannot be "
                                 "the WSGI app\n")

    def test_factory_returning_something_else(self):
        self.write('who.py', 'def make():\n    return "app"\n')
        stderr = self.fails(module='who:make()')
        self.assertIn("'make()' in module 'who' is not callable (its type is str)", stderr)

    def test_syntax_error(self):
        self.write('broken.py', 'def application(environ, start_response)\n    pass\n')
        stderr = self.fails(wsgi_file='broken.py')
        self.assertIn("nuwsgi: failed to load WSGI app from file 'broken.py': SyntaxError: ", stderr)

    def test_exception_at_import(self):
        self.write('raises.py', 'import os\nos.environ["NO_SUCH_SETTING"]\n')
        stderr = self.fails(module='raises')
        self.assertTraceback(stderr, "nuwsgi: failed to load WSGI app from module 'raises': KeyError: 'NO_SUCH_SETTING'")
        self.assertIn('os.environ["NO_SUCH_SETTING"]', stderr)

    def test_system_exit_at_import(self):
        self.write('exits.py', 'import sys\nsys.exit(3)\n')
        stderr = self.fails(module='exits')
        self.assertIn("nuwsgi: failed to load WSGI app from module 'exits': SystemExit: 3", stderr)

    def test_file_not_found(self):
        stderr = self.fails(wsgi_file='missing.py')
        self.assertIn("nuwsgi: failed to load WSGI app from file 'missing.py': FileNotFoundError: ", stderr)

    def test_factory_that_raises(self):
        self.write('who.py', 'def make():\n    raise RuntimeError("no database")\n')
        stderr = self.fails(module='who:make()')
        self.assertTraceback(stderr, "nuwsgi: failed to load WSGI app from module 'who:make()': "
                                   "RuntimeError: no database")


if __name__ == '__main__':
    unittest.main()
