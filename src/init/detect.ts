// What `nuwsgi init` finds in a project directory, by reading its files (nothing is imported, so
// it works before the app's dependencies are installed): a Django project (manage.py naming its
// settings module, the settings' wsgi application and static files), a `wsgi.py` entry file (the
// classic layout: `from manage import app`), or a module that makes a Flask app or has an app
// factory (`create_app`). The app's static folder comes along: Flask's `static/` next to the
// module that makes the app (or its `static_folder=`), Django's STATIC_ROOT at STATIC_URL.
import fs from 'node:fs';
import path from 'node:path';

/** A folder of static files and the URL prefix it is served at: `/static` -> `/srv/app/static`. */
export interface StaticFolder {
  url: string;
  dir: string;
}

export interface DetectedApp {
  /** What was found, for the summary: `Django project mysite`, `Flask app in wsgi.py`. */
  description: string;
  /** The ini's `module`: `wsgi:app`, `mysite.wsgi:application`, `app:create_app()`. */
  module: string;
  /** Variables the app needs (DJANGO_SETTINGS_MODULE=...), as the ini's `env` lines. */
  env: string[];
  statics: StaticFolder[];
  framework: 'django' | 'flask' | 'wsgi';
}

/** The app in `dir`, or an Error saying what was looked for. */
export function detectApp(dir: string): DetectedApp | Error {
  const django = detectDjango(dir);
  if (django !== undefined) return django;
  const entry = path.join(dir, 'wsgi.py');
  if (fs.existsSync(entry)) return detectWsgiFile(dir, entry);
  const flask = detectFlask(dir);
  if (flask !== undefined) return flask;
  return new Error(`found no app in ${dir}: no Django manage.py, no wsgi.py and no module that makes a Flask app ` +
    `(Flask(...) or def create_app): name it with --module MODULE:CALLABLE`);
}

/** The text of `file`, or '' when it cannot be read. */
export function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** `mysite.settings` -> `DIR/mysite/settings.py`. */
function moduleFile(dir: string, module: string): string {
  return path.join(dir, ...module.split('.')) + '.py';
}

function detectDjango(dir: string): DetectedApp | undefined {
  const manage = read(path.join(dir, 'manage.py'));
  const settingsModule = /DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]/.exec(manage)?.[1];
  if (settingsModule === undefined) return undefined;
  const settings = read(moduleFile(dir, settingsModule));
  // WSGI_APPLICATION = "mysite.wsgi.application"; without it, startproject's mysite/wsgi.py
  const wsgiApplication = /^WSGI_APPLICATION\s*=\s*['"]([\w.]+)['"]/m.exec(settings)?.[1]
    ?? `${settingsModule.split('.').slice(0, -1).join('.') || settingsModule}.wsgi.application`;
  const dot = wsgiApplication.lastIndexOf('.');
  const module = `${wsgiApplication.slice(0, dot)}:${wsgiApplication.slice(dot + 1)}`;
  return {
    description: `Django project (settings: ${settingsModule})`,
    module,
    env: [`DJANGO_SETTINGS_MODULE=${settingsModule}`],
    statics: djangoStatics(dir, settings),
    framework: 'django',
  };
}

/**
 * STATIC_ROOT (where collectstatic puts the files) at STATIC_URL, when the settings name a folder
 * this can read: `BASE_DIR / "static"`, `os.path.join(BASE_DIR, "static")` or an absolute path.
 */
