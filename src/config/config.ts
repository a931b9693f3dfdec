// The resolved configuration the master runs with. It is produced from the option table
// (options.ts) by the readers (argv, UWSGI_* environment variables, and later ini/json/yaml),
// so every field here corresponds to one option of the table.

export interface Config {
  /** `--http ADDR` listeners speaking HTTP/1.1 (`:8000`, `127.0.0.1:8000`, `[::1]:8000`). */
  http: string[];
  /** `--wsgi-file FILE`: a Python file loaded as a module. */
  wsgiFile: string | undefined;
  /** `--module`/`-w`/`--wsgi`: `pkg.mod`, `pkg.mod:callable` or `pkg.mod:factory()`. */
  module: string | undefined;
  /** `--callable`: the name looked up in the module or file (default `application`). */
  callable: string;
  /** `--processes`/`-p`/`--workers`: number of Python worker processes (default 1). */
  processes: number;
  /** `--master`/`-M`. The Node process is always the master; this only sets uwsgi.masterpid(). */
  master: boolean;
  /** `--chdir DIR`: the master and the workers run in DIR. */
  chdir: string | undefined;
  /** `--home`/`-H`/`--virtualenv`/`--venv`/`--pyhome`: a virtualenv whose interpreter runs the workers. */
  home: string | undefined;
  /** `--pythonpath`/`--python-path`/`--pp`: directories (globs allowed) prepended to sys.path. */
  pythonpath: string[];
  /** `--env K=V`: environment variables set for the workers (and the master). */
  env: string[];
  /** `--buffer-size`/`-b`: the largest request head accepted, in bytes (default 4096). */
  bufferSize: number;
  /** `--disable-logging`/`-L`: no request log lines. */
  disableLogging: boolean;
  /** `--catch-exceptions`: show the traceback in the body of a 500. */
  catchExceptions: boolean;
  /** `--worker-reload-mercy`: seconds in-flight requests get to finish on shutdown (default 60). */
  workerReloadMercy: number;
  /** `--http-keepalive`: idle keep-alive timeout of HTTP connections, seconds (default 75). */
  httpKeepalive: number;
  /** `--forkbomb-delay`: seconds to wait before respawning when workers die in a loop (default 2). */
  forkbombDelay: number;
  /** Every option as given after resolution, by canonical name, for `uwsgi.opt` and `--show-config`. */
  options: Record<string, string | boolean | string[]>;
}

/** What the command line asked for besides running the server. */
export type Command =
  | { kind: 'serve'; config: Config }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string };
