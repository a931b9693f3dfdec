// `nuwsgi init [DIR]`: finds the app in DIR (detect.ts), takes the answers from the flags, a
// terminal or the defaults (answers.ts), writes the ini, the systemd unit(s), the nginx site and a
// .envs template made from them (render.ts), and prints how to install and enable them. A file
// that exists is left as it is unless --force; --dry-run prints the files instead.
import fs from 'node:fs';
import path from 'node:path';
import { collectAnswers, INIT_USAGE, InitUsageError, parseInitArgs, terminalQuestions, type Answers } from './answers.ts';
import { detectApp } from './detect.ts';
import { renderFiles, type InitFile } from './render.ts';

/** Runs `nuwsgi init` with `args` (what follows `init`); returns the exit status. */
export async function runInit(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseInitArgs(args);
  } catch (err) {
    if (!(err instanceof InitUsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(INIT_USAGE);
    return 0;
  }
  if (!fs.statSync(parsed.dir, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`nuwsgi init: ${parsed.dir}: no such directory\n`);
    return 1;
  }
  const app = detectApp(parsed.dir);
  if (!(app instanceof Error)) process.stdout.write(`nuwsgi init: found a ${app.description} in ${parsed.dir}\n`);
  const terminal = terminalQuestions();
  let answers;
  try {
    answers = await collectAnswers(parsed, app, terminal.ask);
  } catch (err) {
    if (!(err instanceof InitUsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  } finally {
    terminal.close();
  }
  const script = answers.execStart[1]!;
  if (script.includes(`${path.sep}_npx${path.sep}`)) {
    process.stderr.write(`nuwsgi init: warning: ExecStart would run ${script}, in npx's cache, which npm may clean: ` +
      'install nuwsgi (npm install -g nuwsgi) and run its init, or give --nuwsgi PATH\n');
  }
  const files = renderFiles(answers, app instanceof Error ? undefined : app);
  if (answers.dryRun) {
    for (const file of files) process.stdout.write(`\n==> ${path.join(answers.out, file.name)} <==\n${file.text}`);
    return 0;
  }
  const existing = files.filter((file) => fs.existsSync(path.join(answers.out, file.name)));
  if (existing.length > 0 && !answers.force) {
    process.stderr.write(`nuwsgi init: not overwriting ${existing.map((file) => path.join(answers.out, file.name)).join(', ')} ` +
      `(--force overwrites them, --dry-run shows what would be written)\n`);
    return 1;
  }
  fs.mkdirSync(answers.out, { recursive: true });
  for (const file of files) {
    const target = path.join(answers.out, file.name);
    fs.writeFileSync(target, file.text, { mode: file.mode });
    fs.chmodSync(target, file.mode);
    process.stdout.write(`wrote ${target}\n`);
  }
  process.stdout.write(`\n${enableCommands(answers, files)}`);
  return 0;
}

/** What to run as root to install the files and start the service. */
function enableCommands(answers: Answers, files: InitFile[]): string {
  const { name, out } = answers;
  const at = (file: InitFile) => path.join(out, file.name);
  const installed = files.filter((file) => file.installedAt !== undefined);
  const unit = answers.socketActivation ? `${name}.socket ${name}.service` : `${name}.service`;
  return [
    'To install and start it (as root):',
    `  chown ${answers.user}:${answers.group} ${path.join(out, '.envs')}`,
    ...installed.map((file) => `  cp ${at(file)} ${file.installedAt}`),
    `  ln -s /etc/nginx/sites-available/${name} /etc/nginx/sites-enabled/${name}`,
    `  nuwsgi check --ini ${path.join(out, `${name}.ini`)}`,
    '  nginx -t && systemctl reload nginx',
    '  systemctl daemon-reload',
    `  systemctl enable --now ${unit}`,
    `Then: systemctl reload ${name} (a graceful reload), systemctl status ${name}, journalctl -u ${name}`,
    '',
  ].join('\n');
}
