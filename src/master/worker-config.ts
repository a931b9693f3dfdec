// How a worker is started (its interpreter, environment and inherited descriptors), and the CONFIG
// frame it gets first (docs/channel.md): what it runs and how, from the resolved configuration, the
// concurrency mode and the sockets the master bound.
import type { Config } from '../config/config.ts';
import { answersForWorkers } from '../listeners/answers.ts';
import type { WorkerSocket } from '../listeners/worker-sockets.ts';
import { REQUEST_BODY_WINDOW, RESPONSE_WINDOW } from '../router/exchange.ts';
import type { StaticRules } from '../router/static/rules.ts';
import { logsRequests, logVars } from '../observe/request-log.ts';
import type { ConcurrencyMode } from './mode.ts';
import { workerArgs } from './python.ts';
import { applyEnv } from './startup-checks.ts';
import { FIRST_SOCKET_FD, type WorkerConfig, type WorkerProcess } from './worker.ts';

/** The sockets a worker serves: the uwsgi sockets it accepts on, and whether HTTP listeners send it requests. */
export interface WorkerSockets {
  uwsgi: readonly WorkerSocket[];
  http: boolean;
}

/** The process of a worker: `python`, the environment from `baseEnv` and --env, the uwsgi sockets (its stdout and stderr are piped to the master's log). */
export function workerProcess(config: Config, python: string, baseEnv: NodeJS.ProcessEnv, uwsgi: readonly WorkerSocket[]): WorkerProcess {
  return {
    python,
    args: workerArgs(),
    env: applyEnv({ ...baseEnv }, config.env),
    sockets: uwsgi.map((socket) => socket.fd),
  };
}

export function workerConfig(slot: number, config: Config, mode: ConcurrencyMode, sockets: WorkerSockets, statics: StaticRules): WorkerConfig {
  return {
    worker_id: slot,
    master_pid: config.master ? process.pid : 0,
    processes: config.processes,
    threads: mode.cores,
    mode: mode.kind,
    app: { wsgi_file: config.wsgiFile ?? null, module: config.module ?? null, callable: config.callable },
    mounts: config.mounts.map(({ mountpoint, app }) => [mountpoint, app]),
    manage_script_name: config.manageScriptName,
    chdir2: config.chdir2 ?? null,
    pythonpath: config.pythonpath,
    py_autoreload: config.pyAutoreload,
    catch_exceptions: config.catchExceptions,
    request_body_window: REQUEST_BODY_WINDOW,
    response_window: RESPONSE_WINDOW,
    channel_requests: sockets.http,
    uwsgi_sockets: sockets.uwsgi.map((socket, index) => ({ fd: FIRST_SOCKET_FD + index, label: socket.label })),
    uwsgi: {
      buffer_size: config.bufferSize,
      socket_timeout: config.socketTimeout,
      allow: config.uwsgiAllow.entries,
      trusted_proxies: config.trustedProxies.entries,
      limit_post: config.limitPost,
      post_buffering: config.postBuffering,
      harakiri: config.harakiri,
      log_requests: logsRequests(config),
      log_vars: logVars(config),
      log_x_forwarded_for: config.logXForwardedFor,
    },
    answers: answersForWorkers(),
    static_files: staticFilesForWorkers(statics),
    options: config.options,
  };
}

/** The static-file rules as CONFIG carries them (docs/channel.md): the master's, resolved once, in snake_case. */
function staticFilesForWorkers(rules: StaticRules): WorkerConfig['static_files'] {
  return {
    mounts: rules.mounts.map((m) => ({ prefix: m.prefix, root: m.root, file: m.file, keep_prefix: m.keepPrefix })),
    index: rules.index,
    skip_ext: rules.skipExt,
    safe: rules.safe,
    expires: rules.expires.map((e) => ({ subject: e.subject, pattern: e.pattern, seconds: e.seconds, from_mtime: e.fromMtime })),
    gzip: rules.gzip,
    mime_types: rules.mimeTypes,
    add_headers: rules.addHeaders,
    serve_mode: rules.serveMode,
  };
}
