"""Settings for the example project: no database, no templates, one static file.

Everything a production settings module would read from the environment is read from it here
too, with defaults that suit running the example on localhost.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Set DJANGO_SECRET_KEY for anything but a local try-out (nuwsgi --env DJANGO_SECRET_KEY=...).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret-change-me")

DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = []

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

WSGI_APPLICATION = "mysite.wsgi.application"

# No database: the views below do not need one, so there is nothing to migrate.
DATABASES = {}

TEMPLATES = []

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Served by nginx, not by Django: the site `nuwsgi init` writes has a location for STATIC_URL.
# With django.contrib.staticfiles installed, `manage.py collectstatic` fills STATIC_ROOT.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
