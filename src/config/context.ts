// What loading a configuration depends on besides the files themselves: the working directory that
// relative paths start from, the environment that $(VAR) and if-env read, and the facts the magic
// variables report (%h hostname, %k CPU count, %t start time...). Tests pass their own.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVersion } from './version.ts';

export interface LoadContext {
  /** The working directory at startup: relative paths in the configuration start here (`%v`). */
  cwd: string;
  /** The process environment: `$(VAR)`, `if-env`. */
  env: NodeJS.ProcessEnv;
  /** `%h` */
  hostname: string;
  /** `%k` */
  cpus: number;
  /** `%V`: nuwsgi's version. */
  version: string;
  /** `%b`: the nuwsgi program. */
  binary: string;
  /** `%t`, `%T`: when nuwsgi started, in microseconds since the epoch. */
  startMicroseconds: number;
  /** `%u`, `%U`, `%g`, `%G` */
  uid: number;
  user: string;
  gid: number;
  group: string;
}

/** The context of this process. */
export function processContext(env: NodeJS.ProcessEnv): LoadContext {
  const user = os.userInfo();
  return {
    cwd: process.cwd(),
    env,
    hostname: os.hostname(),
    cpus: os.cpus().length,
    version: packageVersion(),
    binary: process.argv[1] === undefined ? process.execPath : path.resolve(process.argv[1]),
    startMicroseconds: Math.round((performance.timeOrigin + performance.now()) * 1000),
    uid: user.uid,
    user: user.username,
    gid: user.gid,
    group: groupName(user.gid),
  };
}

/** The name of group `gid` from /etc/group (Node has no getgrgid), or the number itself. */
function groupName(gid: number): string {
  let groups: string;
  try {
    groups = readFileSync('/etc/group', 'utf8');
  } catch {
    return String(gid);
  }
  for (const line of groups.split('\n')) {
    const [name, , id] = line.split(':');
    if (id === String(gid) && name !== undefined) return name;
  }
  return String(gid);
}
