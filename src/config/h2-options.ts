// The options of HTTP/2: whether it is offered on the TLS listeners (h2 by ALPN) and on the plain
// ones (h2c with prior knowledge), and its limits, the same for both.
// Part of the option table (options.ts). uWSGI has no HTTP/2, so every name here is nuwsgi's own;
// docs/compat.md ("HTTP/2") says what each limit defends. The largest header list is buffer-size,
// as for an HTTP/1.1 head.
import type { NumberSpec, OptionSpec } from './option-spec.ts';

/** A limit of a whole number (`unit` names it in --help), at least 1, that only a restart changes. */
function limit(name: string, fallback: number, unit: 'N' | 'SECONDS', help: string, example: number): NumberSpec {
  const what = unit === 'N' ? 'a whole number' : 'a whole number of seconds';
  return {
    name, restart: true, aliases: [], kind: 'int', arg: 'required', default: fallback, min: 1, placeholder: unit, help,
    expected: `${what}, e.g. --${name} ${example}`,
  };
}

export const H2_OPTIONS = [
  {
    name: 'http2',
    field: 'http2',
    restart: true,
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: true,
    help: 'offer HTTP/2 (h2 by ALPN) on the TLS listeners beside HTTP/1.1 (=off: HTTP/1.1 only)',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'http2-cleartext',
    field: 'http2Cleartext',
    restart: true,
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'also serve HTTP/2 with prior knowledge (h2c, no Upgrade) on the plain HTTP listeners, to clients whose first bytes are its preface',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    ...limit('http2-max-concurrent-streams', 100, 'N',
      'most requests (streams) one HTTP/2 connection may have open at once; more are refused', 250),
    field: 'http2MaxConcurrentStreams',
    max: 10000,
    expected: 'a whole number from 1 to 10000, e.g. --http2-max-concurrent-streams 250',
  },
  {
    ...limit('http2-idle-timeout', 75, 'SECONDS', 'an HTTP/2 connection without an open stream for this long is closed (GOAWAY)', 30),
    field: 'http2IdleTimeout',
  },
  {
    ...limit('http2-settings-timeout', 10, 'SECONDS',
      "seconds an HTTP/2 client gets to send its preface and acknowledge the server's SETTINGS", 5),
    field: 'http2SettingsTimeout',
  },
  {
    ...limit('http2-stream-timeout', 60, 'SECONDS',
      'an HTTP/2 stream whose client sends none of its body, or takes none of the response, for this long is reset', 30),
    field: 'http2StreamTimeout',
  },
  {
    ...limit('http2-max-resets', 100, 'N',
      'most streams an HTTP/2 client may reset in one second on one connection; past it the connection is closed (GOAWAY)', 200),
    field: 'http2MaxResets',
  },
] as const satisfies readonly OptionSpec[];
