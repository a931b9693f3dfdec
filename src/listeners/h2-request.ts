// From an HTTP/2 request's header block to the request the router gets. The pseudo-header fields
// become what the request line is in HTTP/1.1 (:method, :path; :authority is the Host), the rules
// HTTP/2 keeps are checked (http-vet.ts), and the rest is built by the same code as an HTTP/1.1
// head's, so the worker sees the same environ apart from SERVER_PROTOCOL. :scheme is not believed:
// the scheme is the listener's (https over TLS, http for h2c), as for HTTP/1.1.
import { ANSWERS } from './answers.ts';
import { requestFromHead, type HttpListenerContext, type RequestHead } from './http-request.ts';
import { vetH2Head } from './http-vet.ts';
import type { ParsedRequest, Refusal } from './request.ts';

/** What the HTTP/2 front knows of a stream when its header block has arrived. */
export interface H2Head {
  /** node's flat [name, value, ...] list, pseudo-header fields first, names in lower case. */
  rawHeaders: readonly string[];
  /** The HEADERS frame ended the stream: the request has no body. */
  endStream: boolean;
  peerAddress: string | undefined;
  peerPort: number | undefined;
  /** A TLS connection's CGI variables (HTTPS=on...), NUL-led pairs; none on a plain (h2c) one. */
  connectionVars: string | undefined;
  /** The trailer fields, [name, value, ...], once the body has ended. */
  trailers(): readonly string[];
}

/** The request, or why it is refused. */
export function buildH2Request(h2: H2Head, listener: HttpListenerContext): ParsedRequest | Refusal {
  const raw = h2.rawHeaders;
  let method = '';
  let path = '';
  let authority: string | undefined;
  let hasHost = false;
  let expectContinue = false;
  const fields: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':method') method = raw[i + 1];
      else if (name === ':path') path = raw[i + 1];
      else if (name === ':authority') authority = raw[i + 1];
      continue;
    }
    if (name === 'host') hasHost = true;
    else if (name === 'expect') expectContinue = raw[i + 1].toLowerCase() === '100-continue';
    fields.push(name, raw[i + 1]);
  }
  if (method === 'CONNECT') {
    return { answer: ANSWERS.methodNotAllowed, rule: 'CONNECT', why: 'nuwsgi is not a proxy' };
  }
  // a Host field, when the client sent one beside :authority, is what the app sees
  if (authority !== undefined && !hasHost) fields.push('host', authority);
  const refused = vetH2Head(method, path, fields, listener.maxHeaders);
  if (refused !== undefined) return refused;
  const head: RequestHead = {
    method, url: path, rawHeaders: fields, peerAddress: h2.peerAddress, peerPort: h2.peerPort, expectContinue,
    trailers: h2.trailers, connectionVars: h2.connectionVars,
  };
  return requestFromHead(head, 'HTTP/2', listener, h2.endStream ? noBody : declaredOrUnknownLength);
}

function noBody(): number {
  return 0;
}

/** A stream the HEADERS frame left open carries a body: of its Content-Length, else of a length known at its end. */
function declaredOrUnknownLength(headers: ReadonlyMap<string, string>): number {
  const contentLength = headers.get('CONTENT_LENGTH');
  return contentLength === undefined ? -1 : Number(contentLength);
}
