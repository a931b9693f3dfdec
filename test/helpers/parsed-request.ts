// ParsedRequest objects made by hand, for tests that start after a listener parsed a request.
import type { ParsedRequest } from '../../src/listeners/request.ts';

/**
 * A GET / from 127.0.0.1 unless `fields` says otherwise. A body of `bodyLength` bytes (-1: chunked)
 * also needs a stream, passed separately, as a listener passes it.
 */
export function parsedRequest(fields: Partial<ParsedRequest> = {}): ParsedRequest {
  const request: ParsedRequest = {
    method: 'GET',
    uri: '/',
    path: '/',
    query: '',
    protocol: 'HTTP/1.1',
    headers: new Map(),
    scheme: 'http',
    remoteAddr: '127.0.0.1',
    bodyLength: 0,
    expectContinue: false,
    environ: '',
    vetTrailers: null,
    ...fields,
  };
  if (fields.environ === undefined) {
    request.environ = `REQUEST_METHOD\0${request.method}\0REQUEST_URI\0${request.uri}\0PATH_INFO\0${request.path}`;
  }
  return request;
}
