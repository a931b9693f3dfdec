// The servers a scenario compares (their ids are what `--contender` takes), and how each is run;
// bench/launch.ts starts and stops them, bench/tls-contenders.ts has those that speak TLS.
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startNginx, startNuwsgiSocket, type ConnectTarget } from '../test/helpers/nginx.ts';
import { cliPath, repoRoot, startServer } from '../test/helpers/server.ts';
import { stopServer } from '../test/helpers/wire.ts';
import { processTree } from './cpu.ts';
import {
  appFile, appsDir, behindNginx, GUNICORN, NGINX, nuwsgiArgs, nuwsgiProcesses, program, startListening, startProcess,
  UWSGI, uwsgiBackend, uwsgiHttp, type Backend, type Contender, type Server, type Setup,
} from './launch.ts';
import { HELLO_HANDLER } from './hello-responder.ts';
import { tlsContenders } from './tls-contenders.ts';

export type { Server, Setup } from './launch.ts';
export type ContenderId = keyof typeof contenders;

/** The request log (uWSGI's default line, or `extra`'s) written to a file in setup.dir, as a deployment writes it. */
const requestLogTo = (setup: Setup, extra: string[] = []) => ['--logto', path.join(setup.dir, `requests-${Date.now()}.log`), ...extra];

async function gunicorn(setup: Setup, workerClass: string[]): Promise<Server> {
  const port = await freePort();
  return startListening('gunicorn', program('gunicorn'), ['--workers', String(setup.processes), ...workerClass,
    '--bind', `127.0.0.1:${port}`, '--backlog', '1024', '--chdir', appsDir, '--log-level', 'warning',
    `${setup.app}:application`], port, setup.env);
}

// The ceiling of any Node front: node:http answering hello world itself, no Python behind it.
const BARE_NODE = `require('node:http').createServer(${HELLO_HANDLER}).listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1024 });`;

// The ceiling of any Node front that logs: the bare node:http responder, writing uWSGI's default
// request line per request to a file as nuwsgi's master does (collected for 5 ms, one write()).
const BARE_NODE_LOG = `const fs = require('node:fs');
const fd = fs.openSync(process.argv[2], 'a', 0o640);
let pending = [], timer = null, total = 0, second = 0, date = '';
const flush = () => { timer = null; fs.writeSync(fd, pending.join('')); pending = []; };
require('node:http').createServer((req, res) => {
  const started = Date.now();
  req.resume();
  res.writeHead(200, ['Content-Type', 'text/plain', 'Content-Length', '13']);
  res.end('Hello, World!');
  if (started - second >= 1000) { second = started - started % 1000; date = new Date(second).toString().slice(0, 24); }
  total++;
  pending.push('[pid: ' + process.pid + '|app: 0|req: ' + total + '/' + total + '] ' + req.socket.remoteAddress +
    ' () {24 vars in 331 bytes} [' + date + '] ' + req.method + ' ' + req.url + ' => generated 13 bytes in ' +
    (Date.now() - started) + ' msecs (HTTP/' + req.httpVersion + ' 200) 2 headers in 64 bytes (1 switches on core 0)\\n');
  if (timer === null) timer = setTimeout(flush, 5);
}).listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1024 });`;

// The ceiling of any Node front for the POST echo: node:http sending the request body back itself,
// chunk by chunk as it arrives, no Python behind it.
const BARE_NODE_ECHO = `require('node:http').createServer((req, res) => {
  const length = req.headers['content-length'] ?? '0';
  res.writeHead(200, ['Content-Type', 'application/octet-stream', 'Content-Length', length]);
  req.on('data', (chunk) => res.write(chunk));
  req.on('end', () => res.end());
}).listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1024 });`;

// The ceiling of any Node front serving a static file: node:http answering every request with the
// file's bytes, read once into memory at start, and the headers a static file carries.
const BARE_NODE_STATIC = `const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[2];
const files = new Map();
for (const name of fs.readdirSync(dir)) {
  const data = fs.readFileSync(path.join(dir, name));
  const stat = fs.statSync(path.join(dir, name));
  files.set('/static/' + name, { data, head: ['Content-Type', 'application/octet-stream', 'Content-Length', String(data.length),
    'Last-Modified', stat.mtime.toUTCString(), 'ETag', 'W/"' + stat.size.toString(16) + '-' + stat.mtime.getTime().toString(16) + '"'] });
}
require('node:http').createServer((req, res) => {
  const file = files.get(req.url);
  if (file === undefined) {
    res.writeHead(404, ['Content-Length', '0']);
    res.end();
    return;
  }
  res.writeHead(200, file.head);
  res.end(file.data);
}).listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1024 });`;

