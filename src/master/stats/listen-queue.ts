// How many connections wait in the kernel's accept queue of a listening TCP socket: the
// `rx_queue` column of /proc/net/tcp and tcp6 for a socket in the LISTEN state, found by the
// socket's inode. uWSGI reads the same number with TCP_INFO. The kernel does not report it for
// unix sockets (uWSGI needs a patched kernel for it), so those read 0.
import fs from 'node:fs';

const LISTEN_STATE = '0A';

/** The inode of the socket behind descriptor `fd` of this process, or undefined. */
export function socketInode(fd: number): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/** The accept queue length of every listening TCP socket of the machine, by inode. */
export function tcpListenQueues(): Map<string, number> {
  const queues = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN_STATE) continue;
      const rxQueue = fields[4].split(':')[1];
      queues.set(fields[9], parseInt(rxQueue, 16));
    }
  }
  return queues;
}
