"""The smallest useful WSGI application: standard library only.

Run it with:

    npx nuwsgi --http 127.0.0.1:8000 --wsgi-file examples/hello/app.py

GET /           a small HTML page that says hello and echoes the method and path
GET /plaintext  exactly 13 bytes, "Hello, World!" (handy for benchmarks)
"""
from html import escape

PLAINTEXT = b"Hello, World!"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from nuwsgi</title></head>
<body>
<h1>Hello, World!</h1>
<p>You sent <code>{method}</code> <code>{path}</code>.</p>
</body>
</html>
"""


def application(environ, start_response):
    path = environ.get("PATH_INFO", "") or "/"

    if path == "/plaintext":
        start_response("200 OK", [
            ("Content-Type", "text/plain"),
            ("Content-Length", str(len(PLAINTEXT))),
        ])
        return [PLAINTEXT]

    # Drain a request body, if any, so the connection stays usable.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        environ["wsgi.input"].read(length)

    # PATH_INFO is latin-1-decoded bytes (PEP 3333); show it as the client sent it.
    shown_path = path.encode("latin-1").decode("utf-8", "replace")
    query = environ.get("QUERY_STRING", "")
    if query:
        shown_path += "?" + query

    body = PAGE.format(
        method=escape(environ.get("REQUEST_METHOD", "GET")),
        path=escape(shown_path),
    ).encode("utf-8")
    start_response("200 OK", [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ])
    return [body]
