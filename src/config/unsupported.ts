// uWSGI options that nuwsgi does not implement yet (docs/compat.md says what to use instead). In a
// configuration file, a key that names no option is a placeholder, as in uWSGI; these names are
// refused instead, so that `threads = 100` in an ini is never silently ignored. The option table is
// looked up first: when an option is added to it, remove its names here.
const NAMES = [
  // Concurrency inside a worker
  'thunder-lock', 'single-interpreter',
  // Listeners and routing
  'http11-socket', 'httprouter', 'route', 'route-if', 'route-run', 'route-uri', 'route-host',
  'final-route', 'error-route', 'response-route', 'del-header', 'collect-header',
  // TLS: sessions are resumed with tickets, not from a uWSGI cache; no SNI table, no keyval form
  'ssl-sessions-use-cache', 'sni', 'sni-dir', 'sni-regexp', 'https2',
  // Applications
  'need-app', 'no-default-app', 'dynamic-apps',
  'wsgi-disable-file-wrapper', 'wsgi-manage-chunked-input',
  // Process management
  'harakiri-queue-threshold', 'reload-mercy', 'safe-pidfile', 'procname-prefix', 'auto-procname', 'pause', 'suspend',
  'resume',
  // Logging and stats
  'logto2',
  // Configuration
  'xml', 'xmlconfig', 'config', 'set', 'declare-option', 'ini-paste', 'ini-paste-logged', 'for-glob', 'else',
  'if-reload', 'if-not-reload', 'if-hostname', 'if-not-hostname', 'if-hostname-match', 'if-not-hostname-match',
  'if-plugin', 'if-not-plugin', 'ifplugin',
];

const UNSUPPORTED = new Set(NAMES);

/** Whether `name` is a uWSGI option that nuwsgi does not implement yet. */
export function isUnsupportedUwsgiOption(name: string): boolean {
  return UNSUPPORTED.has(name);
}
