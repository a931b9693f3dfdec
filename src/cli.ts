// The `nuwsgi` command: read the options, then run the master (or print help, the version, or the
// configuration shown or checked, or run `nuwsgi top` or `nuwsgi init`).
import { parseCommandLine, ConfigError } from './config/index.ts';
import type { Config } from './config/config.ts';
import { Arbiter } from './master/arbiter.ts';
import { StartupError } from './master/startup-error.ts';
import { daemonize, isDaemon } from './master/daemon.ts';
import { signalPidfile } from './master/pidfile.ts';
import { flushLog, log, logToFile } from './observe/log.ts';

function exit(code: number): never {
  flushLog();
  process.exit(code);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const env = { ...process.env };
  let command;
  try {
    command = parseCommandLine(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      exit(1);
    }
    throw err;
  }
  // the other commands' modules are imported when run, so that a serving master does not hold them
  if (command.kind === 'top') {
    const { runTop } = await import('./top/top.ts');
    exit(await runTop(command.args));
  }
  if (command.kind === 'init') {
    const { runInit } = await import('./init/init.ts');
    exit(await runInit(command.args));
  }
  if (command.kind === 'signal') {
    const problem = signalPidfile(command.pidfile, command.signal);
    if (problem !== undefined) {
      process.stderr.write(`nuwsgi: ${problem}\n`);
      exit(1);
    }
    return;
  }
  if (command.kind === 'check') {
    const [{ checkConfig, checkWarnings }, { checkDeployFiles }] = await Promise.all([import('./master/check.ts'), import('./master/check-deploy.ts')]);
    for (const warning of command.warnings) process.stderr.write(`${warning}\n`);
    const problems = await checkConfig(command.config, process.env);
    const deployed = await checkDeployFiles(command.files, command.config);
    for (const warning of await checkWarnings(command.config)) process.stderr.write(`nuwsgi: warning: ${warning}\n`);
    for (const note of deployed.notes) process.stdout.write(`nuwsgi: ${note}\n`);
    for (const problem of [...problems.map((p) => p.message), ...deployed.problems]) process.stderr.write(`nuwsgi: ${problem}\n`);
    if (problems.length + deployed.problems.length > 0) exit(1);
    process.stdout.write('nuwsgi: configuration OK\n');
    return;
  }
  if (command.kind !== 'serve') {
    if (command.kind === 'show-config') {
      for (const warning of command.warnings) process.stderr.write(`${warning}\n`);
    }
    process.stdout.write(command.text.endsWith('\n') ? command.text : command.text + '\n');
    return;
  }
  const config = command.config;
  if (config.daemonize !== undefined && !isDaemon()) {
    try {
      daemonize(config.daemonize);
    } catch (err) {
      process.stderr.write(`nuwsgi: --daemonize ${config.daemonize}: ${(err as Error).message}\n`);
      exit(1);
    }
    return;
  }
  // a daemon's stdout and stderr are its log file already; opening it by name lets reopenLog() find it
  const logFile = config.logto ?? (isDaemon() ? config.daemonize : undefined);
  if (logFile !== undefined) {
    try {
      logToFile(logFile);
    } catch (err) {
      process.stderr.write(`nuwsgi: --${config.logto === undefined ? 'daemonize' : 'logto'} ${logFile}: ${(err as Error).message}\n`);
      exit(1);
    }
  }
  for (const warning of command.warnings) log(warning);
  // A bug in one request must not take every other request down with the master.
  process.on('uncaughtException', (err: Error) => log(`nuwsgi: internal error (the server keeps running): ${err.stack ?? String(err)}`));
  try {
    exit(await new Arbiter(config, () => rereadConfig(argv, env)).run());
  } catch (err) {
    if (err instanceof StartupError) {
      log(`nuwsgi: ${err.message}`);
      exit(err.exitCode);
    }
    throw err;
  }
}

/** The configuration as the same command line reads it now (for a reload): the files may have changed. */
function rereadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const command = parseCommandLine(argv, env);
  if (command.kind !== 'serve') throw new Error('the command line no longer asks to serve');
  for (const warning of command.warnings) log(warning);
  return command.config;
}

void main();