// The ceiling of any Node front behind nginx: a node:net server on the unix socket that reads one
// uwsgi packet and answers hello world itself, no Python behind it, closing as nuwsgi does.
const BARE_NODE_UWSGI = `const fs = require('node:fs');
const socket = process.argv[1];
const response = Buffer.from('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 13\\r\\n\\r\\nHello, World!');
require('node:net').createServer({ allowHalfOpen: true }, (s) => {
  let head = Buffer.alloc(0);
  s.on('data', (chunk) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < 4 || head.length < 4 + head.readUInt16LE(1)) return;
    s.write(response);
    if (s.writableLength === 0) s.destroy(); else s.end();
  });
  s.on('end', () => s.destroy());
  s.on('error', () => {});
}).listen({ path: socket, backlog: 1024 }, () => fs.chmodSync(socket, 0o666));`;

/** nuwsgi over HTTP with the app's options and `extra` (e.g. a static map). */
async function nuwsgiHttp(setup: Setup, extra: string[] = []): Promise<Server> {
  const server = await startServer(['--http', '127.0.0.1:0', ...extra, ...nuwsgiArgs(setup)], { env: setup.env });
  return { url: server.url, pid: server.pid, processes: () => nuwsgiProcesses(server.pid), stop: () => stopServer(server) };
}

/** Apache's combined log format in uWSGI's variables: the user agent and referer come from the request's vars. */
const COMBINED_LOG_FORMAT = '%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) "%(referer)" "%(uagent)"';

/** nuwsgi over HTTP with its log (and `extra` log options) in a file. */
async function nuwsgiHttpLogging(setup: Setup, extra: string[] = []): Promise<Server> {
  const port = await freePort();
  const backend = await nuwsgiLoggingTo(setup, ['--http', `127.0.0.1:${port}`], { host: '127.0.0.1', port }, extra);
  return { url: `http://127.0.0.1:${port}`, ...backend };
}

/** nginx in front of nuwsgi on a unix socket. */
function nginxNuwsgi(setup: Setup): Promise<Server> {
  return behindNginx(setup, async (socket) => {
    const server = await startNuwsgiSocket(socket, nuwsgiArgs(setup));
    return { pid: server.pid, processes: () => nuwsgiProcesses(server.pid), stop: () => stopServer(server) };
  });
}

/**
 * nuwsgi with its log in a file (`--logto`), so its ready line is not on its output: started as the
 * other servers are, ready once its listener accepts (the warm-up waits for the workers).
 */
async function nuwsgiLoggingTo(setup: Setup, listener: string[], target: ConnectTarget, extra: string[] = []): Promise<Backend> {
  const args = [cliPath, ...listener, ...nuwsgiArgs(setup, requestLogTo(setup, extra))];
  const server = await startProcess('master', process.execPath, args, target, setup.env);
  return { ...server, processes: () => nuwsgiProcesses(server.pid) };
}

