// The master's static-file server: the router's first decision for each request on an HTTP
// listener. A request under a mount whose file exists is answered here, from the cache when the
// file is small (cache.ts), else streamed from disk; no worker sees it. Everything else (no mount,
// no such file, another method) goes on to the app, as in uWSGI.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { ANSWERS, answerHeaders, logRefusal, type Answer } from '../../listeners/answers.ts';
import type { ParsedRequest, ResponseWriter } from '../../listeners/request.ts';
import { streamFile } from '../file-stream.ts';
import { entryFrom, FileCache, type CacheLimits, type Entry, type Representation } from './cache.ts';
import { findOnDisk } from './disk.ts';
import { lookUp } from './lookup.ts';
import { isPlainRequest, respondWithFile, type FileMeta } from './respond.ts';
import { contentTypeOf, type StaticRules } from './rules.ts';

/** How a static request ended, for the router's observers. */
export interface StaticOutcome {
  status: number;
  headers: readonly string[];
  bodyBytes: number;
}

/** Where a request goes when no static file answers it after all. */
export type ToApp = (request: ParsedRequest, writer: ResponseWriter, body: Readable | null) => void;

/** Called once per request answered here, when its response is complete (or cut short). */
export type StaticDone = (request: ParsedRequest, startedMs: number, outcome: StaticOutcome) => void;

const REASONS: Record<number, string> = { 200: 'OK', 206: 'Partial Content', 304: 'Not Modified' };

export class StaticFiles {
  private readonly rules: StaticRules;
  private readonly cache: FileCache;
  private readonly done: StaticDone;
  private readonly gzipPatterns: RegExp[];
  private readonly expires: Array<{ subject: string; pattern: RegExp | string; seconds: number; fromMtime: boolean }>;
  /** A plain 200's head is the same for every request (no expiry rule makes it depend on the time). */
  private readonly plainHeads: boolean;
  /** Lookups under way, by PATH_INFO: requests for a path being checked wait for the same answer. */
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(rules: StaticRules, limits: CacheLimits, done: StaticDone) {
    this.rules = rules;
    this.cache = new FileCache(limits);
    this.done = done;
    this.gzipPatterns = rules.gzip.patterns.map((p) => new RegExp(p));
    this.expires = rules.expires.map((e) => ({ ...e, pattern: e.subject === 'type' ? e.pattern : new RegExp(e.pattern) }));
    this.plainHeads = rules.expires.length === 0 && rules.serveMode === 'raw';
  }

  /**
   * Serves `request` if a mount has its file. Returns false when no mount could (the app gets it
   * now); true when it is taken, in which case `toApp` is called with it if the disk says the app
   * should have it after all.
   */
  serve(request: ParsedRequest, writer: ResponseWriter, body: Readable | null, toApp: ToApp): boolean {
    const method = request.method;
    // uWSGI serves only these; the app answers other methods, even under a mount
    if (method !== 'GET' && method !== 'HEAD') return false;
    const startedMs = Date.now();
    const path = request.path;
    const entry = this.cache.fresh(path, startedMs);
    if (entry !== undefined) {
      if (entry.kind === 'app') return false;
      this.answer(entry, request, writer, startedMs);
      return true;
    }
    const lookup = lookUp(this.rules, method, path);
    if (lookup.kind === 'app') return false;
    if (lookup.kind === 'refuse') {
      if (lookup.status === 403) this.refuse(ANSWERS.forbidden, lookup.why, request, writer, startedMs);
      else this.hide(request, writer, startedMs);
      return true;
    }
    let check = this.pending.get(path);
    if (check === undefined) {
      check = this.check(path, lookup.candidates);
      this.pending.set(path, check);
      const forget = () => this.pending.delete(path);
      check.then(forget, forget);
    }
    check.then((found) => {
      if (found.kind === 'app') toApp(request, writer, body);
      else this.answer(found, request, writer, startedMs);
    }, (err: Error) => {
      this.refuse(ANSWERS.internalError, `the static file cannot be read: ${err.message}`, request, writer, startedMs);
    });
    return true;
  }

