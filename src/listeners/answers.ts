// The answers the server makes itself, without the app: one table, as config/errors.ts is for
// configuration errors. Every listener, the router, the dispatcher, harakiri and the workers (which
// get the table in CONFIG, docs/channel.md) answer from it, so a 413 reads the same whoever sends it.
//
// Each answer is a small text/plain response, `STATUS REASON\n`, with the extra headers it needs.
// Its log line says what was refused and why (`subject`, `why`), then what the client got, then
// the option that raises the limit when there is one.
import { log } from '../observe/log.ts';
import { RateLimitedLog } from '../observe/rate-limited-log.ts';

export interface Answer {
  status: number;
  reason: string;
  body: string;
  /** Extra headers, as a flat [name, value, ...] list (Content-Type and Content-Length always come first). */
  headers: readonly string[];
  /** The option that raises the limit this answer enforces (`limit-post`), if one does. */
  option?: string;
}

function answer(status: number, reason: string, extra: { headers?: string[]; option?: string } = {}): Answer {
  return { status, reason, body: `${status} ${reason}\n`, headers: extra.headers ?? [], option: extra.option };
}

export const ANSWERS = {
  /** The request is malformed (HTTP syntax, an encoded NUL in the path, an invalid uwsgi packet). */
  badRequest: answer(400, 'Bad Request'),
  /** The head did not arrive in time. */
  requestTimeout: answer(408, 'Request Timeout', { option: 'http-timeout' }),
  /** The body is larger than limit-post. */
  bodyTooLarge: answer(413, 'Payload Too Large', { option: 'limit-post' }),
  /** A static path that leads out of its mount (traversal, a symlink outside, a name no file can have). */
  forbidden: answer(403, 'Forbidden'),
  /** A static file that is hidden (a dot file). */
  notFound: answer(404, 'Not Found'),
  /** A static file's If-Match or If-Unmodified-Since does not hold. */
  preconditionFailed: answer(412, 'Precondition Failed'),
  /** A Range that no byte of the static file satisfies (Content-Range says its size). */
  rangeNotSatisfiable: answer(416, 'Range Not Satisfiable'),
  /** The head is larger than buffer-size. */
  headTooLarge: answer(431, 'Request Header Fields Too Large', { option: 'buffer-size' }),
  /** The head has more fields than http-max-headers. */
  tooManyHeaders: answer(431, 'Request Header Fields Too Large', { option: 'http-max-headers' }),
  /** A method the server does not carry out (CONNECT: nuwsgi is no proxy). */
  methodNotAllowed: answer(405, 'Method Not Allowed', { headers: ['Allow', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'] }),
  /** An HTTP version other than 1.0 and 1.1 on an HTTP/1 listener. */
  versionNotSupported: answer(505, 'HTTP Version Not Supported'),
  /** The app (or the server) failed before the response began. */
  internalError: answer(500, 'Internal Server Error'),
  /** The worker died, or sent a response that cannot be passed on. */
  badGateway: answer(502, 'Bad Gateway'),
  /** Every worker is busy and --listen requests already wait. */
  queueFull: answer(503, 'Service Unavailable', { headers: ['Retry-After', '1'], option: 'listen' }),
  /** The request ran past harakiri. */
  harakiri: answer(504, 'Gateway Timeout'),
} as const satisfies Record<string, Answer>;

/** The table by name, as the workers read it from CONFIG (docs/channel.md). */
export type WorkerAnswers = Record<string, { status: number; reason: string; body: string; headers: readonly string[]; option: string | null }>;

export function answersForWorkers(): WorkerAnswers {
  const table: WorkerAnswers = {};
  for (const [name, a] of Object.entries(ANSWERS)) {
    table[name] = { status: a.status, reason: a.reason, body: a.body, headers: a.headers, option: a.option ?? null };
  }
  return table;
}

/** The whole head of an answer, as a flat [name, value, ...] list, with `more` headers after its own. */
export function answerHeaders(a: Answer, more: readonly string[] = []): string[] {
  return ['Content-Type', 'text/plain', 'Content-Length', String(a.body.length), ...a.headers, ...more];
}

/**
 * The log line of an answer: `subject: why: answered 413; raise it with --limit-post`. `subject`
 * names the request or the peer (`GET /upload`, `request from 10.0.0.1`).
 */
export function answerLine(a: Answer, subject: string, why: string): string {
  return outcomeLine(a, subject, why, `answered ${a.status}`);
}

/** Logs the line of an answer (see answerLine). */
export function logAnswer(a: Answer, subject: string, why: string): void {
  log(answerLine(a, subject, why));
}

/** The line of a response that could not be completed because of `a`'s limit: it was cut short. */
export function cutShortLine(a: Answer, subject: string, why: string): string {
  return outcomeLine(a, subject, why, 'response cut short');
}

/** `subject: why: outcome`, and the option that raises `a`'s limit when it has one. */
function outcomeLine(a: Answer, subject: string, why: string, outcome: string): string {
  const raise = a.option === undefined ? '' : `; raise it with --${a.option}`;
  return `${subject}: ${why}: ${outcome}${raise}`;
}

/**
 * An answer as bytes, for a connection no HTTP server writes to (one node's parser gave up on, a
 * CONNECT, plain HTTP on a TLS port); the connection closes after it.
 */
export function rawAnswer(answer: Answer): string {
  const head = answerHeaders(answer, ['Connection', 'close']);
  let text = `HTTP/1.1 ${answer.status} ${answer.reason}\r\n`;
  for (let i = 0; i < head.length; i += 2) text += `${head[i]}: ${head[i + 1]}\r\n`;
  return text + '\r\n' + answer.body;
}

const refusals = new RateLimitedLog();

/**
 * The line of a request refused by a rule of the HTTP front (`rule` names it): at most one a
 * second per rule, then how many more, so that a flood of bad requests cannot flood the log.
 */
export function logRefusal(a: Answer, rule: string, subject: string, why: string): void {
  refusals.line(rule, answerLine(a, subject, why),
    (n) => `${n} more requests answered ${a.status} in the last second (${rule})`);
}
