// A reason the server cannot start (a bad listener, a missing app file, privileges...): the master
// logs it and exits with `exitCode`.

export class StartupError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