  /** Asks the disk about `path`, keeps small files' bytes, and remembers the answer. */
  private async check(path: string, candidates: Parameters<typeof findOnDisk>[2]): Promise<Entry> {
    const found = await findOnDisk(this.rules, this.gzipPatterns, candidates);
    const entry = entryFrom(found, this.cache.previous(path), Date.now(), (file) => contentTypeOf(this.rules, file));
    if (entry.kind === 'file') {
      for (const rep of [entry.file, entry.br, entry.gzip]) {
        if (rep !== null && rep.data === null && this.cache.keeps(rep.stat.size)) rep.data = await readWhole(rep);
      }
    }
    this.cache.set(path, entry);
    return entry;
  }

  private answer(entry: Exclude<Entry, { kind: 'app' }>, request: ParsedRequest, writer: ResponseWriter, startedMs: number): void {
    if (entry.kind === 'refuse') {
      this.refuse(ANSWERS.forbidden, entry.why, request, writer, startedMs);
      return;
    }
    const encoding = entry.compressible ? chooseEncoding(request.headers.get('HTTP_ACCEPT_ENCODING'), entry) : null;
    const rep = encoding === 'br' ? entry.br! : encoding === 'gzip' ? entry.gzip! : entry.file;
    // the common case, a hot file asked for plainly: its head is made once, by the first such
    // request below, and kept (the rest would make the same one each time)
    const plain = this.plainHeads && rep.data !== null && isPlainRequest(request.headers);
    if (plain && rep.plainHead !== null) {
      this.sendPlain(rep, rep.plainHead, request, writer, startedMs);
      return;
    }
    const meta: FileMeta = {
      size: rep.stat.size,
      mtimeMs: rep.stat.mtimeMs,
      etag: rep.etag,
      lastModified: rep.lastModified,
      contentType: entry.contentType,
      encoding,
      varies: entry.compressible,
      expires: null,
    };
    if (this.expires.length > 0) meta.expires = this.expiryOf(entry.file.path, request, meta.contentType);
    if (this.rules.serveMode !== 'raw') {
      this.nameFile(rep, meta, request, writer, startedMs);
      return;
    }
    const res = respondWithFile(request.method, request.headers, meta, startedMs);
    if (res.status === 412 || res.status === 416) {
      const answer = res.status === 412 ? ANSWERS.preconditionFailed : ANSWERS.rangeNotSatisfiable;
      const more = res.status === 416 ? ['Content-Range', `bytes */${meta.size}`] : [];
      this.answerWith(answer, request, writer, startedMs, more);
      return;
    }
    if (rep.data === null && res.length > 0) {
      this.stream(rep, res.start, res.length, { status: res.status, headers: res.headers, bodyBytes: 0 }, request, writer, startedMs);
      return;
    }
    if (plain) {
      rep.plainHead = res.headers;
      this.sendPlain(rep, rep.plainHead, request, writer, startedMs);
      return;
    }
    if (!this.writeHead(res.status, res.headers, request, writer, startedMs)) return;
    const body = rep.data === null || res.length === 0 ? null
      : res.length === rep.data.length ? rep.data : rep.data.subarray(res.start, res.start + res.length);
    writer.end(body);
    this.done(request, startedMs, { status: res.status, headers: res.headers, bodyBytes: res.length });
  }

  /** A whole file from memory; `head` is kept, so the writer gets a copy. */
  private sendPlain(rep: Representation, head: string[], request: ParsedRequest, writer: ResponseWriter, startedMs: number): void {
    if (!this.writeHead(200, head.slice(), request, writer, startedMs)) return;
    const headOnly = request.method === 'HEAD';
    writer.end(headOnly ? null : rep.data);
    this.done(request, startedMs, { status: 200, headers: head, bodyBytes: headOnly ? 0 : rep.data!.length });
  }

  /** file-serve-mode: the front server sends the file that X-Sendfile / X-Accel-Redirect names. */
  private nameFile(rep: Representation, meta: FileMeta, request: ParsedRequest, writer: ResponseWriter, startedMs: number): void {
    const header = this.rules.serveMode === 'x-sendfile' ? 'X-Sendfile' : 'X-Accel-Redirect';
    const head = ['Content-Type', meta.contentType, 'Last-Modified', meta.lastModified, header, rep.path, 'Content-Length', '0'];
    if (meta.encoding !== null) head.push('Content-Encoding', meta.encoding);
    if (!this.writeHead(200, head, request, writer, startedMs)) return;
    writer.end(null);
    this.done(request, startedMs, { status: 200, headers: head, bodyBytes: 0 });
  }

