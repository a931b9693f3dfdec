// A site for the static-file tests: a directory tree with every kind of file the options touch,
// the nuwsgi options that serve it, and a way to send one request through either listener (the
// master's HTTP listener, or a uwsgi socket the workers accept on) and read the response.
import fs from 'node:fs';
import path from 'node:path';
import { percentDecodeLatin1 } from '../../src/listeners/environ.ts';
import { encodePacket, exchange, type UwsgiTarget } from './uwsgi-client.ts';
import { parseResponse, rawExchange, tempDir, type RawResponse } from './wire.ts';

export interface StaticSite {
  dir: string;
  /** The bytes of a file of the site, by its path under `dir`. */
  read(file: string): Buffer;
  /** The ETag the server gives `file` (the etag package's weak stat tag). */
  etagOf(file: string): string;
  /** The options that serve it. */
  args: string[];
}

export const BIG_SIZE = 3 * 1024 * 1024;

export function makeStaticSite(): StaticSite {
  const dir = tempDir('nuwsgi-static-');
  const write = (file: string, data: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), data);
  };
  write('static/a.css', 'body { color: red }\n');
  write('static/app.js', 'console.log("static");\n');
  write('static/img.png', Buffer.from(Array.from({ length: 2048 }, (_v, i) => (i * 37) & 0xff)));
  write('static/big.bin', Buffer.from(Array.from({ length: BIG_SIZE }, (_v, i) => (i * 131 + (i >> 10)) & 0xff)));
  write('static/sub/index.html', '<p>index</p>\n');
  write('static/.env', 'SECRET=1\n');
  write('static/skip.py', 'print("never served")\n');
  write('static/data.nuwsgitest', 'typed by the mime file\n');
  write('static/data.zzz', 'no type\n');
  write('static/café.txt', 'utf-8 name\n');
  write('static/gz/style.css', 'plain '.repeat(50));
  write('static/gz/style.css.gz', 'gzip bytes');
  write('static/gz/style.css.br', 'brotli bytes');
  write('secret.txt', 'OUTSIDE-THE-ROOT\n');
  write('safe/shared.txt', 'a static-safe file\n');
  write('public/robots.txt', 'User-agent: *\n');
  write('srv2/static2/m2.txt', 'from static-map2\n');
  write('icons/fav.ico', 'icon bytes');
  write('mime.types', '# test types\napplication/x-nuwsgi-test nuwsgitest\n');
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'static/link-out.txt'));
  fs.symlinkSync(path.join(dir, 'safe/shared.txt'), path.join(dir, 'static/link-safe.txt'));
  write('static/gz/sly.css', 'plain sly');
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'static/gz/sly.css.gz'));
  return {
    dir,
    read: (file) => fs.readFileSync(path.join(dir, file)),
    etagOf: (file) => {
      const st = fs.statSync(path.join(dir, file));
      return `W/"${st.size.toString(16)}-${st.mtime.getTime().toString(16)}"`;
    },
    args: [
      '--static-map', `/static=${dir}/static`,
      '--static-map2', `/static2=${dir}/srv2`,
      '--check-static', `${dir}/public`,
      '--static-map', `/favicon.ico=${dir}/icons/fav.ico`,
      '--static-index', 'index.html',
      '--static-skip-ext', '.py',
      '--static-safe', `${dir}/safe`,
      '--static-gzip-dir', `${dir}/static/gz`,
      '--static-expires-type', 'text/css=3600',
      '--static-expires-uri', '^/static/app\\.js 60',
      '--mime-file', `${dir}/mime.types`,
      '--add-header', 'X-Static-Test: yes',
    ],
  };
}

export interface StaticRequest {
  method?: string;
  /** The request target as sent (percent-encoded as the client wrote it). */
  target: string;
  headers?: Record<string, string>;
}

/** How a test reaches the server: the HTTP listener, or a uwsgi socket (as nginx would send it). */
export interface Via {
  name: string;
  send(request: StaticRequest): Promise<RawResponse>;
}

export function viaHttp(port: number): Via {
  return {
    name: 'HTTP listener',
    async send({ method = 'GET', target, headers = {} }) {
      let head = `${method} ${target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      const { data } = await rawExchange(port, head + '\r\n');
      return parsed(data, method);
    },
  };
}

export function viaUwsgi(target: UwsgiTarget): Via {
  return {
    name: 'uwsgi socket',
    async send({ method = 'GET', target: uri, headers = {} }) {
      const q = uri.indexOf('?');
      const vars: Array<[string, string | Buffer]> = [
        ['REQUEST_METHOD', method], ['REQUEST_URI', uri],
        // nginx sends PATH_INFO decoded, as bytes
        ['PATH_INFO', Buffer.from(percentDecodeLatin1(q === -1 ? uri : uri.slice(0, q)), 'latin1')],
        ['QUERY_STRING', q === -1 ? '' : uri.slice(q + 1)], ['SERVER_PROTOCOL', 'HTTP/1.1'],
        ['SERVER_NAME', 'test'], ['SERVER_PORT', '80'], ['REMOTE_ADDR', '127.0.0.1'], ['HTTP_HOST', 'test'],
      ];
      for (const [name, value] of Object.entries(headers)) vars.push([`HTTP_${name.toUpperCase().replaceAll('-', '_')}`, value]);
      const { data } = await exchange(target, [encodePacket(vars)]);
      return parsed(data, method);
    },
  };
}

function parsed(data: Buffer, method: string): RawResponse {
  const result = parseResponse(data, { head: method === 'HEAD', eof: true });
  if (result === null) throw new Error(`no response: ${JSON.stringify(data.subarray(0, 300).toString('latin1'))}`);
  return result.response;
}
