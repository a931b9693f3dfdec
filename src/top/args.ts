// `nuwsgi top [OPTIONS] ADDR`: its own small command line, read apart from the server's options.
import { parseStatsTarget, type StatsTarget } from './stats-client.ts';

export const TOP_USAGE = [
  'Usage: nuwsgi top [--interval SECONDS] [--once] ADDR',
  '',
  'A live view of a running server, read from its stats server (--stats ADDR), nuwsgi\'s or uWSGI\'s.',
  'ADDR is HOST:PORT, :PORT, a unix socket path, @name, or http://HOST:PORT for --stats-http.',
  '',
  '  -i, --interval SECONDS  time between two readings (default 1)',
  '      --once              print one frame and exit (what it does when stdout is not a terminal)',
  '  -h, --help              this text',
  '',
  'Keys: q, Q or Ctrl-C quit.',
].join('\n') + '\n';

export interface TopOptions {
  target: StatsTarget;
  intervalMs: number;
  once: boolean;
}

export type TopCommand = { kind: 'help' } | ({ kind: 'run' } & TopOptions);

/** A command line `nuwsgi top` cannot run: it exits with code 2 and the usage. */
export class TopUsageError extends Error {
  override name = 'TopUsageError';
}

export function parseTopArgs(args: readonly string[]): TopCommand {
  let intervalMs = 1000;
  let once = false;
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const argument = args[i];
    const equals = argument.indexOf('=');
    const name = argument.startsWith('--') && equals !== -1 ? argument.slice(0, equals) : argument;
    if (argument === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    } else if (argument === '-h' || argument === '--help') {
      return { kind: 'help' };
    } else if (argument === '--once') {
      once = true;
    } else if (name === '--interval' || argument === '-i' || (argument.startsWith('-i') && !argument.startsWith('--'))) {
      let value: string | undefined;
      if (name === '--interval' && equals !== -1) value = argument.slice(equals + 1);
      else if (argument.startsWith('-i') && argument.length > 2) value = argument.slice(2);
      else value = args[++i];
      intervalMs = intervalOf(value);
    } else if (argument.startsWith('-') && argument !== '-') {
      throw new TopUsageError(`unknown option ${name}`);
    } else {
      positionals.push(argument);
    }
  }
  if (positionals.length === 0) throw new TopUsageError('no ADDR: name the stats server to read (the --stats address)');
  if (positionals.length > 1) throw new TopUsageError(`one ADDR only, not ${positionals.map((p) => `'${p}'`).join(' ')}`);
  let target: StatsTarget;
  try {
    target = parseStatsTarget(positionals[0]);
  } catch (err) {
    throw new TopUsageError(`bad ADDR: ${(err as Error).message}`);
  }
  return { kind: 'run', target, intervalMs, once };
}

function intervalOf(value: string | undefined): number {
  if (value === undefined || value === '') throw new TopUsageError('--interval needs a number of seconds, e.g. --interval 2');
  const seconds = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(seconds >= 0.1) || seconds > 3600) {
    throw new TopUsageError(`--interval ${value}: expected seconds from 0.1 to 3600, e.g. --interval 0.5`);
  }
  return Math.round(seconds * 1000);
}
