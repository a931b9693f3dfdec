// `plugins = python3,http`: uWSGI loads plugins (shared libraries) by name. nuwsgi loads none: Python
// and HTTP are built in, so it accepts the names of the plugins it has no need of and refuses the
// others, whose features it does not have.
const BUILT_IN = /^(?:0:)?(?:python[0-9]*|http|gevent)$/;

/** Why a plugin list cannot be honoured (for the error message), or undefined. */
export function pluginListProblem(text: string): string | undefined {
  const missing = text.split(',').map((name) => name.trim()).filter((name) => name !== '' && !BUILT_IN.test(name));
  if (missing.length === 0) return undefined;
  return `nuwsgi cannot load plugins, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not built in`;
}
