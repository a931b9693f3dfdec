// Turns the text of one option occurrence into its typed value, or rejects it with an error that
// names the option, where it came from and the expected form. The rules are uWSGI's
// (core/uwsgi.c: uwsgi_opt_true, uwsgi_opt_set_int, uwsgi_opt_set_str), made strict where uWSGI
// silently reads junk as 0.
import { badValue } from './errors.ts';
import type { OptionEvent } from './events.ts';

const FALSE_WORDS = new Set(['false', 'off', 'no']);
const WHOLE_NUMBER = /^[0-9]+$/;

/**
 * The text an occurrence stands for. Given without a value, an option with a `bare` value means
 * that; otherwise a number means 1 and anything else the empty string, as uWSGI's setters read a
 * missing optional argument; a flag then reads as true.
 */
export function valueText(event: OptionEvent): string {
  if (event.value !== undefined) return event.value;
  if (event.option.bare !== undefined) return event.option.bare;
  return event.option.kind === 'int' || event.option.kind === 'size' ? '1' : '';
}

export function convertValue(event: OptionEvent): boolean | number | string {
  const text = valueText(event);
  const option = event.option;
  switch (option.kind) {
    case 'flag':
      return !(FALSE_WORDS.has(text.toLowerCase()) || text === '0');
    case 'int':
    case 'size': {
      const number = Number(text);
      if (!WHOLE_NUMBER.test(text) || !Number.isSafeInteger(number)) throw badValue(event, text);
      if (option.min !== undefined && number < option.min) {
        throw badValue(event, text, `must be at least ${option.min}`);
      }
      if (option.max !== undefined && number > option.max) {
        const limit = option.kind === 'size' ? `${option.max} bytes, ${formatBytes(option.max)}` : `${option.max}`;
        throw badValue(event, text, `must be at most ${limit}`);
      }
      return number;
    }
    case 'string':
    case 'list':
      // An empty value is refused unless the option's pattern allows it.
      if (option.pattern === undefined ? text === '' : !option.pattern.test(text)) throw badValue(event, text);
      if (option.check !== undefined) {
        const problem = option.check(text);
        if (problem !== undefined) throw badValue(event, text, `${problem}; expected ${option.expected}`);
      }
      return text;
  }
}

/** 1048576 → "1 MiB", 65536 → "64 KiB". */
function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
