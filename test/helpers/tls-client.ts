// Clients for the TLS tests: curl for requests (it speaks TLS as browsers do) and openssl s_client
// for what the handshake chose. Both are peers (peers.ts): a test asks for them first.
//
//   const curl = needCurl(t); if (curl === undefined) return;
//   const r = await curlGet(curl, `https://127.0.0.1:${port}/`, ['--cacert', ca.cert]);
import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { needExecutable } from './peers.ts';

export function needCurl(t: TestContext): string | undefined {
  return needExecutable(t, 'curl', 'curl');
}

export function needOpenssl(t: TestContext): string | undefined {
  return needExecutable(t, 'openssl', 'openssl');
}

export interface CurlResult {
  /** curl's exit code (0: the transfer worked; 35: the handshake failed...). */
  code: number;
  /** The response bodies, one after the other when several URLs were given. */
  body: string;
  /** What `--write-out` printed, after the body. */
  out: string;
  stderr: string;
}

/** The text `--write-out` prints after the body, to tell it apart. */
const MARK = '\n--curl-write-out--\n';

/**
 * Runs curl on `urls` (over one connection when it can) with `args` (e.g. --cacert, --cert),
 * `--write-out` giving `writeOut` (default the status code).
 */
export function curlGet(curl: string, urls: string | string[], args: string[] = [], writeOut = '%{http_code}'): Promise<CurlResult> {
  const all = Array.isArray(urls) ? urls : [urls];
  return new Promise((resolve) => {
    execFile(curl, ['--silent', '--show-error', '--http1.1', '--max-time', '20', '--write-out', `${MARK}${writeOut}`, ...args, ...all],
      { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
        const at = stdout.lastIndexOf(MARK);
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ code, body: at === -1 ? stdout : stdout.slice(0, at), out: at === -1 ? '' : stdout.slice(at + MARK.length), stderr });
      });
  });
}

/**
 * What `openssl s_client` printed for a handshake with `args` (e.g. -tls1_2, -alpn h2,http/1.1).
 * With `request`, it is sent once the handshake is done, and the output goes on until the server
 * closes the connection (a TLS 1.3 session ticket comes after the handshake: to store it with
 * -sess_out, make a request that ends with `Connection: close`).
 */
export function sClient(openssl: string, port: number, args: string[], request?: string): Promise<string> {
  return new Promise((resolve) => {
    const more = request === undefined ? [] : ['-ign_eof'];
    const child = execFile(openssl, ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...more, ...args],
      { encoding: 'utf8', timeout: 20_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    child.stdin?.end(request ?? '');
  });
}

/** The protocol s_client reports (`TLSv1.3`), or undefined when the handshake failed. */
export function negotiatedProtocol(output: string): string | undefined {
  return /^\s*Protocol\s*:\s*(\S+)/m.exec(output)?.[1] ?? /New, (TLSv[\d.]+),/.exec(output)?.[1];
}

/** The ALPN protocol s_client reports, or undefined when none was chosen. */
export function alpnProtocol(output: string): string | undefined {
  return /ALPN protocol: (\S+)/.exec(output)?.[1];
}
