"""A small Flask application, laid out like the classic nginx + uWSGI tutorial:
`manage.py` defines `app`, and `wsgi.py` imports it for the server.

Routes:
    GET  /          an HTML page (its stylesheet is static/style.css)
    GET  /api/info  JSON about the request and the versions in use
    GET  /echo      a form that posts to /echo
    POST /echo      echoes a form or a JSON body back as JSON
"""
import platform
from importlib import metadata

from flask import Flask, jsonify, render_template_string, request

app = Flask(__name__)


def flask_version():
    try:
        return metadata.version("flask")
    except metadata.PackageNotFoundError:
        return "unknown"


INDEX = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Flask on nuwsgi</title>
<link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}"></head>
<body>
<h1>Hello from Flask</h1>
<p>You sent <code>{{ method }}</code> <code>{{ path }}</code>.</p>
<ul>
  <li><a href="{{ url_for('info') }}">/api/info</a> (JSON)</li>
  <li><a href="{{ url_for('echo') }}">/echo</a> (a form that posts back)</li>
</ul>
</body>
</html>
"""

FORM = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Echo</title></head>
<body>
<form method="post" action="{{ url_for('echo') }}">
  <label>name <input name="name" value="world"></label>
  <button>send</button>
</form>
</body>
</html>
"""


@app.route("/")
def index():
    return render_template_string(INDEX, method=request.method, path=request.path)


@app.route("/api/info")
def info():
    return jsonify(
        framework="flask",
        flask=flask_version(),
        python=platform.python_version(),
        method=request.method,
        path=request.path,
        args=request.args.to_dict(),
        multithread=request.environ.get("wsgi.multithread"),
        multiprocess=request.environ.get("wsgi.multiprocess"),
    )


@app.route("/echo", methods=["GET", "POST"])
def echo():
    if request.method == "GET":
        return render_template_string(FORM)
    if request.is_json:
        data = request.get_json()
        kind = "json"
    else:
        data = request.form.to_dict()
        kind = "form"
    return jsonify(received=kind, data=data, content_length=request.content_length)


if __name__ == "__main__":
    app.run()
