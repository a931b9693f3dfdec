// UWSGI_* environment variables: how names map to options, and how they combine with the command line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseCommandLine, readEnvironment, type Config } from '../src/config/index.ts';

const BASE = ['--http', ':8000', '--wsgi-file', 'app.py'];

function serve(argv: string[], env: NodeJS.ProcessEnv): Config {
  const command = parseCommandLine(argv, env);
  assert.equal(command.kind, 'serve');
  return command.config;
}

describe('UWSGI_* environment variables', () => {
  const cases: { env: NodeJS.ProcessEnv; expected: Partial<Config> }[] = [
    { env: { UWSGI_PROCESSES: '4' }, expected: { processes: 4 } },
    { env: { UWSGI_WORKERS: '3' }, expected: { processes: 3 } },
    { env: { UWSGI_MASTER: '' }, expected: { master: true } },
    { env: { UWSGI_MASTER: '1' }, expected: { master: true } },
    { env: { UWSGI_MASTER: 'false' }, expected: { master: false } },
    { env: { UWSGI_DISABLE_LOGGING: 'true' }, expected: { disableLogging: true } },
    { env: { UWSGI_BUFFER_SIZE: '32768' }, expected: { bufferSize: 32768 } },
    { env: { UWSGI_HTTP_KEEPALIVE: '10' }, expected: { httpKeepalive: 10 } },
    { env: { UWSGI_WORKER_RELOAD_MERCY: '5' }, expected: { workerReloadMercy: 5 } },
    { env: { UWSGI_HOME: '/srv/venv' }, expected: { home: '/srv/venv' } },
    { env: { UWSGI_PYTHONPATH: '/srv/lib' }, expected: { pythonpath: ['/srv/lib'] } },
    { env: { UWSGI_ENV: 'GREETING=hello world' }, expected: { env: ['GREETING=hello world'] } },
    { env: { UWSGI_CALLABLE: 'app' }, expected: { callable: 'app' } },
  ];
  for (const { env, expected } of cases) {
    it(Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' '), () => {
      const config = serve(BASE, env);
      for (const [field, value] of Object.entries(expected)) {
        assert.deepEqual(config[field as keyof Config], value, field);
      }
    });
  }

  it('can give the whole configuration', () => {
    const config = serve([], { UWSGI_HTTP: '127.0.0.1:9000', UWSGI_MODULE: 'mysite.wsgi:application' });
    assert.deepEqual(config.http, ['127.0.0.1:9000']);
    assert.equal(config.module, 'mysite.wsgi:application');
    assert.deepEqual(config.options, { http: ['127.0.0.1:9000'], module: 'mysite.wsgi:application' });
  });

  it('maps aliases with underscores: UWSGI_WSGI_FILE, UWSGI_PYTHON_PATH', () => {
    const config = serve(['--http', ':8000'], { UWSGI_WSGI_FILE: 'site.py', UWSGI_PYTHON_PATH: 'lib' });
    assert.equal(config.wsgiFile, 'site.py');
    assert.deepEqual(config.pythonpath, ['lib']);
  });

  it('loses to the command line for single-valued options', () => {
    const config = serve([...BASE, '-p', '2', '--master=no'], { UWSGI_PROCESSES: '8', UWSGI_MASTER: '' });
    assert.equal(config.processes, 2);
    assert.equal(config.master, false);
    assert.equal(config.options.processes, '2');
  });

  it('comes before the command line in lists', () => {
    const config = serve([...BASE, '--pythonpath', 'cli'], { UWSGI_HTTP: ':7000', UWSGI_PYTHONPATH: 'env' });
    assert.deepEqual(config.http, [':7000', ':8000']);
    assert.deepEqual(config.pythonpath, ['env', 'cli']);
  });

  it("keeps the value verbatim and names the variable as the event's origin", () => {
    assert.deepEqual(
      readEnvironment({ UWSGI_CHDIR: ' /srv/app ', UWSGI_MASTER: '' }).map((event) => [
        event.option.name,
        event.spelling,
        event.value,
        event.origin,
      ]),
      [
        ['chdir', '--chdir', ' /srv/app ', { source: 'environment', variable: 'UWSGI_CHDIR' }],
        ['master', '--master', '', { source: 'environment', variable: 'UWSGI_MASTER' }],
      ],
    );
  });

  it("ignores uWSGI's internal variables, unknown options and other variables", () => {
    const env = {
      UWSGI_RELOADS: '3',
      UWSGI_VASSALS_DIR: '/etc/uwsgi/vassals',
      UWSGI_EMPEROR_FD: '3',
      UWSGI_BROODLORD_NUM: '1',
      UWSGI_EMPEROR_FD_CONFIG: '4',
      UWSGI_EMPEROR_PROXY: '/tmp/proxy',
      UWSGI_JAIL_PID: '1',
      UWSGI_ORIGINAL_PROC_NAME: 'uwsgi',
      UWSGI_NO_SUCH_OPTION: 'x',
      UWSGI_: 'x',
      uwsgi_processes: 'four',
      PROCESSES: 'four',
      HOME: '/root',
    };
    assert.deepEqual(readEnvironment(env), []);
    assert.equal(serve(BASE, env).processes, 1);
  });

  it('never asks for help or the version (UWSGI_VERSION is often set by Docker images)', () => {
    const env = { UWSGI_VERSION: '2.0.28', UWSGI_HELP: '', UWSGI_USAGE: '' };
    assert.deepEqual(readEnvironment(env), []);
    assert.equal(parseCommandLine(BASE, env).kind, 'serve');
  });

  it('rejects a bad value, naming the variable', () => {
    assert.throws(
      () => parseCommandLine(BASE, { UWSGI_PROCESSES: 'four' }),
      new ConfigError(
        "nuwsgi: bad value for --processes in environment variable UWSGI_PROCESSES: 'four' " +
          '(expected a whole number, e.g. --processes 4)',
      ),
    );
  });

  it('rejects a bad value even when the command line overrides it', () => {
    assert.throws(() => parseCommandLine([...BASE, '-p', '2'], { UWSGI_WORKERS: '-1' }), {
      name: 'ConfigError',
      message: "nuwsgi: bad value for --workers in environment variable UWSGI_WORKERS: '-1' " +
        '(expected a whole number, e.g. --processes 4)',
    });
  });
});
