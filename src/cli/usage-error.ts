import { GraphileWorkerError } from "../errors/errors.js";

/** A bad command-line argument: printed as one line, exit code 2, nothing written. */
export class CliUsageError extends GraphileWorkerError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super("CLI_USAGE", `${argument}: ${message}`);
    this.argument = argument;
  }
}
