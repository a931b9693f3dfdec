"""WSGI config for the example project.

It exposes the WSGI callable as a module-level variable named ``application``:

    nuwsgi --http 127.0.0.1:8000 --chdir examples/django -w mysite.wsgi:application
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_wsgi_application()
