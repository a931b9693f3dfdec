// What the HTTP/2 limit and attack tests run against: a server on loopback given nuwsgi options
// (the http2-* ones), its log, and a normal client's request on a connection of its own.
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '../../src/config/index.ts';
import { h2OptionsFrom } from '../../src/master/listener-set.ts';
import { logToFile } from '../../src/observe/log.ts';
import { h2Connect, h2Request, startInProcessFront, type H2Reply } from './h2-front.ts';
import { tempDir, waitFor } from './wire.ts';

export interface H2Target {
  port: number;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startH2Target(args: string[]): Promise<H2Target> {
  const command = parseCommandLine(['--http', ':0', '--wsgi-file', 'app.py', ...args], {});
  if (command.kind !== 'serve') throw new Error(`not a serving command line: ${args.join(' ')}`);
  const dir = tempDir();
  const logFile = path.join(dir, 'log');
  logToFile(logFile);
  const front = await startInProcessFront(h2OptionsFrom(command.config), true);
  const output = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  return {
    port: front.port,
    output,
    waitForOutput: (pattern, timeoutMs = 10_000) => waitFor(() => pattern.test(output()), timeoutMs, `${pattern} in the log:\n${output()}`),
    stop: async () => {
      await front.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A GET on a connection of its own, as a client that has nothing to do with an attack. */
export async function normalRequest(port: number): Promise<H2Reply> {
  const session = await h2Connect(port);
  try {
    return await h2Request(session, { ':path': '/normal' });
  } finally {
    session.close();
  }
}
