// The options of the stats server and the metrics: uWSGI's `stats` family (core/uwsgi.c), and
// `metrics`, nuwsgi's own, for Prometheus. Part of the option table (options.ts); src/master/stats/
// carries them out. Addresses are checked when they are bound, as the listeners' are.
import type { FlagSpec, OptionSpec, StringSpec } from './option-spec.ts';

function address(name: string, aliases: string[], help: string, example: string): StringSpec {
  return {
    name,
    aliases,
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'ADDR',
    help,
    expected: `an address: HOST:PORT, a unix socket path or @name, e.g. --${name} ${example}`,
  };
}

function flag(name: string, help: string): FlagSpec {
  return { name, aliases: [], kind: 'flag', arg: 'optional', default: false, help, expected: 'no value, or =false/off/no/0' };
}

export const STATS_OPTIONS = [
  {
    ...address('stats', ['stats-server'], "serve uWSGI's stats JSON on ADDR (uwsgitop, uwsgi_exporter and nuwsgi top read it)", '127.0.0.1:9191'),
    field: 'stats',
    restart: true,
  },
  {
    ...flag('stats-http', 'the stats server speaks HTTP (HTTP/1.0 200, application/json); /metrics there answers Prometheus'),
    field: 'statsHttp',
    restart: true,
  },
  { ...flag('stats-minified', 'write the stats JSON on one line instead of indented'), field: 'statsMinified' },
  { ...flag('stats-no-cores', "leave each worker's cores out of the stats JSON"), field: 'statsNoCores' },
  flag('memory-report', "accepted for uWSGI configs: the stats always carry each worker's rss and vsz, read from /proc"),
  {
    ...address('metrics', [], 'serve Prometheus metrics over HTTP on ADDR, at /metrics', '127.0.0.1:9117'),
    field: 'metrics',
    restart: true,
  },
] as const satisfies readonly OptionSpec[];
