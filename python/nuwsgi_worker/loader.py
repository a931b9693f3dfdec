"""Finding the WSGI callable the way uWSGI does: `module` (`pkg.mod`, `pkg.mod:name`,
`pkg.mod:factory()`) or `wsgi_file` (a .py or .wsgi file loaded as a module)."""

import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys


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
    default_name = app_config.get('callable') or 'application'
    spec = app_config.get('module')
    if spec:
        module_name, _, name = spec.partition(':')
        module_name = module_name.strip()
        module = importlib.import_module(module_name)
        where = 'module %r' % module_name
        name = name.strip() or default_name
    else:
        path = app_config.get('wsgi_file')
        if not path:
            raise AppLoadError('CONFIG names neither a module nor a wsgi_file')
        module = _load_file(path)
        where = 'file %r' % path
        name = default_name
    is_factory = name.endswith('()')
    if is_factory:
        name = name[:-2]
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
