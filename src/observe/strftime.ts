// A small strftime, local time, for `log-date` and the request log's `ltime`: the directives uWSGI
// users write (C's, glibc's spelling). Unknown directives are written as they are, as glibc does.
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];

function pad(n: number, width = 2, fill = '0'): string {
  const text = String(n);
  return text.length >= width ? text : fill.repeat(width - text.length) + text;
}

/** The local UTC offset as +hhmm / -hhmm. */
export function utcOffset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return sign + pad(Math.floor(abs / 60)) + pad(abs % 60);
}

function dayOfYear(d: Date): number {
  return Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86400000) + 1;
}

function directive(c: string, d: Date): string | undefined {
  switch (c) {
    case 'a': return DAYS[d.getDay()].slice(0, 3);
    case 'A': return DAYS[d.getDay()];
    case 'b': case 'h': return MONTHS[d.getMonth()].slice(0, 3);
    case 'B': return MONTHS[d.getMonth()];
    case 'c': return `${directive('a', d)} ${directive('b', d)} ${pad(d.getDate(), 2, ' ')} ${directive('T', d)} ${d.getFullYear()}`;
    case 'd': return pad(d.getDate());
    case 'e': return pad(d.getDate(), 2, ' ');
    case 'H': return pad(d.getHours());
    case 'k': return pad(d.getHours(), 2, ' ');
    case 'I': return pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12);
    case 'l': return pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12, 2, ' ');
    case 'j': return pad(dayOfYear(d), 3);
    case 'm': return pad(d.getMonth() + 1);
    case 'M': return pad(d.getMinutes());
    case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
    case 'S': return pad(d.getSeconds());
    case 's': return String(Math.floor(d.getTime() / 1000));
    case 'u': return String(d.getDay() === 0 ? 7 : d.getDay());
    case 'w': return String(d.getDay());
    case 'y': return pad(d.getFullYear() % 100);
    case 'Y': return String(d.getFullYear());
    case 'z': return utcOffset(d);
    case 'Z': return Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
    case 'F': return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    case 'T': return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    case 'R': return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    case 'D': return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`;
    case 'n': return '\n';
    case 't': return '\t';
    case '%': return '%';
    default: return undefined;
  }
}

/**
 * `format` (ms since the epoch to text) remembered for the last `unitMs`-long tick: the times in a
 * request line change once a second (or a millisecond) while a busy server writes many lines in it.
 */
export function cachedPerTick(unitMs: number, format: (ms: number) => string): (ms: number) => string {
  let tick = -1;
  let text = '';
  return (ms) => {
    const now = Math.floor(ms / unitMs);
    if (now !== tick) {
      text = format(ms);
      tick = now;
    }
    return text;
  };
}

/** `format` with its directives replaced by the local time `ms` (ms since the epoch). */
export function strftime(format: string, ms: number): string {
  const d = new Date(ms);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%' || i + 1 === format.length) {
      out += c;
      continue;
    }
    const value = directive(format[i + 1], d);
    out += value ?? '%' + format[i + 1];
    i++;
  }
  return out;
}
