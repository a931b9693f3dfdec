"""A test case base class whose tests share one worker running test/fixtureapps/worker_probe.py."""

import json
import unittest

from .fake_master import RESPONSE_END, FakeMaster


class ProbeTestCase(unittest.TestCase):
    # CONFIG entries to change for the worker of this class.
    config = {}

    @classmethod
    def setUpClass(cls):
        cls.master = FakeMaster(app={'module': 'worker_probe'}, config=cls.config)
        try:
            cls.ready = cls.master.start()
        except BaseException:
            print(cls.master.output())
            cls.master.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.master.proc.poll() is None:
                status = cls.master.stop()
                assert status == 0, 'worker exit status %r\n%s' % (status, cls.master.output())
        finally:
            cls.master.kill()

    def setUp(self):
        self.events()

    def request(self, path, **kwargs):
        return self.master.request(path, **kwargs)

    def events(self):
        """What the probe app recorded since the last call (result close() calls and the like)."""
        return json.loads(self.request('/events').body)

    def assertComplete(self, response, status='200 OK'):
        self.assertEqual(response.status, status, response)
        self.assertEqual(response.terminal, RESPONSE_END, response)

    def stderr_since(self, mark):
        return self.master.output()[mark:]
