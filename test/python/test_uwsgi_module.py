"""The `uwsgi` module (python/nuwsgi_worker/uwsgi_module.py): its values from CONFIG, the functions
that signal the master, what it refuses, and, in a real worker, the hooks (post_fork_hook, atexit),
uwsgi.applications and total_requests()."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

from .fake_master import FakeMaster, RESPONSE_END, make_environ
from nuwsgi_worker import uwsgi_module

CONFIG = {
    'worker_id': 2,
    'master_pid': 4242,
    'processes': 3,
    'threads': 4,
    'options': {
        'master': True,
        'lazy-apps': False,
        'processes': '3',
        'buffer-size': '32768',
        'env': ['A=1', 'B=2'],
        'pythonpath': ['/srv/lib'],
        'chdir': '/srv/caf\u00e9',
    },
}


class InstalledModuleTest(unittest.TestCase):
    """The module as _install() leaves it, in this process."""

    def setUp(self):
        self.addCleanup(sys.modules.pop, 'uwsgi', None)
        uwsgi_module._install(dict(CONFIG))
        import uwsgi
        self.uwsgi = uwsgi

    def test_import_uwsgi_is_this_module(self):
        self.assertIs(self.uwsgi, uwsgi_module)

    def test_opt_as_uwsgi_shows_it_on_python_3(self):
        self.assertEqual(self.uwsgi.opt, {
            'master': True,
            'lazy-apps': False,
            'processes': b'3',
            'buffer-size': b'32768',
            # uWSGI 2.0 on Python 3 keeps the last value of a repeated option.
            'env': b'B=2',
            'pythonpath': b'/srv/lib',
            'chdir': '/srv/caf\u00e9'.encode('utf-8'),
        })

    def test_values_from_config(self):
        uwsgi = self.uwsgi
        self.assertEqual((uwsgi.worker_id(), uwsgi.masterpid(), uwsgi.numproc, uwsgi.cores, uwsgi.buffer_size),
                         (2, 4242, 3, 4, 32768))
        self.assertEqual(uwsgi.has_threads, 1)
        self.assertIs(uwsgi.is_a_reload, False)
        self.assertEqual(uwsgi.magic_table, {})
        self.assertIsInstance(uwsgi.started_on, int)
        self.assertIsInstance(uwsgi.hostname, bytes)
        self.assertEqual((uwsgi.SPOOL_OK, uwsgi.SPOOL_RETRY, uwsgi.SPOOL_IGNORE), (-2, -1, 0))

    def test_version_says_it_is_nuwsgi(self):
        self.assertEqual(self.uwsgi.version, b'2.0.21-nuwsgi')
        self.assertEqual(self.uwsgi.version_info, (2, 0, 21, 0, b'nuwsgi'))

    def test_buffer_size_defaults_to_4096(self):
        uwsgi_module._install({'worker_id': 1, 'options': {}})
        self.assertEqual(self.uwsgi.buffer_size, 4096)

    def test_workers_and_total_requests_before_serving(self):
        self.assertEqual(self.uwsgi.total_requests(), 0)
        self.assertEqual(self.uwsgi.workers(), ({
            'id': 2, 'pid': os.getpid(), 'requests': 0, 'last_spawn': self.uwsgi.started_on,
        },))

    def test_unsupported_functions_name_themselves(self):
        for name, subsystem in (('cache_get', 'caching'), ('spool', 'spooler'), ('mule_msg', 'mules'),
                                ('register_signal', 'signal framework'), ('add_timer', 'signal framework'),
                                ('signal', 'signal framework'), ('websocket_handshake', 'websockets'),
                                ('request_id', "uWSGI's API")):
            with self.subTest(name=name):
                self.assertFalse(hasattr(self.uwsgi, name))
                with self.assertRaises(AttributeError) as caught:
                    getattr(self.uwsgi, name)
                self.assertIn('uwsgi.%s is not supported by nuwsgi' % name, str(caught.exception))
                self.assertIn(subsystem, str(caught.exception))

    def test_other_missing_names_are_plain_attribute_errors(self):
        with self.assertRaises(AttributeError) as caught:
            self.uwsgi.post_fork_hook
        self.assertEqual(str(caught.exception), "module 'uwsgi' has no attribute 'post_fork_hook'")

    def test_lock_excludes_the_worker_threads(self):
        uwsgi = self.uwsgi
        self.assertFalse(uwsgi.i_am_the_spooler())
        uwsgi.lock()
        taken = threading.Event()

        def other():
            uwsgi.lock()
            taken.set()
            uwsgi.unlock()
        thread = threading.Thread(target=other)
        thread.start()
        self.assertFalse(taken.wait(0.2))
        uwsgi.unlock()
        self.assertTrue(taken.wait(5))
        thread.join()
        with self.assertRaisesRegex(ValueError, 'Invalid lock number'):
            uwsgi.lock(1)

    def test_log_writes_one_line(self):
        stderr = sys.stderr
        self.addCleanup(setattr, sys, 'stderr', stderr)
        with tempfile.TemporaryFile('w+') as f:
            sys.stderr = f
            self.assertIs(self.uwsgi.log('hello from the app'), True)
            sys.stderr = stderr
            f.seek(0)
            self.assertEqual(f.read(), 'hello from the app\n')


class SignalsTest(unittest.TestCase):
    """reload() and stop() signal the master: here a `sleep` stands in for it."""

    def signal_from(self, function):
        stand_in = subprocess.Popen(['sleep', '30'])
        self.addCleanup(stand_in.wait)
        self.addCleanup(stand_in.kill)
        self.addCleanup(sys.modules.pop, 'uwsgi', None)
        uwsgi_module._install({'worker_id': 1, 'master_pid': stand_in.pid, 'options': {}})
        self.assertIs(getattr(uwsgi_module, function)(), True)
        return -stand_in.wait(5)

    def test_reload_sends_sighup(self):
        self.assertEqual(self.signal_from('reload'), signal.SIGHUP)

    def test_stop_sends_sigquit(self):
        self.assertEqual(self.signal_from('stop'), signal.SIGQUIT)


PROBE = '''
import json, os
import uwsgi

IMPORTED_PID = os.getpid()
CALLS = []


def postfork():
    CALLS.append('postfork in worker %d' % uwsgi.worker_id())


def goodbye():
    with open(os.environ['ATEXIT_FILE'], 'w') as f:
        f.write('atexit in worker %d after %d requests' % (uwsgi.worker_id(), uwsgi.total_requests()))


uwsgi.post_fork_hook = postfork
uwsgi.atexit = goodbye


def application(environ, start_response):
    body = json.dumps({
        'calls': CALLS,
        'total_requests': uwsgi.total_requests(),
        'workers': [dict(w) for w in uwsgi.workers()],
        'opt': {k: v.decode() if isinstance(v, bytes) else v for k, v in uwsgi.opt.items()},
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
'''

MULTI_APP = '''
import uwsgi


def app1(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'app1 ' + environ['SCRIPT_NAME'].encode()]


def app2(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'app2 ' + environ['SCRIPT_NAME'].encode()]


uwsgi.applications = APPLICATIONS
'''


class WorkerTest(unittest.TestCase):
    """The module in a real worker process, driven by the fake master."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), 'w') as f:
            f.write(text)

    def master(self, module, **config):
        env = dict(os.environ, ATEXIT_FILE=os.path.join(self.dir, 'atexit.txt'))
        master = FakeMaster(app={'module': module}, config=config, cwd=self.dir, env=env)
        self.addCleanup(master.kill)
        return master

    def get(self, master, path='/', **environ):
        response = master.read_response(master.send_request(make_environ(path, **environ)))
        self.assertEqual(response.terminal, RESPONSE_END, master.output())
        return response

    def test_hooks_and_counters(self):
        self.write('probe.py', PROBE)
        master = self.master('probe', worker_id=3, options={'env': ['A=1', 'B=2'], 'master': True})
        master.start()
        first = json.loads(self.get(master).body)
        self.assertEqual(first['calls'], ['postfork in worker 3'])
        self.assertEqual(first['opt'], {'env': 'B=2', 'master': True})
        self.assertEqual(first['total_requests'], 0)
        self.get(master)
        third = json.loads(self.get(master).body)
        self.assertEqual(third['calls'], ['postfork in worker 3'])
        self.assertEqual(third['total_requests'], 2)
        self.assertEqual([(w['id'], w['requests']) for w in third['workers']], [(3, 2)])
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'atexit.txt')))
        self.assertEqual(master.stop(), 0)
        with open(os.path.join(self.dir, 'atexit.txt')) as f:
            self.assertEqual(f.read(), 'atexit in worker 3 after 3 requests')

    def test_total_requests_with_threads(self):
        self.write('probe.py', PROBE)
        master = self.master('probe', threads=4)
        master.start()
        ids = [master.send_request(make_environ('/')) for _ in range(8)]
        master.read_responses(ids)
        self.assertEqual(json.loads(self.get(master).body)['total_requests'], 8)

    def test_a_failing_hook_is_logged_and_the_worker_serves(self):
        self.write('failing.py', PROBE + '\ndef postfork():\n    raise RuntimeError("no database")\n\n'
                                          'uwsgi.post_fork_hook = postfork\n')
        master = self.master('failing')
        master.start()
        self.assertEqual(json.loads(self.get(master).body)['calls'], [])
        self.assertIn('nuwsgi: uwsgi.post_fork_hook raised:', master.output())
        self.assertIn('RuntimeError: no database', master.output())

    def test_applications_when_the_module_has_no_callable(self):
        self.write('multi.py', MULTI_APP.replace('APPLICATIONS', "{b'': app1, '/test': 'app2'}"))
        master = self.master('multi')
        ready = master.start()
        self.assertEqual(ready['app'], "module 'multi' (uwsgi.applications: '', '/test')")
        self.assertEqual(self.get(master).body, b'app1 ')
        self.assertEqual(self.get(master, SCRIPT_NAME='/test').body, b'app2 /test')
        self.assertEqual(self.get(master, SCRIPT_NAME='/other').body, b'app1 /other')

    def test_applications_with_manage_script_name_and_no_default(self):
        self.write('multi.py', MULTI_APP.replace('APPLICATIONS', "{b'/test': app2}"))
        master = self.master('multi', manage_script_name=True)
        master.start()
        self.assertEqual(self.get(master, '/test/x').body, b'app2 /test')
        response = master.read_response(master.send_request(make_environ('/elsewhere')))
        self.assertEqual(response.status, '500 Internal Server Error')

    def test_the_callable_wins_over_applications(self):
        self.write('both.py', MULTI_APP.replace('APPLICATIONS', "{b'/test': app2}") + '\napplication = app1\n')
        master = self.master('both')
        self.assertEqual(master.start()['app'], "module 'both'")
        self.assertEqual(self.get(master, SCRIPT_NAME='/test').body, b'app1 /test')

    def test_applications_naming_a_missing_callable(self):
        self.write('multi.py', MULTI_APP.replace('APPLICATIONS', "{'': 'app3'}"))
        master = self.master('multi')
        with self.assertRaises(EOFError):
            master.start()
        self.assertEqual(master.wait(), 22)
        self.assertIn("uwsgi.applications[''] names 'app3', which module 'multi' does not have", master.output())


if __name__ == '__main__':
    unittest.main()
