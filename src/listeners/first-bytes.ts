// Telling a connection's protocol from its first bytes, before the server that speaks it gets the
// socket: TLS or plain HTTP on an HTTPS listener (tls.ts), HTTP/2's preface or HTTP/1.1 on a plain
// listener with http2-cleartext (http.ts). The server's own 'connection' listener (node's: the TLS
// handshake, the HTTP/1.1 parser) is taken off and called only once the bytes have said so; the
// bytes read are put back (unshift), so whoever gets the socket reads them first.
import type { Server, Socket } from 'node:net';

/**
 * Replaces `server`'s own 'connection' listener by `route`, which is given it to call with a
 * connection that turns out to be the server's.
 */
export function interceptConnections(server: Server, route: (socket: Socket, own: (socket: Socket) => void) => void): void {
  const [own] = server.listeners('connection') as Array<(this: Server, socket: Socket) => void>;
  if (own === undefined) throw new Error('node gave its server no connection listener to hand connections to');
  server.removeAllListeners('connection');
  const toServer = (socket: Socket) => own.call(server, socket);
  server.on('connection', (socket: Socket) => route(socket, toServer));
}

/** The connections whose first bytes have not all come: each waits at most `timeoutMs`. */
export class FirstBytes {
  private readonly waiting = new Set<Socket>();
  private readonly timeoutMs: number;
  private readonly onTimeout: (socket: Socket) => void;

  /** `onTimeout` is called with a connection that sent too little within `timeoutMs`, no longer read: it ends it. */
  constructor(timeoutMs: number, onTimeout: (socket: Socket) => void) {
    this.timeoutMs = timeoutMs;
    this.onTimeout = onTimeout;
  }

  /**
   * Reads `socket` until `enough` says the bytes so far tell its protocol (they may come in
   * several pieces); then the socket is paused, the bytes are put back, and `then` gets them.
   */
  read(socket: Socket, enough: (bytes: Buffer) => boolean, then: (bytes: Buffer) => void): void {
    this.waiting.add(socket);
    socket.once('close', () => this.waiting.delete(socket));
    socket.on('error', () => {});
    let bytes: Buffer | null = null;
    const onData = (chunk: Buffer) => {
      bytes = bytes === null ? chunk : Buffer.concat([bytes, chunk]);
      if (!enough(bytes)) return;
      stop();
      socket.pause();
      socket.unshift(bytes);
      then(bytes);
    };
    const stop = () => {
      socket.off('data', onData);
      socket.setTimeout(0);
      this.waiting.delete(socket);
    };
    socket.setTimeout(this.timeoutMs, () => {
      stop();
      this.onTimeout(socket);
    });
    socket.on('data', onData);
  }

  /** Drops the connections still waiting. */
  dropAll(): void {
    for (const socket of this.waiting) socket.destroy();
  }
}
