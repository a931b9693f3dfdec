// The options of the listeners: the addresses served and what is spoken there, the backlog, the
// unix socket files (mode, owner, removal), the uwsgi sockets' timeout and who may talk to them,
// and the proxies believed. Part of the option table (options.ts). Names and defaults follow
// uWSGI 2.0 (core/uwsgi.c, plugins/http/http.c).
import { AddressList, addressEntryProblem } from './address-list.ts';
import type { Config } from './config.ts';
import type { OptionSpec } from './option-spec.ts';

/** protocol: the table's pattern lets only uwsgi and http through, and the default is uwsgi. */
function socketProtocol(name: string | undefined): Config['protocol'] {
  return name === 'http' ? 'http' : 'uwsgi';
}

/** chmod-socket: three octal digits, or uWSGI's `1` for 666 (a bare --chmod-socket reads as 666). */
function socketMode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return text === '1' ? 0o666 : parseInt(text, 8);
}

export const LISTENER_OPTIONS = [
  {
    name: 'http',
    field: 'http',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: 'add an HTTP/1.1 listener on ADDR (repeatable)',
    expected: 'an address such as :8000, 127.0.0.1:8000 or [::1]:8000, e.g. --http 127.0.0.1:8000',
  },
  {
    name: 'socket',
    field: 'socket',
    aliases: [],
    short: 's',
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: 'add a listener speaking --protocol (uwsgi unless told otherwise) on ADDR (repeatable)',
    expected: 'HOST:PORT, :PORT, a unix socket path or @abstract-name, e.g. --socket /run/app.sock',
  },
  {
    name: 'uwsgi-socket',
    field: 'uwsgiSocket',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: "add a listener speaking the uwsgi protocol (nginx's uwsgi_pass) on ADDR (repeatable)",
    expected: 'HOST:PORT, :PORT, a unix socket path or @abstract-name, e.g. --uwsgi-socket 127.0.0.1:3031',
  },
  {
    name: 'http-socket',
    field: 'httpSocket',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: 'add an HTTP/1.1 listener on ADDR, which may be a unix socket (repeatable)',
    expected: 'HOST:PORT, :PORT, a unix socket path or @abstract-name, e.g. --http-socket /run/app.sock',
  },
  {
    name: 'protocol',
    field: 'protocol',
    aliases: ['socket-protocol'],
    kind: 'string',
    arg: 'required',
    default: 'uwsgi',
    pattern: /^(?:uwsgi|http)$/,
    convert: socketProtocol,
    placeholder: 'NAME',
    help: 'what --socket listeners speak: uwsgi or http',
    expected: 'uwsgi or http, e.g. --protocol=http',
  },
  {
    // uWSGI refuses a backlog above net.core.somaxconn at startup; so does nuwsgi (arbiter.ts).
    name: 'listen',
    field: 'listen',
    aliases: [],
    short: 'l',
    kind: 'int',
    arg: 'required',
    default: 100,
    min: 1,
    placeholder: 'N',
    help: 'listen queue (backlog) of every listener, at most net.core.somaxconn',
    expected: 'a whole number, e.g. --listen 1024',
  },
  {
    name: 'chmod-socket',
    field: 'chmodSocket',
    aliases: ['chmod'],
    short: 'C',
    kind: 'string',
    arg: 'optional',
    bare: '666',
    default: undefined,
    pattern: /^(?:[0-7]{3}|1)$/,
    convert: socketMode,
    placeholder: 'MODE',
    help: 'set the permissions of unix socket files (no value, or 1: 666)',
    expected: 'three octal digits, attached with =, e.g. --chmod-socket=660',
  },
  {
    name: 'chown-socket',
    field: 'chownSocket',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    pattern: /^[^:]+(?::[^:]+)?$/,
    placeholder: 'USER[:GROUP]',
    help: 'set the owner (and group) of unix socket files',
    expected: 'a user, optionally with :group, as names or numbers, e.g. --chown-socket www-data:www-data',
  },
  {
    name: 'vacuum',
    field: 'vacuum',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'remove the unix socket files on exit (unless another server replaced them)',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'socket-timeout',
    field: 'socketTimeout',
    aliases: [],
    short: 'z',
    kind: 'int',
    arg: 'required',
    default: 4,
    min: 1,
    placeholder: 'SECONDS',
    help: 'seconds a uwsgi connection gets to send its request head, and to send more of its body',
    expected: 'a whole number of seconds, e.g. --socket-timeout 10',
  },
  {
    name: 'uwsgi-allow',
    field: 'uwsgiAllow',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: ['127.0.0.0/8', '::1'],
    check: addressEntryProblem,
    convert: (entries) => new AddressList(entries),
    placeholder: 'ADDR[/BITS]',
    help: 'peers allowed to connect to TCP uwsgi sockets; giving it replaces the default (repeatable)',
    expected: 'an IP address or network, e.g. --uwsgi-allow 10.0.0.0/8 (0.0.0.0/0 and ::/0 allow everyone)',
  },
  {
    name: 'trusted-proxy',
    field: 'trustedProxies',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: addressEntryProblem,
    convert: (entries) => new AddressList(entries),
    placeholder: 'ADDR[/BITS]',
    help: 'a proxy whose X-Forwarded-For and X-Forwarded-Proto are believed (repeatable)',
    expected: 'an IP address or network, or unix for peers on unix sockets, e.g. --trusted-proxy 10.0.0.2',
  },
] as const satisfies readonly OptionSpec[];
