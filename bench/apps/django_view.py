"""A Django JSON view with the middleware of `django-admin startproject` that needs no database."""
from django.conf import settings
from django.http import JsonResponse
from django.urls import path


def index(request):
    return JsonResponse({'message': 'Hello, World!'})


class urls:
    """The URLconf: Django takes any object with `urlpatterns` for ROOT_URLCONF."""
    urlpatterns = [path('', index)]


settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=['*'],
    SECRET_KEY='bench-only-not-secret',
    ROOT_URLCONF=urls,
    INSTALLED_APPS=[],
    MIDDLEWARE=[
        'django.middleware.security.SecurityMiddleware',
        'django.middleware.common.CommonMiddleware',
        'django.middleware.clickjacking.XFrameOptionsMiddleware',
    ],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402  (needs the settings above)

application = get_wsgi_application()
