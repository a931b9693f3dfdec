// The TLS piece of an HTTPS listener (`--https`, `--https-socket`): the certificate files, read and
// checked (loadCertificates, which `nuwsgi check` runs too), the tls.Server that terminates TLS,
// and the secure connections it hands on. The HTTP/1.1 spoken inside is HttpListener's (http.ts):
// each secure socket goes to the same node:http server as a plain connection would, so every rule,
// limit, refusal and log line is the same over TLS. A client that chose h2 by ALPN goes to the
// HTTP/2 front instead (h2.ts), unless --http2=off.
//
// Before the handshake, the first bytes tell a TLS client from one speaking plain HTTP to the
// port, which gets a 400 as from nginx rather than a connection cut without a word. A connection
// that sends nothing, or does not finish its handshake, is closed after --https-handshake-timeout.
// On a reload the files are read again (reload()): new handshakes get the new certificate, the
// connections already established keep theirs.
import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { HttpsListenerSpec } from '../config/config.ts';
import { log } from '../observe/log.ts';
import { RateLimitedLog } from '../observe/rate-limited-log.ts';
import type { SocketAddress } from './address.ts';
import { ANSWERS, logRefusal, rawAnswer } from './answers.ts';
import { bindServer, type BindOptions, type BoundSocket } from './bind.ts';
import { FirstBytes, interceptConnections } from './first-bytes.ts';

/** The first byte of a TLS record carrying a handshake message (the ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;
/** The protocols offered by ALPN, in the server's order of preference, with HTTP/2 and without. */
const ALPN_WITH_H2 = ['h2', 'http/1.1'];
const ALPN_HTTP1 = ['http/1.1'];

/** One HTTPS listener's TLS, from its option and the TLS options shared by every listener. */
export interface TlsSettings {
  /** `--https :8443,site.crt,site.key`: how messages name the listener. */
  option: string;
  spec: HttpsListenerSpec;
  /** https-session-context; without it, one is made from the option (defaultSessionIdContext). */
  sessionIdContext: string | undefined;
  /** ssl-sessions-timeout, in seconds. */
  sessionTimeout: number;
  /** https-handshake-timeout, in milliseconds. */
  handshakeTimeoutMs: number;
  /** https-export-cert: the client's certificate in HTTPS_CC and HTTPS_CLIENT_CERTIFICATE. */
  exportCert: boolean;
  /** ssl-verbose: every failed handshake logged, with OpenSSL's reason. */
  verbose: boolean;
}

/** What the files of a listener gave: the secure context's options, and what to warn of. */
export interface Certificates {
  context: tls.SecureContextOptions;
  /** The certificate's subject and end of validity, for the log. */
  summary: string;
  warnings: string[];
}

/**
 * Reads and checks the certificate, key and CA files of `settings`; throws an Error whose message
 * is one line naming the option and the file at fault. An expired certificate is only a warning.
 */
