"""Answers with the VERSION of the module `app_version`, which test/py-autoreload.test.ts writes
next to a copy of this file and then rewrites while the server runs."""
import app_version


def application(environ, start_response):
    body = app_version.VERSION.encode('ascii')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
