// The options of the TLS listeners: `https` and `https-socket` with uWSGI's comma syntax
// (ADDR,CERT,KEY[,CIPHERS[,CA]]), the redirecting `http-to-https` listener, and how the TLS
// sessions and client certificates are handled. Part of the option table (options.ts). Names and
// defaults follow uWSGI 2.0 (plugins/http/https.c, core/ssl.c); `https-handshake-timeout` is
// nuwsgi's own. The files named are read when the listeners are bound (src/listeners/tls.ts).
import type { HttpsListenerSpec, HttpsRedirectSpec } from './config.ts';
import type { OptionSpec } from './option-spec.ts';

const HTTPS_FORM = 'ADDR,CERT,KEY[,CIPHERS[,CA]]';

/** Why `text` is not `ADDR,CERT,KEY[,CIPHERS[,CA]]`, or undefined (for the option table). */
function httpsSpecProblem(text: string): string | undefined {
  const fields = text.split(',');
  if (fields.length < 3) return `it has ${fields.length} comma-separated field${fields.length === 1 ? '' : 's'}: the address, the certificate and the key are needed`;
  if (fields.length > 5) return `it has ${fields.length} comma-separated fields, more than the 5 of ${HTTPS_FORM}`;
  const [address, cert, key, , ca] = fields;
  if (address === '') return 'the address is empty';
  if (cert === '') return 'the certificate file is empty';
  if (key === '') return 'the key file is empty';
  if (ca === '' || ca === '!') return 'the CA file is empty (leave the field out for no client certificates)';
  return undefined;
}

function parseHttpsSpec(text: string): HttpsListenerSpec {
  const [address, cert, key, ciphers, ca] = text.split(',') as [string, string, string, string?, string?];
  const required = ca?.startsWith('!') ?? false;
  return {
    spec: text,
    address,
    cert,
    key,
    ciphers: ciphers === undefined || ciphers === '' ? undefined : ciphers,
    ca: ca === undefined ? undefined : required ? ca.slice(1) : ca,
    clientCertificate: ca === undefined ? 'none' : required ? 'required' : 'optional',
  };
}

/** `ADDR[,PORT]`: the port, when given, is a TCP port number. */
function redirectSpecProblem(text: string): string | undefined {
  const fields = text.split(',');
  if (fields.length > 2) return 'it has more than the 2 comma-separated fields of ADDR[,PORT]';
  if (fields[0] === '') return 'the address is empty';
  if (fields.length === 2 && !(/^\d+$/.test(fields[1]!) && Number(fields[1]) >= 1 && Number(fields[1]) <= 65535)) {
    return `'${fields[1]}' is not a port from 1 to 65535`;
  }
  return undefined;
}

function parseRedirectSpec(text: string): HttpsRedirectSpec {
  const [address, port] = text.split(',') as [string, string?];
  return { spec: text, address, port };
}

function httpsListenerOption<F extends 'https' | 'httpsSocket'>(name: 'https' | 'https-socket', field: F, where: string) {
  return {
    name,
    field,
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: httpsSpecProblem,
    convert: (texts: string[]) => texts.map(parseHttpsSpec),
    placeholder: HTTPS_FORM,
    help: `add an HTTPS listener on ADDR${where} with the PEM certificate (chain) and key; CA asks clients for a certificate (!CA: requires one) (repeatable)`,
    expected: `${HTTPS_FORM}, where a CA starting with ! requires client certificates, e.g. --${name} :8443,site.crt,site.key`,
  } as const;
}

export const TLS_OPTIONS = [
  httpsListenerOption('https', 'https', ''),
  httpsListenerOption('https-socket', 'httpsSocket', ', which may be a unix socket'),
  {
    name: 'http-to-https',
    field: 'httpToHttps',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: redirectSpecProblem,
    convert: (texts) => texts.map(parseRedirectSpec),
    placeholder: 'ADDR[,PORT]',
    help: 'add an HTTP listener on ADDR answering every request with 301 to its https:// URL (on PORT, if given) (repeatable)',
    expected: 'ADDR[,PORT], e.g. --http-to-https :80 or --http-to-https :8080,8443',
  },
  {
    name: 'https-export-cert',
    field: 'httpsExportCert',
    restart: true,
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: "give the app the client's certificate, as PEM, in HTTPS_CC and HTTPS_CLIENT_CERTIFICATE",
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'https-session-context',
    field: 'httpsSessionContext',
    restart: true,
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    pattern: /^.{1,32}$/,
    placeholder: 'NAME',
    help: "the TLS session id context of every HTTPS listener (default: one per listener, from its address)",
    expected: 'up to 32 characters, e.g. --https-session-context mysite',
  },
  {
    name: 'ssl-sessions-timeout',
    field: 'sslSessionsTimeout',
    restart: true,
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 300,
    min: 1,
    placeholder: 'SECONDS',
    help: 'seconds a TLS session (ticket) may be resumed',
    expected: 'a whole number of seconds, e.g. --ssl-sessions-timeout 600',
  },
  {
    name: 'https-handshake-timeout',
    field: 'httpsHandshakeTimeout',
    restart: true,
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 10,
    min: 1,
    placeholder: 'SECONDS',
    help: 'seconds a client gets to complete its TLS handshake; then the connection is closed',
    expected: 'a whole number of seconds, e.g. --https-handshake-timeout 5',
  },
  {
    name: 'ssl-verbose',
    field: 'sslVerbose',
    restart: true,
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'log every failed TLS handshake with the reason OpenSSL gives (otherwise at most one line a second)',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
] as const satisfies readonly OptionSpec[];
