// What a TLS listener negotiates with a client like the load generators (OpenSSL offering TLS 1.2
// and 1.3): checked before a TLS scenario measures a contender, so that it measures what it says.
import tls from 'node:tls';

export interface Negotiated {
  /** `TLSv1.3`, `TLSv1.2`... */
  protocol: string;
  /** The protocol picked by ALPN from those offered, or false when the server picked none. */
  alpn: string | false;
}

/** One handshake with `url`'s host and port, offering `alpn`; the certificate is not verified (it is self-signed). */
export function negotiate(url: string, alpn: string[]): Promise<Negotiated> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ALPNProtocols: alpn, rejectUnauthorized: false, timeout: 10_000 }, () => {
      resolve({ protocol: socket.getProtocol() ?? 'unknown', alpn: socket.alpnProtocol ?? false });
      socket.destroy();
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake with ${url} within 10 s`)));
    socket.once('error', (err) => reject(new Error(`TLS handshake with ${url} failed: ${err.message}`)));
  });
}
