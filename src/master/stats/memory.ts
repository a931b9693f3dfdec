// A process's memory as the kernel reports it (/proc/PID/status on Linux): what the stats server,
// the metrics and reload-on-rss read. uWSGI fills rss and vsz only with --memory-report; the
// master reads them for every worker, since a read of /proc costs it a few microseconds.
import fs from 'node:fs';

export interface ProcessMemory {
  /** Resident set size, bytes (VmRSS). */
  rss: number;
  /** Virtual size, bytes (VmSize). */
  vsz: number;
}

/** The memory of process `pid`; undefined when it cannot be read (it exited, or not Linux). */
export function processMemory(pid: number): ProcessMemory | undefined {
  let status;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const vsz = /^VmSize:\s+(\d+) kB/m.exec(status);
  if (rss === null || vsz === null) return undefined;
  return { rss: Number(rss[1]) * 1024, vsz: Number(vsz[1]) * 1024 };
}
