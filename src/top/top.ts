// `nuwsgi top ADDR`: reads the stats server every interval and draws the view. On a terminal it
// takes the screen until q, Q or Ctrl-C (or SIGTERM, SIGHUP) and redraws when the terminal is
// resized; otherwise, or with --once, it prints one frame (from two readings an interval apart, so
// that the rates are there) and exits. A server that cannot be read is a line on the screen, read
// again at the next interval; with --once it is an error (exit 1). Resolves with the exit code.
import { parseTopArgs, TOP_USAGE, TopUsageError, type TopOptions } from './args.ts';
import { sampleOf, type Sample } from './sample.ts';
import { Screen } from './screen.ts';
import { fetchStats, type StatsTarget } from './stats-client.ts';
import { renderError, renderView } from './view.ts';

export async function runTop(args: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseTopArgs(args);
  } catch (err) {
    if (!(err instanceof TopUsageError)) throw err;
    process.stderr.write(`nuwsgi top: ${err.message}\n\n${TOP_USAGE}`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(TOP_USAGE);
    return 0;
  }
  if (command.once || process.stdout.isTTY !== true) return printOnce(command);
  return runLive(command);
}

type Reading = { ok: true; sample: Sample; atMs: number } | { ok: false; message: string };

async function read(target: StatsTarget): Promise<Reading> {
  const atMs = performance.now();
  try {
    return { ok: true, sample: sampleOf(await fetchStats(target)), atMs };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Good = Reading & { ok: true };

/** The view of the last reading, with the rates since the one before it (if any), for a screen this size. */
function viewOf(address: string, previous: Good | undefined, current: Good, columns: number, rows: number): string[] {
  return renderView({
    address,
    previous: previous?.sample,
    current: current.sample,
    intervalS: previous === undefined ? 0 : (current.atMs - previous.atMs) / 1000,
    columns,
    rows,
  });
}

async function printOnce(options: TopOptions): Promise<number> {
  const address = options.target.label;
  const first = await read(options.target);
  if (!first.ok) {
    process.stderr.write(`nuwsgi top: cannot read stats from ${address}: ${first.message}\n`);
    return 1;
  }
  await sleep(options.intervalMs);
  const second = await read(options.target);
  const [previous, current] = second.ok ? [first, second] : [undefined, first];
  const terminal = process.stdout.isTTY === true;
  const lines = viewOf(address, previous, current,
    terminal ? process.stdout.columns || 80 : Infinity, terminal ? process.stdout.rows || 24 : Infinity);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

const QUIT_KEYS = new Set(['q', 'Q', '\x03']);
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

function runLive(options: TopOptions): Promise<number> {
  const address = options.target.label;
  const screen = new Screen(process.stdout, process.stdin);
  let previous: Good | undefined;
  let current: Good | undefined;
  let problem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const frame = (): string[] => {
    const { columns, rows } = screen;
    const last = current === undefined ? [] : viewOf(address, previous, current, columns, problem === undefined ? rows : rows - 2);
    if (problem !== undefined) return renderError(address, problem, last, columns, rows);
    return last.length > 0 ? last : [`reading ${address}...`];
  };
  const redraw = (): void => screen.draw(frame());

  return new Promise<number>((resolve) => {
    const handlers = Object.entries(SIGNALS).map(([signal, code]) => {
      const handler = () => stop(code);
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    const onCrash = (err: Error): void => {
      screen.restore();
      process.stderr.write(`nuwsgi top: ${err.stack ?? String(err)}\n`);
      process.exit(1);
    };
    process.on('uncaughtException', onCrash);
    const stop = (code: number): void => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      process.stdout.off('resize', redraw);
      for (const [signal, handler] of handlers) process.off(signal, handler);
      process.off('uncaughtException', onCrash);
      screen.restore();
      resolve(code);
    };
    const tick = async (): Promise<void> => {
      const reading = await read(options.target);
      if (stopped) return;
      if (reading.ok) {
        previous = current;
        current = reading;
        problem = undefined;
      } else {
        problem = reading.message;
      }
      redraw();
      timer = setTimeout(() => void tick(), options.intervalMs);
    };

    screen.start((key) => {
      if (QUIT_KEYS.has(key)) stop(0);
    });
    process.stdout.on('resize', redraw);
    redraw();
    void tick();
  });
}
