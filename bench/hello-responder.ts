// What the bare hello world responders (no Python) answer: the bytes bench/apps/hello.py answers,
// the same status and headers, so that a ceiling measures the same response as the servers.

/** A node:http (or node:https, or node:http2 compatibility API) request handler, as source for `node -e`. */
export const HELLO_HANDLER = `(req, res) => {
  req.resume();
  res.writeHead(200, ['Content-Type', 'text/plain', 'Content-Length', '13']);
  res.end('Hello, World!');
}`;
