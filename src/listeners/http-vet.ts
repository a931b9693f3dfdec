// The rules a parsed HTTP/1.x head (or an HTTP/2 request's) must pass before anything else sees
// it, on top of what node's parsers (llhttp, nghttp2) refuse themselves: RFC 9112's framing and
// target rules that they let through, and the limits of our own. Each refusal is an answer from the table and names its rule for the log line;
// docs/compat.md ("Request limits and refusals") lists them all.
import { ANSWERS } from './answers.ts';
import type { HttpHead } from './http-request.ts';
import type { Refusal } from './request.ts';

/** The fields the rules look at, gathered in one pass over the raw headers. */
interface Framing {
  hosts: string[];
  contentLengths: number;
  contentTypes: number;
  /** Transfer-Encoding's values, joined as one list; undefined without the header. */
  transferEncoding: string | undefined;
}

/** Trailer fields that would change how the request is routed or framed (RFC 9110 §6.5.1). */
const FORBIDDEN_TRAILERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'content-type', 'content-encoding', 'content-range', 'trailer',
  'authorization', 'cookie', 'expect', 'connection', 'keep-alive', 'te', 'upgrade', 'cache-control', 'range',
]);

function refusal(answer: Refusal['answer'], rule: string, why: string): Refusal {
  return { answer, rule, why };
}

/** The first rule `head` breaks, or undefined. `maxHeaders` is http-max-headers. */
export function vetHttpHead(head: HttpHead, maxHeaders: number): Refusal | undefined {
  const { versionMajor: major, versionMinor: minor, method, url } = head;
  if (major !== 1 || minor > 1) {
    return refusal(ANSWERS.versionNotSupported, 'version', `HTTP/${major}.${minor} is not supported (only HTTP/1.0 and HTTP/1.1)`);
  }
  const framing = vetFields(head.rawHeaders, maxHeaders);
  if (!('hosts' in framing)) return framing;
  if (framing.hosts.length === 0 && minor === 1) {
    return refusal(ANSWERS.badRequest, 'missing Host', 'an HTTP/1.1 request without a Host header field (RFC 9112 §3.2)');
  }
  const te = framing.transferEncoding;
  if (te !== undefined) {
    if (minor === 0) return refusal(ANSWERS.badRequest, 'HTTP/1.0 transfer coding', 'Transfer-Encoding on an HTTP/1.0 request (RFC 9112 §6.1)');
    if (te.trim().toLowerCase() !== 'chunked') {
      return refusal(ANSWERS.badRequest, 'transfer coding', `Transfer-Encoding "${te}": only chunked is accepted`);
    }
  }
  const asterisk = vetAsteriskTarget(method, url);
  if (asterisk !== undefined) return asterisk;
  if (url.charCodeAt(0) !== 47 /* '/' */ && url !== '*') {
    const authority = absoluteFormAuthority(url);
    if (authority === undefined) return refusal(ANSWERS.badRequest, 'target', 'a request target that is neither a path nor an absolute URL');
    if (framing.hosts.length === 1 && sameAuthority(url, authority, framing.hosts[0]) === false) {
      return refusal(ANSWERS.badRequest, 'absolute target', `an absolute-form target for ${authority}, not for the Host ${framing.hosts[0]}`);
    }
  }
  return undefined;
}

/**
 * The first rule an HTTP/2 request breaks, or undefined: those of HTTP/1.1 that HTTP/2 keeps.
 * nghttp2 has already refused what HTTP/2 itself forbids (connection-specific fields,
 * Transfer-Encoding, a :path that is neither a path nor `*`, a Content-Length its DATA belies);
 * `rawHeaders` has the :authority as Host when the request had no Host field.
 */
export function vetH2Head(method: string, path: string, rawHeaders: readonly string[], maxHeaders: number): Refusal | undefined {
  const framing = vetFields(rawHeaders, maxHeaders);
  if (!('hosts' in framing)) return framing;
  return vetAsteriskTarget(method, path);
}

/** The rules on the fields of every HTTP version: their count, and at most one Host, Content-Length and Content-Type. */
function vetFields(raw: readonly string[], maxHeaders: number): Framing | Refusal {
  const fields = raw.length >> 1;
  if (fields > maxHeaders) {
    return refusal(ANSWERS.tooManyHeaders, 'header count', `more than http-max-headers (${maxHeaders}) header fields`);
  }
  const framing = readFraming(raw);
  for (const [count, name] of [[framing.hosts.length, 'Host'], [framing.contentLengths, 'Content-Length'], [framing.contentTypes, 'Content-Type']] as const) {
    if (count > 1) return refusal(ANSWERS.badRequest, `duplicate ${name}`, `${count} ${name} header fields`);
  }
  return framing;
}

function vetAsteriskTarget(method: string, url: string): Refusal | undefined {
  if (url === '*' && method !== 'OPTIONS') {
    return refusal(ANSWERS.badRequest, 'asterisk target', `${method} * (the asterisk-form is for OPTIONS only)`);
  }
  return undefined;
}

/** The trailer fields of a chunked body that are refused: they must never change the request after its head. */
export function vetTrailers(rawTrailers: readonly string[]): Refusal | undefined {
  for (let i = 0; i < rawTrailers.length; i += 2) {
    if (FORBIDDEN_TRAILERS.has(rawTrailers[i].toLowerCase())) {
      return refusal(ANSWERS.badRequest, 'trailer field', `a ${rawTrailers[i]} field in the chunked body's trailer`);
    }
  }
  return undefined;
}

function readFraming(raw: readonly string[]): Framing {
  const framing: Framing = { hosts: [], contentLengths: 0, contentTypes: 0, transferEncoding: undefined };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // the length first: most fields are none of these, and it spares the lowercasing
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') framing.hosts.push(raw[i + 1]);
        break;
      case 12:
        if (name.toLowerCase() === 'content-type') framing.contentTypes++;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') framing.contentLengths++;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          framing.transferEncoding = framing.transferEncoding === undefined ? raw[i + 1] : `${framing.transferEncoding}, ${raw[i + 1]}`;
        }
        break;
    }
  }
  return framing;
}

/** Whether an absolute-form target's authority names the Host, the scheme's default port written or not. */
function sameAuthority(url: string, authority: string, host: string): boolean {
  const defaultPort = url.charCodeAt(4) === 115 /* 's' of https */ ? ':443' : ':80';
  const normal = (text: string) => {
    const lower = text.trim().toLowerCase();
    return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
  };
  return normal(authority) === normal(host);
}

/** `http://host:8000/path` -> `host:8000`; undefined when the target is not an http(s) URL. */
function absoluteFormAuthority(target: string): string | undefined {
  const match = /^https?:\/\/([^/?#]*)/i.exec(target);
  return match === null ? undefined : match[1];
}