  /** A large file, read from disk as the client takes it; its head goes out once it is open. */
  private stream(rep: Representation, start: number, length: number, outcome: StaticOutcome, request: ParsedRequest,
    writer: ResponseWriter, startedMs: number): void {
    fs.open(rep.path, 'r', (err, fd) => {
      if (err !== null) {
        // gone since it was looked up: as if it had never been there
        this.answerWith(ANSWERS.notFound, request, writer, startedMs);
        return;
      }
      if (!this.writeHead(outcome.status, [...outcome.headers], request, writer, startedMs)) {
        fs.close(fd, () => {});
        return;
      }
      const finish = (sent: number, error: Error | null) => {
        fs.close(fd, () => {});
        if (error === null) writer.end(null);
        else writer.abort();
        this.done(request, startedMs, { ...outcome, bodyBytes: sent });
      };
      const sending = streamFile(fd, start, length, writer, finish);
      // the stream then calls finish itself, once no read of fd is in progress
      writer.onClientGone(() => sending.cancel());
    });
  }

  private writeHead(status: number, head: string[], request: ParsedRequest, writer: ResponseWriter, startedMs: number): boolean {
    const refused = writer.head(status, REASONS[status] ?? 'OK', head);
    if (refused === undefined) return true;
    this.refuse(ANSWERS.internalError, `the static file's head cannot be sent: ${refused}`, request, writer, startedMs);
    return false;
  }

  private refuse(answer: Answer, why: string, request: ParsedRequest, writer: ResponseWriter, startedMs: number): void {
    logRefusal(answer, `static ${answer.status}`, `${request.method} ${request.uri} from ${request.remoteAddr}`, why);
    this.answerWith(answer, request, writer, startedMs);
  }

  /** A dot file: not found, as if it were not there (the request line alone says so, as nginx's access log). */
  private hide(request: ParsedRequest, writer: ResponseWriter, startedMs: number): void {
    this.answerWith(ANSWERS.notFound, request, writer, startedMs);
  }

  private answerWith(answer: Answer, request: ParsedRequest, writer: ResponseWriter, startedMs: number, more: string[] = []): void {
    writer.answer(answer, more);
    this.done(request, startedMs, {
      status: answer.status, headers: answerHeaders(answer, more), bodyBytes: request.method === 'HEAD' ? 0 : answer.body.length,
    });
  }

  /** The first expiry rule that matches, in uWSGI's order (rules.ts). */
  private expiryOf(file: string, request: ParsedRequest, contentType: string): FileMeta['expires'] {
    const type = contentType.split(';')[0];
    for (const rule of this.expires) {
      const subject = rule.subject === 'filename' ? file : rule.subject === 'path_info' ? request.path : rule.subject === 'uri' ? request.uri : type;
      if (typeof rule.pattern === 'string' ? rule.pattern === subject : rule.pattern.test(subject)) {
        return { seconds: rule.seconds, fromMtime: rule.fromMtime };
      }
    }
    return null;
  }
}

/** `br`, then `gzip`, when the client accepts it (q > 0) and the sibling exists; null for the file itself. */
function chooseEncoding(accept: string | undefined, entry: { br: Representation | null; gzip: Representation | null }): 'br' | 'gzip' | null {
  if (accept === undefined) return null;
  if (entry.br !== null && accepts(accept, 'br')) return 'br';
  if (entry.gzip !== null && accepts(accept, 'gzip')) return 'gzip';
  return null;
}

/** Whether an Accept-Encoding value accepts `coding` (by name or `*`) with a non-zero q. */
export function accepts(accept: string, coding: string): boolean {
  let star = false;
  for (const part of accept.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (name.trim() === coding) return ok;
    if (name.trim() === '*') star = ok;
  }
  return star;
}

/**
 * The whole file, read once to be kept; null when it changed size or went away meanwhile (it is
 * then streamed, or found missing, at the request).
 */
async function readWhole(rep: Representation): Promise<Buffer | null> {
  try {
    const data = await fs.promises.readFile(rep.path);
    return data.length === rep.stat.size ? data : null;
  } catch {
    return null;
  }
}
