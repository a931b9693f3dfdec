// Offloaded file_wrapper downloads (docs/channel.md, RESPONSE_FILE): a worker names a region of a
// regular file it holds open; the master opens the same file through /proc/<pid>/fd/<fd>, answers
// FILE_TAKEN, and sends the region to the client (file-stream.ts) while the worker goes on to its
// next request. When the master cannot open it, it answers FILE_TAKEN 0 and the worker sends the
// bytes itself. FileOffloads counts the files being sent, so that a graceful stop waits for them.
import fs from 'node:fs';
import { decodeFileRegion, type FileRegion } from '../channel/records.ts';
import type { ResponseWriter } from '../listeners/request.ts';
import { log } from '../observe/log.ts';
import type { ExchangeCarrier } from './carrier.ts';
import { streamFile } from './file-stream.ts';
import { WorkCount } from './work-count.ts';

/**
 * Read-only, and never waiting: a descriptor that turned out to be a FIFO must not block the
 * thread that opens it (and no terminal becomes the master's). fstat then refuses anything but a
 * regular file.
 */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** What an offloaded file needs of the response it is the body of (the exchange). */
export interface FileResponse {
  /** `GET /path`, for log lines. */
  readonly subject: string;
  /**
   * Writes what goes out before the file (the head, a chunk held back) and returns the writer the
   * file goes through; null when the response can take nothing more (the client went away).
   */
  startFile(): ResponseWriter | null;
  /**
   * The file is over: `sent` bytes of it went to the writer, all that was announced unless
   * `broken` (the response was then aborted, unless it had been stopped). Called once for every
   * FileSend, also when the master did not take the file (0, false).
   */
  fileDone(send: FileSend, sent: number, broken: boolean): void;
}

/** The files the master is sending for workers, and what it could not take (each reason logged once). */
export class FileOffloads {
  /** Files being sent now. */
  readonly sending = new WorkCount();
  private readonly refusals = new Set<string>();

  /** A RESPONSE_FILE for request `id` on `carrier`: start() it with the frame's payload. */
  prepare(response: FileResponse, carrier: ExchangeCarrier, id: number): FileSend {
    return new FileSend(this, response, carrier, id);
  }

  /** @internal Logs why a file could not be taken, the first time this reason comes. */
  refused(kind: string, line: string): void {
    if (this.refusals.has(kind)) return;
    this.refusals.add(kind);
    log(`${line}; the worker sends such files itself (logged once)`);
  }
}

/** One RESPONSE_FILE: opening the worker's file, answering FILE_TAKEN, then sending it. */
export class FileSend {
  private readonly offloads: FileOffloads;
  private readonly response: FileResponse;
  private readonly carrier: ExchangeCarrier;
  private readonly id: number;
  /** The response wants no more of it (the client went away, the worker died). */
  private stopped = false;
  private stream: { cancel(): void } | null = null;

  constructor(offloads: FileOffloads, response: FileResponse, carrier: ExchangeCarrier, id: number) {
    this.offloads = offloads;
    this.response = response;
    this.carrier = carrier;
    this.id = id;
  }

  /** Opens the file RESPONSE_FILE's `payload` names; FILE_TAKEN follows once it is known whether the master can send it. */
  start(payload: Buffer): void {
    const region = decodeFileRegion(payload);
    if (region === undefined) {
      this.refuse('payload', `worker (pid: ${this.carrier.pid}) sent a RESPONSE_FILE of ${payload.length} bytes that names no file region`);
      return;
    }
    // the same open file as the worker's, whatever became of its name: the worker keeps its
    // descriptor open until FILE_TAKEN, so the entry is there while this opens it
    const path = `/proc/${this.carrier.pid}/fd/${region.fd}`;
    fs.open(path, OPEN_FLAGS, (err, fd) => {
      if (err !== null) {
        this.refuse(`open ${err.code ?? err.message}`, `cannot open ${path} to send a worker's file: ${err.message}`);
        return;
      }
      fs.fstat(fd, (statErr, stats) => {
        const why = statErr !== null ? ['fstat', `fstat: ${statErr.message}`] : unsendable(stats, region);
        if (why === null) {
          this.send(fd, region);
          return;
        }
        fs.close(fd, ignore);
        this.refuse(why[0], `cannot send the file of ${path}: ${why[1]}`);
      });
    });
  }

  /** The response wants no more of the file: it stops (fileDone follows). */
  cancel(): void {
    this.stopped = true;
    this.stream?.cancel();
  }

  private send(fd: number, region: FileRegion): void {
    const writer = this.stopped ? null : this.response.startFile();
    if (writer === null) {
      fs.close(fd, ignore);
      this.refuse(null, '');
      return;
    }
    this.carrier.sendFileTaken(this.id, true);
    this.offloads.sending.began();
    this.stream = streamFile(fd, region.offset, region.count, writer, (sent, error) => {
      this.stream = null;
      fs.close(fd, ignore);
      this.offloads.sending.ended();
      if (error !== null && !this.stopped) {
        log(`${this.response.subject}: ${error.message}: response cut short`);
        writer.abort();
      }
      this.response.fileDone(this, sent, error !== null);
    });
  }

  /** FILE_TAKEN 0: the worker sends the file. `kind` null: nothing to log (the response is gone). */
  private refuse(kind: string | null, line: string): void {
    if (kind !== null && !this.stopped) this.offloads.refused(kind, line);
    this.carrier.sendFileTaken(this.id, false);
    this.response.fileDone(this, 0, false);
  }
}

/** Why the master cannot send `region` of the file `stats` describes (its kind and the words), or null when it can. */
function unsendable(stats: fs.Stats, region: FileRegion): [string, string] | null {
  if (!stats.isFile()) return ['type', 'not a regular file'];
  const end = region.offset + region.count;
  if (stats.size < end) return ['size', `it has ${stats.size} bytes, fewer than the ${end} announced`];
  return null;
}

function ignore(): void {
  // closing a descriptor only read from: nothing to report
}
