// The `nuwsgi` command: read the options, then run the master (or print help, the version, or the
// configuration shown or checked).
import { parseCommandLine, ConfigError } from './config/index.ts';
import { Arbiter, StartupError } from './master/arbiter.ts';
import { flushLog, log } from './observe/log.ts';

function exit(code: number): never {
  flushLog();
  process.exit(code);
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      exit(1);
    }
    throw err;
  }
  if (command.kind !== 'serve') {
    if (command.kind === 'show-config' || command.kind === 'check') {
      for (const warning of command.warnings) process.stderr.write(`${warning}\n`);
    }
    process.stdout.write(command.text.endsWith('\n') ? command.text : command.text + '\n');
    return;
  }
  for (const warning of command.warnings) log(warning);
  // A bug in one request must not take every other request down with the master.
  process.on('uncaughtException', (err: Error) => log(`nuwsgi: internal error (the server keeps running): ${err.stack ?? String(err)}`));
  try {
    exit(await new Arbiter(command.config).run());
  } catch (err) {
    if (err instanceof StartupError) {
      log(`nuwsgi: ${err.message}`);
      exit(err.exitCode);
    }
    throw err;
  }
}

void main();
