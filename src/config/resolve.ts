// Applies the option events of every reader, in order, and builds the Config the master runs with:
// each table entry that names a Config field fills it (option-spec.ts). This is where values are
// validated (once, at load) and where options are checked against each other.
import type { Config, ConfigField } from './config.ts';
import { ConfigError, noApplication, noListener, twoApplications } from './errors.ts';
import type { OptionEvent, Origin } from './events.ts';
import type { FlagSpec, ListSpec, NumberSpec, OptionSpec, StringSpec } from './option-spec.ts';
import { OPTIONS } from './options.ts';
import { convertValue, valueText } from './values.ts';

/**
 * What the configuration is for: `serve` needs an application and a listener; `show`
 * (--show-config) resolves whatever the files say, so that a file naming neither can be looked at.
 */
export type Purpose = 'serve' | 'show';

/** Throws ConfigError, one line per problem, when options contradict each other or (to serve) one is missing. */
export function resolveConfig(events: readonly OptionEvent[], purpose: Purpose = 'serve'): Config {
  const given = new GivenOptions();
  for (const event of events) given.apply(event);

  const fields: Partial<Record<ConfigField, unknown>> = {};
  for (const option of OPTIONS) {
    if (option.field !== undefined) fields[option.field] = given.fieldValue(option);
  }
  // options.ts checks at compile time that the entries fill every field, each with its type.
  const config = { ...fields, options: given.asWritten } as Config;

  const problems: ConfigError[] = [];
  if (config.wsgiFile !== undefined && config.module !== undefined) {
    problems.push(twoApplications(given.origin('wsgi-file'), given.origin('module')));
  }
  if (purpose === 'serve') {
    if (config.wsgiFile === undefined && config.module === undefined && config.mounts.length === 0) problems.push(noApplication());
    const listeners = config.http.length + config.socket.length + config.uwsgiSocket.length + config.httpSocket.length +
      config.https.length + config.httpsSocket.length + config.httpToHttps.length;
    if (listeners === 0) problems.push(noListener());
  }
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => problem.message).join('\n'));
  return config;
}

/** The options given so far, by canonical name; single-valued ones keep the last value. */
class GivenOptions {
  /** For `uwsgi.opt`: flags as booleans, lists as arrays, everything else as written. */
  readonly asWritten: Record<string, string | boolean | string[]> = {};
  private readonly scalars = new Map<string, boolean | number | string>();
  private readonly lists = new Map<string, string[]>();
  private readonly origins = new Map<string, Origin>();

  apply(event: OptionEvent): void {
    const { name, kind } = event.option;
    const value = convertValue(event);
    this.origins.set(name, event.origin);
    if (kind === 'list') {
      const list = [...(this.lists.get(name) ?? []), valueText(event)];
      this.lists.set(name, list);
      this.asWritten[name] = [...list];
    } else {
      this.scalars.set(name, value);
      this.asWritten[name] = typeof value === 'boolean' ? value : valueText(event);
    }
  }

  /** Where the last occurrence of an option that was given came from. */
  origin(name: string): Origin {
    const origin = this.origins.get(name);
    if (origin === undefined) throw new Error(`--${name} was not given`);
    return origin;
  }

  /** What `option` fills its field with: its value (or default), as its `convert` makes it. */
  fieldValue(option: OptionSpec): unknown {
    switch (option.kind) {
      case 'flag':
        return this.flag(option);
      case 'int':
      case 'size':
        return converted(this.number(option), option.convert);
      case 'string':
        return converted(this.string(option), option.convert);
      case 'list':
        return converted(this.list(option), option.convert);
    }
  }

  private flag(option: FlagSpec): boolean {
    const value = this.scalars.get(option.name);
    return typeof value === 'boolean' ? value : option.default;
  }

  private number(option: NumberSpec): number {
    const value = this.scalars.get(option.name);
    return typeof value === 'number' ? value : option.default;
  }

  private string(option: StringSpec): string | undefined {
    const value = this.scalars.get(option.name);
    return typeof value === 'string' ? value : option.default;
  }

  private list(option: ListSpec): string[] {
    return [...(this.lists.get(option.name) ?? option.default)];
  }
}

function converted<V>(value: V, convert: ((value: V) => unknown) | undefined): unknown {
  return convert === undefined ? value : convert(value);
}
