// The terminal, with plain VT100/ANSI sequences only (they work over ssh, in tmux and screen): the
// alternate screen, so that the shell's screen comes back on exit; each frame drawn from the top
// left over the previous one, every line cleared to its end and the rest of the screen below the
// last, so nothing flickers; raw mode on stdin for single keys. restore() undoes all of it, and runs
// however the process ends.

const ESC = '\x1b[';
export const ENTER_ALTERNATE = `${ESC}?1049h`;
export const LEAVE_ALTERNATE = `${ESC}?1049l`;
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const HOME = `${ESC}H`;
const CLEAR_LINE_END = `${ESC}K`;
const CLEAR_SCREEN_END = `${ESC}J`;

/** The sequences that draw `lines` over the previous frame. */
export function frameSequence(lines: readonly string[]): string {
  return HOME + lines.map((line) => line + CLEAR_LINE_END).join('\r\n') + `\r\n${CLEAR_SCREEN_END}`;
}

export class Screen {
  private readonly output: NodeJS.WriteStream;
  private readonly input: NodeJS.ReadStream;
  private active = false;
  private rawMode = false;
  private readonly onExit = (): void => this.restore();

  constructor(output: NodeJS.WriteStream, input: NodeJS.ReadStream) {
    this.output = output;
    this.input = input;
  }

  get columns(): number {
    return this.output.columns || 80;
  }

  get rows(): number {
    return this.output.rows || 24;
  }

  /** Switches to the alternate screen, and stdin (when a terminal) to raw mode, calling `onKey` with each key. */
  start(onKey: (key: string) => void): void {
    this.active = true;
    process.on('exit', this.onExit);
    this.output.write(ENTER_ALTERNATE + HIDE_CURSOR + `${ESC}2J`);
    if (this.input.isTTY === true) {
      this.input.setRawMode(true);
      this.rawMode = true;
    }
    this.input.setEncoding('utf8');
    this.input.on('data', (data: string) => {
      for (const key of data) onKey(key);
    });
    this.input.resume();
  }

  draw(lines: readonly string[]): void {
    if (this.active) this.output.write(frameSequence(lines));
  }

  /** Back to the terminal as it was: cooked mode, the cursor, the shell's screen. Safe to call twice. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    process.off('exit', this.onExit);
    if (this.rawMode) {
      try {
        this.input.setRawMode(false);
      } catch {
        // The terminal is gone (a closed ssh session): nothing to restore.
      }
      this.rawMode = false;
    }
    this.input.pause();
    try {
      this.output.write(SHOW_CURSOR + LEAVE_ALTERNATE);
    } catch {
      // As above.
    }
  }
}