function djangoStatics(dir: string, settings: string): StaticFolder[] {
  const url = /^STATIC_URL\s*=\s*['"]([^'"]+)['"]/m.exec(settings)?.[1];
  const root = /^STATIC_ROOT\s*=\s*(.+)$/m.exec(settings)?.[1]?.trim();
  if (url === undefined || root === undefined || /^(https?:)?\/\//.test(url)) return [];
  const folder = /^BASE_DIR\s*\/\s*['"]([^'"]+)['"]/.exec(root)?.[1]
    ?? /^os\.path\.join\(\s*BASE_DIR\s*,\s*['"]([^'"]+)['"]\s*\)/.exec(root)?.[1];
  const absolute = /^['"](\/[^'"]+)['"]$/.exec(root)?.[1];
  const staticDir = absolute ?? (folder === undefined ? undefined : path.join(dir, folder));
  if (staticDir === undefined) return [];
  return [{ url: urlPrefix(url), dir: staticDir }];
}

/** `static/` or `/static/` -> `/static`. */
function urlPrefix(url: string): string {
  return `/${url.replace(/^\/+|\/+$/g, '')}`;
}

/** The callable wsgi.py exposes, and the static folder of the Flask app it imports, if any. */
function detectWsgiFile(dir: string, entry: string): DetectedApp {
  const source = read(entry);
  const names = [...source.matchAll(/^(?:(\w+)\s*=|from\s+[\w.]+\s+import\s+(.+)$)/gm)]
    .flatMap((m) => m[1] !== undefined ? [m[1]] : m[2]!.split(',').map((name) => name.trim().split(/\s+as\s+/).pop()!));
  const callable = ['application', 'app'].find((name) => names.includes(name)) ?? 'application';
  const flask = detectFlask(dir);
  const imported = [...source.matchAll(/^from\s+([\w.]+)\s+import\s/gm)].map((m) => m[1]);
  // the Flask app wsgi.py makes, or imports from the module that makes it
  const fromFlask = flask !== undefined && (/\bFlask\(/.test(source) || imported.includes(flask.module.split(':')[0]));
  return {
    description: `${fromFlask ? 'Flask app' : 'WSGI app'} in wsgi.py (${callable})`,
    module: `wsgi:${callable}`,
    env: [],
    statics: fromFlask ? flask.statics : [],
    framework: fromFlask ? 'flask' : 'wsgi',
  };
}

/** The Python files a Flask app may be made in: the top level, and each package's __init__.py and app.py. */
function candidateModules(dir: string): Array<{ module: string; file: string }> {
  const found: Array<{ module: string; file: string }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && entry.name.endsWith('.py') && /^\w+\.py$/.test(entry.name)) {
      found.push({ module: entry.name.slice(0, -3), file: path.join(dir, entry.name) });
    } else if (entry.isDirectory() && /^\w+$/.test(entry.name) && !/^(venv|env|node_modules|tests?)$/.test(entry.name)) {
      for (const name of ['__init__.py', 'app.py']) {
        const file = path.join(dir, entry.name, name);
        if (fs.existsSync(file)) found.push({ module: name === '__init__.py' ? entry.name : `${entry.name}.app`, file });
      }
    }
  }
  return found;
}

/** The first module that makes a Flask app (`app = Flask(...)`), else the first with `def create_app(`. */
function detectFlask(dir: string): DetectedApp | undefined {
  const modules = candidateModules(dir).map((candidate) => ({ ...candidate, source: read(candidate.file) }));
  for (const { module, file, source } of modules) {
    const made = /^(\w+)\s*=\s*Flask\(([^)]*)\)/m.exec(source);
    if (made === null) continue;
    return {
      description: `Flask app in ${path.relative(dir, file)} (${made[1]})`,
      module: `${module}:${made[1]}`,
      env: [],
      statics: flaskStatics(path.dirname(file), made[2]!),
      framework: 'flask',
    };
  }
  for (const { module, file, source } of modules) {
    if (!/^def create_app\(/m.test(source)) continue;
    const made = /Flask\(([^)]*)\)/.exec(source);
    return {
      description: `Flask app factory in ${path.relative(dir, file)} (create_app)`,
      module: `${module}:create_app()`,
      env: [],
      statics: flaskStatics(path.dirname(file), made?.[1] ?? ''),
      framework: 'flask',
    };
  }
  return undefined;
}

/** Flask's static folder: `static_folder=` and `static_url_path=` of the Flask(...) call, else `static` at `/static`. */
function flaskStatics(moduleDir: string, args: string): StaticFolder[] {
  const folder = /static_folder\s*=\s*['"]([^'"]+)['"]/.exec(args)?.[1] ?? 'static';
  const url = /static_url_path\s*=\s*['"]([^'"]*)['"]/.exec(args)?.[1] ?? `/${path.basename(folder)}`;
  const dir = path.resolve(moduleDir, folder);
  if (/static_folder\s*=\s*None/.test(args) || !fs.existsSync(dir)) return [];
  return [{ url: urlPrefix(url), dir }];
}
