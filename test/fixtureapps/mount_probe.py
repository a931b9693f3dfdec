"""Apps for the mount tests: each answers, as JSON, its name, the SCRIPT_NAME and PATH_INFO it got,
the working directory at request time and the one it was imported in.

`default`, `foo`, `foobis` and `footris` are there for module mounts (mount_probe:foo); a file
mount of this file finds `application`.
"""
import json
import os
from wsgiref.validate import validator

IMPORTED_IN = os.getcwd()


def _named(name):
    def app(environ, start_response):
        body = json.dumps({
            'app': name,
            'script_name': environ['SCRIPT_NAME'],
            'path_info': environ['PATH_INFO'],
            'cwd': os.getcwd(),
            'imported_in': IMPORTED_IN,
        }).encode('utf-8')
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    return validator(app)


default = _named('default')
foo = _named('foo')
foobis = _named('foobis')
footris = _named('footris')
application = _named('application')
