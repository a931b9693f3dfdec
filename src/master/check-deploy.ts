// `nuwsgi check --ini APP.ini` also checks the files deployed with the ini (those `nuwsgi init`
// writes): the nginx site APP.nginx and the units APP.service and APP.socket, next to the ini or
// where they are installed (/etc/nginx/sites-available/APP, /etc/systemd/system/APP.service). The
// site's uwsgi_pass must name a socket the ini binds, since nginx would answer 502 otherwise, and
// its server_name must not hold commas; then `nginx -t` reads it inside a wrapper config of its
// own in a temporary directory (nothing of /etc/nginx but uwsgi_params is used, nothing is
// started). The service must start this ini; then `systemd-analyze verify` reads the units. When
// nginx or systemd-analyze is not installed, the check says so plainly.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { parseSocketAddress, type SocketAddress } from '../listeners/address.ts';
import { isExecutable } from './python.ts';

export interface DeployCheck {
  /** What would not work. */
  problems: string[];
  /** What was checked, and what could not be. */
  notes: string[];
}

/** nginx's uwsgi_params, as Debian's nginx-common installs it. */
const UWSGI_PARAMS = '/etc/nginx/uwsgi_params';
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Checks the site and units deployed with each ini of `iniFiles` (absolute paths); `config` is what they resolve to. */
export async function checkDeployFiles(iniFiles: string[], config: Config): Promise<DeployCheck> {
  const result: DeployCheck = { problems: [], notes: [] };
  for (const ini of iniFiles.filter((file) => file.endsWith('.ini'))) {
    const name = path.basename(ini, '.ini');
    const site = firstExisting([path.join(path.dirname(ini), `${name}.nginx`), `/etc/nginx/sites-available/${name}`]);
    // an installed site of the same name that passes nothing to a uwsgi server is not this ini's
    if (site !== undefined && directives(fs.readFileSync(site, 'utf8'), 'uwsgi_pass').length > 0) await checkSite(site, config, result);
    const service = firstExisting([path.join(path.dirname(ini), `${name}.service`), `/etc/systemd/system/${name}.service`]);
    if (service !== undefined) {
      const socket = firstExisting([path.join(path.dirname(service), `${name}.socket`)]);
      await checkUnits(service, socket, ini, result);
    }
  }
  return result;
}

function firstExisting(files: string[]): string | undefined {
  return files.find((file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile());
}

function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== ''), ...SEARCH_DIRS];
  return dirs.map((dir) => path.join(dir, name)).find(isExecutable);
}

/** Each directive `name` of an nginx file, with its line: `uwsgi_pass unix:/run/app.sock;` -> its argument text. */
function directives(text: string, name: string): Array<{ value: string; line: number }> {
  return text.split('\n').flatMap((line, index) => {
    const m = new RegExp(`^\\s*${name}\\s+([^;#]+);`).exec(line);
    return m === null ? [] : [{ value: m[1]!.trim(), line: index + 1 }];
  });
}

async function checkSite(site: string, config: Config, result: DeployCheck): Promise<void> {
  const text = fs.readFileSync(site, 'utf8');
  const bound = [...config.socket, ...config.uwsgiSocket].flatMap((spec) => {
    try {
      return [parseSocketAddress(spec)];
    } catch {
      return []; // the listener checks report it
    }
  });
  for (const { value, line } of directives(text, 'uwsgi_pass')) {
    const target = passTarget(value);
    if (target === undefined) continue; // an upstream's name: its servers are elsewhere
    if (!bound.some((address) => sameTarget(address, target))) {
      const ours = bound.length === 0 ? 'the ini binds no uwsgi socket' : `the ini's socket is ${[...config.socket, ...config.uwsgiSocket].join(', ')}`;
      result.problems.push(`${site} line ${line}: uwsgi_pass ${value}, but ${ours}: nginx would answer 502 Bad Gateway`);
    }
  }
  for (const { value, line } of directives(text, 'server_name')) {
    if (value.includes(',')) {
      result.problems.push(`${site} line ${line}: server_name ${value}: nginx separates names with spaces; it takes "${value.split(/\s+/)[0]}" for a name`);
    }
  }
  const nginx = findProgram('nginx');
  if (nginx === undefined) {
    result.notes.push(`${site}: nginx is not installed here, so nginx -t did not check it`);
    return;
  }
  const test = await nginxTest(nginx, site);
  if (test.ok) result.notes.push(`${site}: nginx -t: the site is valid`);
  else result.problems.push(...test.output.map((line) => `${site}: nginx -t: ${line}`));
}

