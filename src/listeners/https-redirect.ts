// `--http-to-https ADDR[,PORT]`: an HTTP listener whose every request is answered with a 301 to the
// same URL over https, as uWSGI's (plugins/http/https.c, hr_force_https): the host of the request's
// Host header, the PORT given (none: the https default), the request target as sent. It stands in
// for the router behind an HttpListener, so the requests it answers go through every rule of the
// HTTP front first; the app never sees them. Each answer is handed back to the router, which
// counts it and writes its request line as for its own answers.
import { ANSWERS, answerHeaders, logRefusal } from './answers.ts';
import type { AnsweredElsewhere, ParsedRequest, RequestHandler, ResponseWriter } from './request.ts';

const BODY = Buffer.from('301 Moved Permanently\n');

export class HttpsRedirect implements RequestHandler {
  /** `:8443`, or '' for the https default port. */
  private readonly port: string;
  private readonly answered: AnsweredElsewhere;

  constructor(port: string | undefined, answered: AnsweredElsewhere) {
    this.port = port === undefined ? '' : `:${port}`;
    this.answered = answered;
  }

  handle(request: ParsedRequest, writer: ResponseWriter): void {
    const startedMs = Date.now();
    const host = request.headers.get('HTTP_HOST');
    if (host === undefined || host === '') {
      // an HTTP/1.0 request without Host (HTTP/1.1 ones are refused before): no URL to send it to
      logRefusal(ANSWERS.badRequest, 'redirect without Host', `${request.method} ${request.uri} from ${request.remoteAddr}`,
        'no Host header to build the https:// URL from');
      this.refuse(request, writer, startedMs);
      return;
    }
    const target = request.uri.startsWith('/') ? request.uri : '/';
    const location = `https://${hostWithoutPort(host)}${this.port}${target}`;
    // the writer adds the listener's own headers to this list: it is then the head that went out
    const head = ['Location', location, 'Content-Type', 'text/plain', 'Content-Length', String(BODY.length)];
    if (writer.head(301, 'Moved Permanently', head) !== undefined) {
      this.refuse(request, writer, startedMs);
      return;
    }
    // node leaves the body out of the answer to a HEAD
    writer.end(BODY);
    this.answered(request, startedMs, { status: 301, headers: head, bodyBytes: request.method === 'HEAD' ? 0 : BODY.length });
  }

  private refuse(request: ParsedRequest, writer: ResponseWriter, startedMs: number): void {
    const answer = ANSWERS.badRequest;
    writer.answer(answer);
    this.answered(request, startedMs, {
      status: answer.status, headers: answerHeaders(answer), bodyBytes: request.method === 'HEAD' ? 0 : answer.body.length,
    });
  }
}

/** `example.com:80` -> `example.com`; `[::1]:80` -> `[::1]`. */
function hostWithoutPort(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || host.endsWith(']') ? host : host.slice(0, colon);
}
