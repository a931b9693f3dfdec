// Users and groups: the owner of unix socket files (chown-socket) and the identity the server runs
// as once its listeners are bound (uid, gid). Numbers are taken as they are; names are looked up in
// /etc/passwd and /etc/group.
import fs from 'node:fs';
import { log } from '../observe/log.ts';

interface User {
  uid: number;
  /** Known when the user is in /etc/passwd. */
  name: string | undefined;
  primaryGid: number | undefined;
}

const NUMBER = /^\d+$/;

/** The colon-separated records of /etc/passwd or /etc/group. */
function records(file: string): string[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(':'));
}

/** A user name or number. Throws when a name is unknown. */
export function lookupUser(text: string): User {
  const numeric = NUMBER.test(text);
  const record = records('/etc/passwd').find((fields) => (numeric ? fields[2] === text : fields[0] === text));
  if (record !== undefined) return { uid: Number(record[2]), name: record[0], primaryGid: Number(record[3]) };
  if (numeric) return { uid: Number(text), name: undefined, primaryGid: undefined };
  throw new Error(`there is no user '${text}' in /etc/passwd (give a name from it, or a number)`);
}

/** A group name or number. Throws when a name is unknown. */
export function lookupGroup(text: string): number {
  if (NUMBER.test(text)) return Number(text);
  const record = records('/etc/group').find((fields) => fields[0] === text);
  if (record === undefined) throw new Error(`there is no group '${text}' in /etc/group (give a name from it, or a number)`);
  return Number(record[2]);
}

/** chown-socket's `user[:group]`; -1 leaves the group as it is. Throws when a name is unknown. */
export function socketOwner(text: string): { uid: number; gid: number } {
  const colon = text.indexOf(':');
  if (colon === -1) return { uid: lookupUser(text).uid, gid: -1 };
  return { uid: lookupUser(text.slice(0, colon)).uid, gid: lookupGroup(text.slice(colon + 1)) };
}

/**
 * Becomes `uid`/`gid` for good (the workers, spawned afterwards, inherit it). Without `gid`, a user
 * from /etc/passwd gets its own primary group, so that dropping root never keeps group 0. Started
 * as root, the supplementary groups become the user's own (initgroups), or just `gid` when no user
 * is named. Throws with the reason when the switch is refused.
 */
export function dropPrivileges(uidText: string | undefined, gidText: string | undefined): void {
  if (uidText === undefined && gidText === undefined) return;
  const { setuid, setgid, setgroups, getuid } = process;
  // in node since 0.9, but missing from @types/node
  const { initgroups } = process as NodeJS.Process & { initgroups?: (user: string, extraGroup: number) => void };
  if (setuid === undefined || setgid === undefined || setgroups === undefined || initgroups === undefined || getuid === undefined) {
    throw new Error('changing user is not supported on this platform');
  }
  const user = uidText === undefined ? undefined : lookupUser(uidText);
  const gid = gidText !== undefined ? lookupGroup(gidText) : user?.primaryGid;
  const asRoot = getuid() === 0;
  if (gid !== undefined) {
    setgid(gid);
    if (asRoot) {
      if (user?.name !== undefined) initgroups(user.name, gid);
      else setgroups([gid]);
    }
    log(`setgid() to ${gid}`);
  }
  if (user !== undefined) {
    setuid(user.uid);
    log(`setuid() to ${user.uid}`);
  }
}
