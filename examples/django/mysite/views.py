"""Two views: a plain HTML page and a JSON one. Neither touches a database."""
import platform
from html import escape

import django
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def index(request):
    body = (
        "<!doctype html>\n"
        '<html lang="en">\n'
        '<head><meta charset="utf-8"><title>Django on nuwsgi</title></head>\n'
        "<body>\n"
        "<h1>Hello from Django</h1>\n"
        f"<p>You sent <code>{escape(request.method)}</code> <code>{escape(request.path)}</code>.</p>\n"
        '<p><a href="/api/info">/api/info</a> (JSON)</p>\n'
        "</body>\n"
        "</html>\n"
    )
    return HttpResponse(body, content_type="text/html; charset=utf-8")


@require_safe
def info(request):
    return JsonResponse({
        "framework": "django",
        "django": django.get_version(),
        "python": platform.python_version(),
        "method": request.method,
        "path": request.path,
        "host": request.get_host(),
        "script_name": request.META.get("SCRIPT_NAME", ""),
        "multithread": request.META.get("wsgi.multithread"),
        "multiprocess": request.META.get("wsgi.multiprocess"),
    })
