// Where a server's CPU goes: the user + system time of its processes, read from /proc before and
// after a measurement and divided by the requests answered meanwhile.
import fs from 'node:fs';
import { childPids } from '../test/helpers/nginx.ts';
import type { Sample } from './harness.ts';

/** The kernel reports /proc/PID/stat times in USER_HZ ticks, 100 per second on Linux. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) `pid` has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "PID (comm) STATE PPID ...": utime and stime are fields 14 and 15, counted from after the comm.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...childPids(pid).flatMap(processTree)];
}

/** A server's processes by group (e.g. master, workers), as they are now. */
export type ProcessGroups = Record<string, number[]>;

/**
 * What a measurement calls when the part of it that its sample counts starts and ends, if that is
 * not the whole of it (h2load's own warm-up, say, is not counted).
 */
export interface CpuWindow {
  start(): void;
  end(): void;
}

/**
 * Runs `measure`, and adds to its sample `cpu`, the server's CPU time per request in µs, and
 * `cpu.GROUP` for each group. `requests` turns the sample into the number of requests answered.
 */
export async function withCpu(groups: ProcessGroups, measure: (window: CpuWindow) => Promise<Sample>,
  requests: (s: Sample) => number): Promise<Sample> {
  const used = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) =>
    [name, pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)]));
  let before = used();
  let end: Record<string, number> | undefined;
  const sample = await measure({ start: () => { before = used(); }, end: () => { end = used(); } });
  const after = end ?? used();
  const n = requests(sample);
  if (n === 0) return sample;
  const perRequest = Object.fromEntries(Object.keys(groups).map((name) => [`cpu.${name}`, (after[name]! - before[name]!) / n * 1e6]));
  return { ...sample, ...perRequest, cpu: Object.values(perRequest).reduce((a, b) => a + b, 0) };
}