export function loadCertificates(settings: TlsSettings, now = Date.now()): Certificates {
  const { spec, option } = settings;
  const problem = (what: string) => new Error(`${option}: ${what}`);
  const certPem = readPem(spec.cert, 'certificate', problem);
  const keyPem = readPem(spec.key, 'key', problem);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch {
    throw problem(`the certificate file ${spec.cert} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(keyPem.toString('latin1'));
    throw problem(encrypted
      ? `the key file ${spec.key} is encrypted: give an unencrypted key (openssl pkey -in KEY -out KEY.plain)`
      : `the key file ${spec.key} holds no PEM private key (${(err as Error).message})`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw problem(`the key file ${spec.key} does not match the certificate in ${spec.cert}`);
  }
  const warnings: string[] = [];
  if (Date.parse(certificate.validTo) < now) {
    warnings.push(`${option}: the certificate in ${spec.cert} expired on ${certificate.validTo}: clients will refuse it`);
  }
  const context: tls.SecureContextOptions = {
    cert: certPem,
    key: keyPem,
    minVersion: 'TLSv1.2',
    sessionIdContext: settings.sessionIdContext ?? defaultSessionIdContext(option),
    sessionTimeout: settings.sessionTimeout,
  };
  if (spec.ciphers !== undefined) {
    context.ciphers = spec.ciphers;
    // uWSGI's rule: with a cipher list of one's own, the server's order wins
    context.honorCipherOrder = true;
  }
  if (spec.ca !== undefined) context.ca = readCa(spec.ca, problem);
  try {
    tls.createSecureContext(context);
  } catch (err) {
    const what = spec.ciphers !== undefined && /cipher/i.test((err as Error).message)
      ? `the cipher list '${spec.ciphers}' selects no cipher OpenSSL knows`
      : `OpenSSL refuses the certificate in ${spec.cert}: ${(err as Error).message}`;
    throw problem(what);
  }
  return { context, summary: `${certificate.subject.replace(/\n/g, ', ')}, valid until ${certificate.validTo}`, warnings };
}

/** What a failed read of a certificate file says, after its code. */
const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'a directory' };

function readPem(file: string, what: string, problem: (what: string) => Error): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === undefined ? e.message : READ_ERRORS[e.code] === undefined ? e.code : `${e.code} (${READ_ERRORS[e.code]})`;
    throw problem(`cannot read the ${what} file ${file}: ${why}`);
  }
}

/** The CA file's certificates; throws unless it holds at least one, all PEM. */
function readCa(file: string, problem: (what: string) => Error): string[] {
  const text = readPem(file, 'CA', problem).toString('latin1');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw problem(`the CA file ${file} is not PEM: it holds no -----BEGIN CERTIFICATE----- block`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw problem(`the CA file ${file} holds a PEM block that is no certificate`);
    }
  }
  return blocks;
}

/** The session id context of a listener without https-session-context: 32 hex digits of its option. */
function defaultSessionIdContext(option: string): string {
  return crypto.createHash('sha256').update(option).digest('hex').slice(0, 32);
}

const handshakeFailures = new RateLimitedLog();

/**
 * The TLS server of one HTTPS listener; `deliverHttp1` gets every secure connection speaking
 * HTTP/1.1, and `deliverH2`, when given, those whose client chose h2 by ALPN.
 */
export class TlsFront {
  private readonly server: tls.Server;
  private readonly settings: TlsSettings;
  private readonly deliverHttp1: (socket: TLSSocket) => void;
  private readonly deliverH2: ((socket: TLSSocket, refused: boolean) => void) | undefined;
  /** The CGI variables of connections with a client certificate (HTTPS_DN, HTTPS_CC). */
  private readonly clientVars = new WeakMap<TLSSocket, string>();
  /** Connections whose first bytes have not come yet: closeAll() drops them. */
  private readonly firstBytes: FirstBytes;

  constructor(settings: TlsSettings, certificates: Certificates, deliverHttp1: (socket: TLSSocket) => void,
    deliverH2?: (socket: TLSSocket, refused: boolean) => void) {
    this.settings = settings;
    this.deliverHttp1 = deliverHttp1;
    this.deliverH2 = deliverH2;
    const asksForCertificate = settings.spec.clientCertificate !== 'none';
    this.server = tls.createServer({
      ...certificates.context,
      ALPNProtocols: deliverH2 === undefined ? ALPN_HTTP1 : ALPN_WITH_H2,
      handshakeTimeout: settings.handshakeTimeoutMs,
      requestCert: asksForCertificate,
      // the certificate is checked in onSecureConnection, which can say why it is refused
      rejectUnauthorized: false,
    });
    for (const warning of certificates.warnings) log(`warning: ${warning}`);
    this.firstBytes = new FirstBytes(settings.handshakeTimeoutMs, (socket) => {
      this.logFailure('handshake timeout', `TLS connection from ${peerOf(socket)}: nothing received within ` +
        `${settings.handshakeTimeoutMs / 1000} s (--https-handshake-timeout): closed`);
      socket.destroy();
    });
    // The TLS server's own 'connection' listener starts the handshake at once: it runs only once
    // the first bytes were seen to be TLS (onConnection).
    interceptConnections(this.server, (socket, startTls) => this.onConnection(socket, startTls));
    this.server.on('secureConnection', (socket: TLSSocket) => this.onSecureConnection(socket));
    this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => this.onHandshakeError(err, socket));
  }

  listen(address: SocketAddress, options: BindOptions): Promise<BoundSocket> {
    return bindServer(this.server, address, options);
  }

  /** The CGI variables the connection adds to each of its requests' environ (NUL-led pairs). */
  connectionVars(socket: TLSSocket): string {
    return '\0HTTPS\0on' + (this.clientVars.get(socket) ?? '');
  }

  /**
   * Reads the certificate files again: new handshakes get what they hold now, established
   * connections keep theirs. A file that no longer loads leaves the current certificate in place.
   */
  reload(): void {
    let certificates: Certificates;
    try {
      certificates = loadCertificates(this.settings);
    } catch (err) {
      log(`${(err as Error).message}: the certificate in use is kept`);
      return;
    }
    for (const warning of certificates.warnings) log(`warning: ${warning}`);
    // the ticket keys are kept, so that sessions from before the reload can still be resumed
    this.server.setSecureContext({ ...certificates.context, ticketKeys: this.server.getTicketKeys() });
    log(`${this.settings.option}: certificate reloaded (${certificates.summary})`);
  }

  /** Stops accepting; resolves once every connection it accepted has closed. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Drops the connections that have sent nothing yet; those in their handshake end with it or
   * with its timeout, and the secure ones belong to the HTTP server.
   */
  closeAll(): void {
    this.firstBytes.dropAll();
  }

  /** A new TCP (or unix) connection: its first byte says whether it speaks TLS. */
  private onConnection(socket: Socket, startTls: (socket: Socket) => void): void {
    this.firstBytes.read(socket, (bytes) => bytes.length > 0, (first) => {
      if (first[0] !== TLS_HANDSHAKE_RECORD) this.refusePlainText(socket, first);
      // the TLS socket reads what was put back first, then the connection
      else startTls(socket);
    });
  }

  /** Something other than TLS: plain HTTP gets nginx's answer (a 400), anything else is closed. */
  private refusePlainText(socket: Socket, first: Buffer): void {
    const peer = peerOf(socket);
    if (/^[A-Z]{3,10} \S/.test(first.toString('latin1', 0, 64))) {
      logRefusal(ANSWERS.badRequest, 'plain HTTP on TLS', `plain HTTP request from ${peer} on ${this.settings.option}`,
        'the client did not start TLS (use https://)');
      this.answerAndClose(socket);
      return;
    }
    this.logFailure('not TLS', `connection from ${peer} on ${this.settings.option}: its first bytes are not a TLS handshake: closed`);
    socket.destroy();
  }

  /**
   * The handshake is done: the one place a secure connection is dispatched, by the protocol ALPN
   * chose (`socket.alpnProtocol`: h2, http/1.1, or false for clients that offer no ALPN, which
   * get HTTP/1.1; the protocols offered are ALPN_WITH_H2 or ALPN_HTTP1). A connection whose client
   * certificate is refused gets its 400 in the protocol it chose.
   */
  private onSecureConnection(socket: TLSSocket): void {
    const refused = this.settings.spec.clientCertificate !== 'none' && !this.acceptClientCertificate(socket);
    // a refused h2 client is answered in h2 (each of its streams a 400), which it can read
    if (socket.alpnProtocol === 'h2' && this.deliverH2 !== undefined) this.deliverH2(socket, refused);
    else if (refused) this.answerAndClose(socket);
    else this.deliverHttp1(socket);
  }

  /**
   * With a CA: a certificate the client sent must be signed by it, and with `!CA` there must be
   * one; a refusal is logged here, and answered by the caller. An accepted certificate's subject is
   * HTTPS_DN (and, with https-export-cert, the certificate is HTTPS_CC).
   */
  private acceptClientCertificate(socket: TLSSocket): boolean {
    const certificate = socket.getPeerX509Certificate();
    let why: string | undefined;
    if (certificate === undefined) {
      if (this.settings.spec.clientCertificate === 'required') why = 'no client certificate, which the ! before the CA requires';
    } else if (!socket.authorized) {
      why = `its client certificate is refused: ${String(socket.authorizationError)}`;
    }
    if (why !== undefined) {
      logRefusal(ANSWERS.badRequest, 'client certificate', `TLS client ${peerOf(socket)} on ${this.settings.option}`, why);
      return false;
    }
    if (certificate !== undefined) {
      let vars = '\0HTTPS_DN\0/' + certificate.subject.split('\n').join('/');
      if (this.settings.exportCert) {
        // uWSGI's name for it, and the longer one other servers and frameworks read
        const pem = certificate.toString();
        vars += '\0HTTPS_CC\0' + pem + '\0HTTPS_CLIENT_CERTIFICATE\0' + pem;
      }
      this.clientVars.set(socket, vars);
    }
    return true;
  }

  /**
   * A 400 on a connection no HTTP server reads, then its end. What the client still sends is read
   * and dropped, so that its own end is seen; one that never ends is closed after the handshake timeout.
   */
  private answerAndClose(socket: Socket): void {
    socket.on('error', () => {});
    socket.setTimeout(this.settings.handshakeTimeoutMs, () => socket.destroy());
    socket.resume();
    socket.end(rawAnswer(ANSWERS.badRequest));
  }

  /** A handshake that failed or timed out: node leaves closing the connection to the listener of this event. */
  private onHandshakeError(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    const peer = peerOf(socket);
    socket.destroy();
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
      this.logFailure('handshake timeout', `TLS handshake from ${peer}: not complete within ` +
        `${this.settings.handshakeTimeoutMs / 1000} s (--https-handshake-timeout): closed`);
      return;
    }
    if (err.code === 'ECONNRESET' && !this.settings.verbose) return;
    const reason = this.settings.verbose ? `${err.code ?? 'error'}: ${openSslReason(err)}` : err.code ?? err.message;
    this.logFailure('handshake failed', `TLS handshake from ${peer} on ${this.settings.option} failed (${reason})`);
  }

  /** A failed connection's line: every one with ssl-verbose, else at most one a second per kind. */
  private logFailure(kind: string, line: string): void {
    if (this.settings.verbose) {
      log(line);
      return;
    }
    handshakeFailures.line(kind, line, (n) => `${n} more TLS connections failed in the last second (${kind}; --ssl-verbose logs each)`);
  }
}

/** OpenSSL's reason for an error, on one line: `unsupported protocol (SSL routines)`. */
function openSslReason(err: NodeJS.ErrnoException & { reason?: string; library?: string }): string {
  if (err.reason === undefined) return err.message.replace(/\s*\n\s*/g, ' ').trim();
  return err.library === undefined ? err.reason : `${err.reason} (${err.library})`;
}

function peerOf(socket: Socket): string {
  return socket.remoteAddress ?? 'a unix socket peer';
}
