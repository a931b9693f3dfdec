// The spellings of a static path that tries to leave its mount (`/static` served from a directory
// beside which lies `secret.txt`). Each is refused in the lookup itself (403, or 404 for a name
// that reads as a dot file), or names a file under the mount that does not exist, so that the app
// answers it ('app'). test/static-lookup.test.ts checks the lookup; the listeners' tests send each
// target and check that no byte of the file outside ever comes back.
import { percentDecodeLatin1 } from '../../src/listeners/environ.ts';

export interface Traversal {
  spelling: string;
  /** The request target as sent. */
  target: string;
  /** PATH_INFO, as a listener decodes it (latin-1 bytes). */
  pathInfo: string;
  status: 403 | 404 | 'app';
}

const TABLE: Array<[string, string, 403 | 404 | 'app']> = [
  ['../', '/static/../secret.txt', 403],
  ['../../ to /etc', '/static/../../../../etc/passwd', 403],
  ['.. deeper down', '/static/sub/../../secret.txt', 403],
  ['.. at the end', '/static/..', 403],
  ['./', '/static/./../secret.txt', 403],
  ['doubled slash then ..', '/static//../secret.txt', 403],
  ['%2e%2e', '/static/%2e%2e/secret.txt', 403],
  ['%2E%2E', '/static/%2E%2E/secret.txt', 403],
  ['.%2e', '/static/.%2e/secret.txt', 403],
  ['..%2f', '/static/..%2fsecret.txt', 403],
  ['..%2F', '/static/..%2Fsecret.txt', 403],
  ['%2e%2e%2f', '/static/%2e%2e%2fsecret.txt', 403],
  ['backslash', '/static/..\\secret.txt', 403],
  ['%5c', '/static/..%5csecret.txt', 403],
  ['%5C', '/static/..%5Csecret.txt', 403],
  ['overlong . (%c0%ae)', '/static/%c0%ae%c0%ae/secret.txt', 403],
  ['overlong / (%c0%af)', '/static/..%c0%afsecret.txt', 403],
  ['overlong . (%e0%80%ae)', '/static/%e0%80%ae%e0%80%ae/secret.txt', 403],
  ['a lone %ff', '/static/%ff', 403],
  ['NUL', '/static/secret.txt%00.css', 403],
  ['..; (a path parameter)', '/static/..;/secret.txt', 404],
  ['three dots', '/static/.../secret.txt', 404],
  ['a dot file', '/static/.env', 404],
  ['a dot directory', '/static/.git/config', 404],
  ['%252e%252e (encoded twice)', '/static/%252e%252e/secret.txt', 'app'],
  ['%u002e', '/static/%u002e%u002e/secret.txt', 'app'],
  ['an absolute path after the mount', '/static//etc/passwd', 'app'],
];

export const TRAVERSALS: Traversal[] = TABLE.map(([spelling, target, status]) => ({
  spelling, target, pathInfo: percentDecodeLatin1(target), status,
}));
