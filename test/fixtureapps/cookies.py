"""Several Set-Cookie headers (and another repeated header) whose order must be kept."""
from wsgiref.validate import validator

HEADERS = [
    ('Content-Type', 'text/plain'),
    ('Set-Cookie', 'a=1; Path=/'),
    ('X-Multi', 'one'),
    ('Set-Cookie', 'b=2; HttpOnly'),
    ('Set-Cookie', 'c=3; Max-Age=60; SameSite=Lax'),
    ('X-Multi', 'two'),
]


def app(environ, start_response):
    start_response('200 OK', list(HEADERS))
    return [b'cookies']


application = validator(app)
