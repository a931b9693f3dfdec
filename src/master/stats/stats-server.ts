// uWSGI's stats server (`--stats ADDR`: TCP, a unix socket or @abstract): a client connects, the
// master writes the stats document and closes, reading nothing; uwsgitop and uwsgi_exporter read
// until EOF. With `--stats-http` it reads an HTTP request first and answers HTTP/1.0 200 with
// `Content-Type: application/json`, as uWSGI does; there `/metrics` answers the Prometheus text.
// A client that connects and never reads costs a bounded buffer for a bounded time: the connection
// is closed once the document is in the kernel's hands, connections are capped, and each is
// dropped after CLIENT_TIMEOUT_MS.
import net from 'node:net';
import { bindServer, type BoundSocket } from '../../listeners/bind.ts';
import { parseSocketAddress } from '../../listeners/address.ts';
import { log } from '../../observe/log.ts';

const CLIENT_TIMEOUT_MS = 10_000;
const MAX_CLIENTS = 64;
/** An HTTP request head larger than this is not a stats client. */
const MAX_HEAD_BYTES = 8192;

export interface StatsServerOptions {
  address: string;
  /** stats-http: speak HTTP. */
  http: boolean;
  /** stats-minified: one line instead of uWSGI's tab-indented document. */
  minified: () => boolean;
  /** The stats document, built when a client asks. */
  document(): Record<string, unknown>;
  /** The Prometheus text for `/metrics` on the HTTP stats server, or null when there are no metrics. */
  metrics: (() => Promise<{ text: string; contentType: string }>) | null;
}

export class StatsServer {
  private readonly server: net.Server;
  private readonly options: StatsServerOptions;
  private bound: BoundSocket | undefined;

  constructor(options: StatsServerOptions) {
    this.options = options;
    this.server = net.createServer((socket) => this.serve(socket));
    this.server.maxConnections = MAX_CLIENTS;
  }

  /** Binds the address (listen backlog `backlog`); rejects with an Error that says why it cannot. */
  async listen(backlog: number): Promise<string> {
    this.bound = await bindServer(this.server, parseSocketAddress(this.options.address), { backlog, mode: undefined, owner: undefined });
    return this.bound.label;
  }

  close(vacuum: boolean): void {
    this.server.close();
    if (vacuum) this.bound?.removeFile();
  }

  private serve(socket: net.Socket): void {
    socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    if (!this.options.http) {
      this.send(socket, this.json());
      return;
    }
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n') >= 0 || head.indexOf('\n\n') >= 0;
      if (!end && head.length <= MAX_HEAD_BYTES) return;
      socket.off('data', onData);
      void this.answerHttp(socket, end ? head : '');
    };
    socket.on('data', onData);
  }

  /**
   * Writes `text` and closes once the kernel has it, as uWSGI does: the connection is not kept
   * waiting for the client's close, so a client that never reads holds nothing once the document
   * fits in its socket's buffer.
   */
  private send(socket: net.Socket, text: string): void {
    socket.end(text, () => socket.destroy());
  }

  private json(): string {
    const document = this.options.document();
    return this.options.minified() ? JSON.stringify(document) : JSON.stringify(document, null, '\t');
  }

  private async answerHttp(socket: net.Socket, head: string): Promise<void> {
    const [method, target] = head.split(/\s+/, 2);
    let status = '200 OK';
    let type = 'application/json';
    let body: string;
    if (head === '' || (method !== 'GET' && method !== 'HEAD')) {
      status = '400 Bad Request';
      type = 'text/plain';
      body = '400 Bad Request\n';
    } else if (target.split('?')[0] === '/metrics' && this.options.metrics !== null) {
      try {
        ({ text: body, contentType: type } = await this.options.metrics());
      } catch (err) {
        log(`stats server: cannot collect the metrics: ${(err as Error).message}`);
        status = '500 Internal Server Error';
        type = 'text/plain';
        body = '500 Internal Server Error\n';
      }
    } else {
      body = this.json();
    }
    const bytes = Buffer.byteLength(body);
    this.send(socket, `HTTP/1.0 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes}\r\n\r\n` + (method === 'HEAD' ? '' : body));
  }
}
