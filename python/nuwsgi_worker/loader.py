"""Finding the WSGI callable the way uWSGI does: `module` (`pkg.mod`, `pkg.mod:name`,
`pkg.mod:factory()`) or `wsgi_file` (a .py or .wsgi file loaded as a module), and uWSGI's
multi-app `uwsgi.applications` for a module that defines no callable."""

import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys

from . import uwsgi_module


class AppLoadError(Exception):
    """The app was imported but does not provide a usable callable. The message says it all: no
    traceback is needed."""


def describe(app_config):
    """How the app is named in messages: "module 'wsgi:app'" or "file 'app.py'"."""
    if app_config.get('module'):
        return 'module %r' % app_config['module']
    return 'file %r' % app_config.get('wsgi_file')


def mount_config(app, default_callable):
    """The app config of a mount's APP: a .py or .wsgi file, or else a module spec, as uWSGI decides."""
    if app.endswith(('.py', '.wsgi')):
        return {'wsgi_file': app, 'callable': default_callable}
    return {'module': app, 'callable': default_callable}


def load_app(app_config):
    """Imports the app and returns its callable. Any exception from the app's own code propagates."""
    module, where, name = _import(app_config)
    return _find_callable(module, where, name)


def load_default_app(app_config):
    """Like load_app, for the app of module/wsgi-file, which may instead be uWSGI's multi-app: a
    module without the callable that sets `uwsgi.applications = {mountpoint: app}` (an app is a
    callable or the name of one in the module). Returns (callable, None), or for a multi-app
    (None, its (mountpoint, callable) pairs)."""
    module, where, name = _import(app_config)
    applications = getattr(uwsgi_module, 'applications', None)
    if not hasattr(module, _bare_name(name)) and isinstance(applications, dict) and applications:
        return None, [_application(module, where, mountpoint, app) for mountpoint, app in applications.items()]
    return _find_callable(module, where, name), None


def _import(app_config):
    """Imports the module or file: (module, how messages name it, the callable's name as given)."""
    default_name = app_config.get('callable') or 'application'
    spec = app_config.get('module')
    if spec:
        module_name, _, name = spec.partition(':')
        module_name = module_name.strip()
        module = importlib.import_module(module_name)
        return module, 'module %r' % module_name, name.strip() or default_name
    path = app_config.get('wsgi_file')
    if not path:
        raise AppLoadError('CONFIG names neither a module nor a wsgi_file')
    return _load_file(path), 'file %r' % path, default_name


def _bare_name(name):
    """The attribute a callable name refers to: `create_app()` names the factory `create_app`."""
    return name[:-2] if name.endswith('()') else name


def _find_callable(module, where, name):
    is_factory = name.endswith('()')
    name = _bare_name(name)
    try:
        app = getattr(module, name)
    except AttributeError:
        raise AppLoadError(
            "%s has no attribute %r (the WSGI callable; name another one with --callable or 'module:name')"
            % (where, name)) from None
    if is_factory:
        app = app()
    if not callable(app):
        raise AppLoadError('%r in %s is not callable (its type is %s), so it cannot be the WSGI app' % (
            name + '()' if is_factory else name, where, type(app).__name__))
    return app


def _application(module, where, mountpoint, app):
    """One entry of uwsgi.applications as (mountpoint, callable). Keys may be bytes, as in uWSGI's
    own examples; mountpoints are compared with SCRIPT_NAME, a latin-1 str in the environ."""
    if isinstance(mountpoint, bytes):
        mountpoint = mountpoint.decode('latin-1')
    if not isinstance(mountpoint, str):
        raise AppLoadError('uwsgi.applications in %s has the key %r: mountpoints are str or bytes' % (where, mountpoint))
    if isinstance(app, bytes):
        app = app.decode('utf-8')
    if isinstance(app, str):
        try:
            app = getattr(module, app)
        except AttributeError:
            raise AppLoadError('uwsgi.applications[%r] names %r, which %s does not have' % (
                mountpoint, app, where)) from None
    if not callable(app):
        raise AppLoadError('uwsgi.applications[%r] in %s is not callable (its type is %s)' % (
            mountpoint, where, type(app).__name__))
    return mountpoint, app


def _load_file(path):
    """Runs a Python file (any extension, so .wsgi works) as a module named like uWSGI names it."""
    base = path[:-3] if path.endswith('.py') else path
    module_name = 'uwsgi_file_' + re.sub(r'[^0-9A-Za-z]', '_', base)
    full_path = os.path.abspath(path)
    loader = importlib.machinery.SourceFileLoader(module_name, full_path)
    spec = importlib.util.spec_from_file_location(module_name, full_path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