export const contenders = {
  nuwsgi: {
    name: 'nuwsgi --http',
    needs: {},
    start: (setup) => nuwsgiHttp(setup),
  },
  'nuwsgi-static': {
    name: 'nuwsgi --http --static-map',
    needs: {},
    start: (setup) => nuwsgiHttp(setup, ['--static-map', `/static=${setup.staticDir}`]),
  },
  'nuwsgi-log': {
    name: 'nuwsgi --http, request log (default line) to a file',
    needs: {},
    start: (setup) => nuwsgiHttpLogging(setup),
  },
  'nuwsgi-log-json': {
    name: 'nuwsgi --http, request log as JSON (--log-encoder json) to a file',
    needs: {},
    start: (setup) => nuwsgiHttpLogging(setup, ['--log-encoder', 'json']),
  },
  'nginx-nuwsgi': {
    name: 'nginx → nuwsgi (unix socket)',
    needs: NGINX,
    start: (setup) => nginxNuwsgi(setup),
  },
  'nginx-nuwsgi-log': {
    name: 'nginx → nuwsgi (unix socket), request log to a file',
    needs: NGINX,
    start: (setup) => behindNginx(setup, (socket) => nuwsgiLoggingTo(setup, ['--socket', socket], { path: socket })),
  },
  'nginx-nuwsgi-log-format': {
    name: 'nginx → nuwsgi (unix socket), Apache\'s combined format (--log-format) to a file',
    needs: NGINX,
    start: (setup) => behindNginx(setup, (socket) => nuwsgiLoggingTo(setup, ['--socket', socket], { path: socket },
      ['--log-format', COMBINED_LOG_FORMAT])),
  },
  'nginx-node': {
    name: 'nginx → bare node:net (no Python)',
    needs: NGINX,
    start: (setup) => behindNginx(setup, (socket) => startProcess('node', process.execPath, ['-e', BARE_NODE_UWSGI, socket], { path: socket })),
  },
  'nginx-python': {
    name: 'nginx → bare Python accept loop (no Node)',
    needs: NGINX,
    start: (setup) => behindNginx(setup, (socket) => startProcess('python', '/usr/bin/python3',
      [path.join(repoRoot, 'bench', 'uwsgi_accept_loop.py'), socket, appFile(setup), String(setup.processes)], { path: socket })),
  },
  'uwsgi-http': {
    name: 'uWSGI --http --http-keepalive',
    needs: UWSGI,
    start: (setup) => uwsgiHttp(setup, ['--http', '127.0.0.1:PORT', '--http-keepalive']),
  },
  'uwsgi-http11': {
    name: 'uWSGI --http11-socket',
    needs: UWSGI,
    start: (setup) => uwsgiHttp(setup, ['--http11-socket', '127.0.0.1:PORT']),
  },
  'uwsgi-http11-log': {
    name: 'uWSGI --http11-socket, request log to a file',
    needs: UWSGI,
    start: (setup) => uwsgiHttp(setup, ['--http11-socket', '127.0.0.1:PORT'], requestLogTo(setup)),
  },
  'uwsgi-http-socket': {
    name: 'uWSGI --http-socket',
    needs: UWSGI,
    start: (setup) => uwsgiHttp(setup, ['--http-socket', '127.0.0.1:PORT']),
  },
  'uwsgi-static': {
    name: 'uWSGI --http11-socket --static-map',
    needs: UWSGI,
    start: (setup) => uwsgiHttp(setup, ['--http11-socket', '127.0.0.1:PORT', '--static-map', `/static=${setup.staticDir}`]),
  },
  'nginx-uwsgi': {
    name: 'nginx → uWSGI (unix socket)',
    needs: { ...NGINX, ...UWSGI },
    start: (setup) => behindNginx(setup, (socket) => uwsgiBackend(setup, socket)),
  },
  'gunicorn-sync': {
    name: 'gunicorn (sync)',
    needs: GUNICORN,
    start: (setup) => gunicorn(setup, ['--worker-class', 'sync']),
  },
  'gunicorn-gthread': {
    name: 'gunicorn (gthread)',
    needs: GUNICORN,
    start: (setup) => gunicorn(setup, ['--worker-class', 'gthread', '--threads', String(setup.threads)]),
  },
  'nginx-static': {
    name: 'nginx (static files)',
    needs: NGINX,
    start: async (setup) => {
      const port = await freePort();
      const dir = fs.mkdtempSync(path.join(setup.dir, 'nginx-'));
      const nginx = await startNginx(program('nginx'), {
        dir, port, http: `    server {\n        listen 127.0.0.1:${port};\n        access_log off;\n        sendfile on;\n` +
          `        location /static/ { alias ${setup.staticDir}/; }\n    }\n`,
      });
      return { url: nginx.url, pid: nginx.pid, processes: () => ({ nginx: processTree(nginx.pid) }), stop: () => nginx.stop() };
    },
  },
  node: {
    name: 'bare node:http (no Python)',
    needs: {},
    start: async () => {
      const port = await freePort();
      return startListening('node', process.execPath, ['-e', BARE_NODE, String(port)], port);
    },
  },
  'node-log': {
    name: 'bare node:http, the default request line to a file (no Python)',
    needs: {},
    start: async (setup) => {
      const port = await freePort();
      const log = path.join(setup.dir, `node-requests-${Date.now()}.log`);
      return startListening('node', process.execPath, ['-e', BARE_NODE_LOG, String(port), log], port);
    },
  },
  'node-static': {
    name: 'bare node:http, the file from memory (no Python)',
    needs: {},
    start: async (setup) => {
      const port = await freePort();
      return startListening('node', process.execPath, ['-e', BARE_NODE_STATIC, String(port), setup.staticDir], port);
    },
  },
  'node-echo': {
    name: 'bare node:http echo (no Python)',
    needs: {},
    start: async () => {
      const port = await freePort();
      return startListening('node', process.execPath, ['-e', BARE_NODE_ECHO, String(port)], port);
    },
  },
  ...tlsContenders,
} satisfies Record<string, Contender>;
