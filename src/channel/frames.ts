// Frame types and flags of the master <-> worker channel. docs/channel.md is the specification;
// python/nuwsgi_worker/channel.py mirrors these numbers.

export const HEADER_SIZE = 12;
/** Largest payload a frame may carry; anything above means the channel is broken. */
export const MAX_PAYLOAD = 1 << 24;

/** Master -> worker. */
export const CONFIG = 0x01;
export const REQUEST = 0x02;
export const BODY = 0x03;
export const BODY_END = 0x04;
export const RESPONSE_CREDIT = 0x05;
export const CANCEL = 0x06;
export const STOP = 0x07;
/** Accept no connection on the uwsgi sockets until RESUME (the master is paused). */
export const PAUSE = 0x08;
export const RESUME = 0x09;
/** The answer to RESPONSE_FILE: a u8, 1 when the master sends the file, 0 when the worker must. */
export const FILE_TAKEN = 0x0a;

/** Master -> zygote (after CONFIG): fork a worker; JSON {"token"} names it (docs/channel.md). */
export const FORK = 0x0b;

/** Worker -> master. */
export const READY = 0x41;
export const RESPONSE_HEAD = 0x42;
export const RESPONSE_BODY = 0x43;
export const RESPONSE_END = 0x44;
export const RESPONSE_ABORT = 0x45;
export const BODY_CREDIT = 0x46;
/** The worker's code changed on disk (py-autoreload): stop it and start a new one. */
export const RELOAD = 0x47;
/** A request the worker served on a uwsgi socket it accepted on: the record of its outcome. */
export const REQUEST_DONE = 0x48;
/** A request on a uwsgi socket ran past harakiri: the worker answered for it and must be replaced. */
export const HARAKIRI = 0x49;
/** A response body the master may send itself: a region of a regular file the worker holds open. */
export const RESPONSE_FILE = 0x4a;
/** The app raised an exception for a request (uWSGI's per-worker `exceptions` count). */
export const APP_EXCEPTION = 0x4b;

/** Zygote -> master: JSON {"token", "pid"} of a worker it forked. */
export const FORKED = 0x4c;
/** Zygote -> master: JSON {"pid", "code", "signal"} of a forked worker that exited (signal is a number). */
export const FORK_EXIT = 0x4d;
/** A forked worker -> master, first on each connection it opens: JSON {"token", "stream", "pid"}. */
export const HELLO = 0x4e;

/** REQUEST flags. */
export const FLAG_HAS_BODY = 0x01;
export const FLAG_EXPECT_CONTINUE = 0x02;
/** BODY_END flag: the client went away before the end of the body. */
export const FLAG_ABORTED = 0x01;

const workerToMaster = new Set([READY, RESPONSE_HEAD, RESPONSE_BODY, RESPONSE_END, RESPONSE_ABORT, BODY_CREDIT, RELOAD,
  REQUEST_DONE, HARAKIRI, RESPONSE_FILE, APP_EXCEPTION]);
const masterToWorker = new Set([CONFIG, REQUEST, BODY, BODY_END, RESPONSE_CREDIT, CANCEL, STOP, PAUSE, RESUME, FILE_TAKEN]);

export function isWorkerFrame(type: number): boolean {
  return workerToMaster.has(type);
}

/** What a zygote sends on its channel. */
export function isZygoteFrame(type: number): boolean {
  return type === READY || type === FORKED || type === FORK_EXIT;
}

export function isMasterFrame(type: number): boolean {
  return masterToWorker.has(type);
}

/** The frames that carry body bytes: a decoder hands their payload out in pieces as it arrives. */
export function isBodyFrame(type: number): boolean {
  return type === BODY || type === RESPONSE_BODY;
}
