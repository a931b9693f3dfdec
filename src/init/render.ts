// The files `nuwsgi init` writes, from one set of answers, so that they cannot disagree: the ini
// binds the socket the nginx site passes to and the unit's RuntimeDirectory (or socket unit)
// makes, the unit starts the ini where it is written, the site's client_max_body_size is the
// ini's limit-post, the static folders of the ini are the site's locations.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Answers } from './answers.ts';
import type { DetectedApp } from './detect.ts';

export interface InitFile {
  /** Its name, in the output directory. */
  name: string;
  text: string;
  /** File mode: .envs holds secrets. */
  mode: number;
  /** Where it is installed, if it is: /etc/systemd/system/APP.service. */
  installedAt?: string;
}

export function renderFiles(answers: Answers, app: DetectedApp | undefined): InitFile[] {
  const { name } = answers;
  const files: InitFile[] = [
    { name: `${name}.ini`, text: iniFile(answers, app), mode: 0o644 },
    { name: `${name}.service`, text: serviceUnit(answers), mode: 0o644, installedAt: `/etc/systemd/system/${name}.service` },
    { name: `${name}.nginx`, text: nginxSite(answers), mode: 0o644, installedAt: `/etc/nginx/sites-available/${name}` },
    { name: '.envs', text: envsTemplate(app), mode: 0o600 },
  ];
  if (answers.socketActivation) {
    files.splice(2, 0, { name: `${name}.socket`, text: socketUnit(answers), mode: 0o644, installedAt: `/etc/systemd/system/${name}.socket` });
  }
  return files;
}

function iniFile(answers: Answers, app: DetectedApp | undefined): string {
  const lines = [
    `# nuwsgi for ${answers.name}${app === undefined ? '' : `: ${app.description}`}.`,
    `# Started by ${answers.name}.service (nuwsgi --ini ${path.join(answers.out, `${answers.name}.ini`)}).`,
    '[uwsgi]',
    `chdir = ${answers.dir}`,
    `module = ${answers.module}`,
    ...(answers.home === undefined ? [] : [`home = ${answers.home}`]),
    ...(app?.env ?? []).map((assignment) => `env = ${assignment}`),
    '',
    'master = true',
    `processes = ${answers.processes}`,
    '',
    '# the socket nginx passes requests to; the group (the unit\'s Group=) is nginx\'s',
    `socket = ${answers.socket}`,
    'chmod-socket = 660',
    'vacuum = true',
    'die-on-term = true',
    `limit-post = ${answers.limitPost}`,
    ...answers.statics.map((folder) => `static-map = ${folder.url}=${folder.dir}`),
    '',
    '# every KEY=value line of .envs becomes an environment variable of the app',
    `for-readline = ${path.join(answers.out, '.envs')}`,
    '  env = %(_)',
    'endfor =',
    '',
  ];
  return lines.join('\n');
}

/** A command line for ExecStart: each word quoted when it needs to be. */
function commandLine(words: string[]): string {
  return words.map((word) => /^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`).join(' ');
}

function serviceUnit(answers: Answers): string {
  const { name } = answers;
  const ini = path.join(answers.out, `${name}.ini`);
  const socketUnit = answers.socketActivation ? [`Requires=${name}.socket`, `After=network.target ${name}.socket`] : ['After=network.target'];
  return [
    '[Unit]',
    `Description=nuwsgi instance to serve ${name}`,
    ...socketUnit,
    '',
    '[Service]',
    '# nuwsgi tells systemd when every worker is ready, reloading and stopping; its notifications',
    '# come from a helper process, hence NotifyAccess=all',
    'Type=notify',
    'NotifyAccess=all',
    `User=${answers.user}`,
    `Group=${answers.group}`,
    `WorkingDirectory=${answers.dir}`,
    `ExecStart=${commandLine([...answers.execStart, '--ini', ini])}`,
    '# a graceful reload: new workers start, the old ones finish their requests',
    'ExecReload=/bin/kill -HUP $MAINPID',
    '# a graceful shutdown: requests in flight finish within worker-reload-mercy',
    'KillSignal=SIGTERM',
    'Restart=on-failure',
    // with socket activation the socket unit makes the directory, and keeps it across restarts
    ...(answers.socketActivation ? [] : [`# /run/${name}, for the socket; removed when the service stops`, `RuntimeDirectory=${name}`]),
    ...(answers.watchdog > 0 ? [`WatchdogSec=${answers.watchdog}`] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

function socketUnit(answers: Answers): string {
  return [
    '[Unit]',
    `Description=Socket of ${answers.name}: systemd holds it, so connections wait while nuwsgi restarts`,
    '',
    '[Socket]',
    `ListenStream=${answers.socket}`,
    `SocketUser=${answers.user}`,
    `SocketGroup=${answers.group}`,
    'SocketMode=0660',
    '',
    '[Install]',
    'WantedBy=sockets.target',
    '',
  ].join('\n');
}

/** client_max_body_size for limit-post: 0 is no limit for both. */
function bodySize(bytes: number): string {
  if (bytes === 0) return '0';
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}m`;
  if (bytes % 1024 === 0) return `${bytes / 1024}k`;
  return String(bytes);
}

function nginxSite(answers: Answers): string {
  const statics = answers.statics.flatMap((folder) => [
    '',
    `    # ${folder.dir}: served by nginx itself`,
    `    location ${folder.url === '/' ? '/' : `${folder.url}/`} {`,
    `        alias ${folder.dir}/;`,
    '    }',
  ]);
  return [
    `# nginx site for ${answers.name}: ${`/etc/nginx/sites-available/${answers.name}`}, linked into sites-enabled`,
    'server {',
    `    listen ${answers.listen};`,
    `    server_name ${answers.serverName};`,
    `    # nuwsgi's limit-post`,
    `    client_max_body_size ${bodySize(answers.limitPost)};`,
    ...statics,
    '',
    '    location / {',
    '        include uwsgi_params;',
    `        uwsgi_pass unix:${answers.socket};`,
    '    }',
    '}',
    '',
  ].join('\n');
}

/**
 * .envs: KEY=value lines, each an environment variable of the app. No comments: the ini's loop
 * would take a comment line for a variable too. A fresh random secret to start with.
 */
function envsTemplate(app: DetectedApp | undefined): string {
  const secret = crypto.randomBytes(32).toString('base64url');
  return `${app?.framework === 'django' ? 'DJANGO_SECRET_KEY' : 'SECRET_KEY'}=${secret}\n`;
}
