// nuwsgi's own version, from its package.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version field of nuwsgi's package.json. This module runs from dist/src/config/ once built
 * (and could run from src/config/ under a TypeScript loader), so rather than counting directories
 * it walks up until it finds the package.json named "nuwsgi".
 */
export function packageVersion(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  let directory = start;
  for (;;) {
    const manifest = readManifest(path.join(directory, 'package.json'));
    if (manifest?.name === 'nuwsgi' && typeof manifest.version === 'string') return manifest.version;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`cannot find nuwsgi's package.json above ${start}`);
    directory = parent;
  }
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as { name?: unknown; version?: unknown };
}