/** uwsgi_pass's `unix:/path` or `host:port` as an address; undefined for an upstream's name. */
function passTarget(value: string): SocketAddress | undefined {
  if (value.startsWith('unix:')) return { kind: 'unix', path: value.slice('unix:'.length) };
  if (!/:\d+$/.test(value)) return undefined;
  try {
    return parseSocketAddress(value.replace(/^uwsgi:\/\//, ''));
  } catch {
    return undefined;
  }
}

function sameTarget(bound: SocketAddress, target: SocketAddress): boolean {
  if (bound.kind === 'unix' && target.kind === 'unix') return path.resolve(bound.path) === path.resolve(target.path);
  if (bound.kind !== 'tcp' || target.kind !== 'tcp' || bound.port !== target.port) return false;
  const wildcard = ['0.0.0.0', '::'].includes(bound.host);
  return wildcard || bound.host === target.host || (bound.host === 'localhost' && target.host === '127.0.0.1');
}

/** `nginx -t` on a wrapper config that includes the site, in a temporary directory. */
async function nginxTest(nginx: string, site: string): Promise<{ ok: boolean; output: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuwsgi-check-nginx-'));
  try {
    if (fs.existsSync(UWSGI_PARAMS)) fs.copyFileSync(UWSGI_PARAMS, path.join(dir, 'uwsgi_params'));
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${path.join(dir, kind)};`);
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, [
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'error.log')};`,
      'events {}',
      'http {',
      '    access_log off;',
      ...temp,
      `    include ${site};`,
      '}',
      '',
    ].join('\n'));
    const run = await runProgram(nginx, ['-t', '-q', '-c', conf, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')]);
    const output = run.output.split('\n').map((line) => line.replace(/^nginx: /, '').trim())
      .filter((line) => line !== '' && !/test failed|syntax is ok|test is successful/.test(line));
    return { ok: run.status === 0, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function checkUnits(service: string, socket: string | undefined, ini: string, result: DeployCheck): Promise<void> {
  const text = fs.readFileSync(service, 'utf8');
  const execStart = /^ExecStart=(.*)$/m.exec(text)?.[1];
  const started = execStart === undefined ? undefined : /--ini\s+(\S+)/.exec(execStart)?.[1];
  if (started === undefined) {
    result.problems.push(`${service}: ExecStart does not start nuwsgi with --ini ${ini}`);
  } else if (path.resolve(/^WorkingDirectory=(.*)$/m.exec(text)?.[1] ?? '/', started) !== ini) {
    result.problems.push(`${service}: ExecStart starts --ini ${started}, not ${ini}`);
  }
  if (!/^Type=notify$/m.test(text)) {
    result.problems.push(`${service}: no Type=notify: systemd would call the service started before the workers have loaded the app`);
  }
  const analyze = findProgram('systemd-analyze');
  const units = socket === undefined ? [service] : [service, socket];
  if (analyze === undefined) {
    result.notes.push(`${units.join(' and ')}: systemd-analyze is not installed here, so the unit was not verified`);
    return;
  }
  const run = await runProgram(analyze, ['verify', ...units]);
  const output = run.output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (run.status === 0) {
    result.notes.push(`${units.join(' and ')}: systemd-analyze verify: ${output.length === 0 ? 'no problem found' : output.join('; ')}`);
  } else {
    result.problems.push(...(output.length === 0 ? [`exit status ${run.status}`] : output).map((line) => `systemd-analyze verify: ${line}`));
  }
}

function runProgram(file: string, args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ status, output: `${stdout}${stderr}`.trim() });
    });
  });
}
