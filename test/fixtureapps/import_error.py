"""Fails to import: the server must refuse to start and show this traceback."""
from wsgiref.validate import validator

import nuwsgi_test_module_that_does_not_exist  # noqa: F401  (ModuleNotFoundError)


def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'unreachable']


application = validator(app)
