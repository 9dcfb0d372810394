/**
 * Whether a pool sends its hot-path statements as named prepared statements,
 * and the switch to unnamed ones when the server shows that names cannot be
 * trusted.
 *
 * Behind a transaction-mode pooler (PgBouncer before 1.21, or with
 * `max_prepared_statements = 0`) consecutive statements of one client run on
 * different server connections. node-postgres remembers which names it
 * prepared per client connection, so it either prepares a name that another
 * client already prepared on that server connection (42P05
 * duplicate_prepared_statement) or executes a name that this server connection
 * never saw (26000 invalid_sql_statement_name). Both are refused before the
 * statement runs, so the statement can be retried unnamed. Measured with
 * PgBouncer 1.18 and three workers: without the switch, every claim fails
 * from the second or third batch on and never recovers.
 */

/** SQLSTATEs meaning the server's prepared statements differ from what the client believes. */
const NAMES_UNTRUSTED = new Set(["42P05", "26000"]);

/** True for an error that a named statement meets behind a transaction-mode pooler. */
export function isPreparedStatementMismatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && NAMES_UNTRUSTED.has(code);
}

export class PreparedStatementMode {
  private enabledValue: boolean;

  /** `onFallback` is told once, with the error that caused the switch. */
  constructor(
    enabled: boolean,
    private readonly onFallback: (error: Error) => void,
  ) {
    this.enabledValue = enabled;
  }

  /** Send statements named (prepared once per connection) right now. */
  get enabled(): boolean {
    return this.enabledValue;
  }

  /**
   * Called with the error of a named statement: true when it means "names
   * cannot be trusted here" — the mode is then off for good, and the caller
   * retries the statement unnamed.
   */
  fallBackOn(error: unknown): boolean {
    if (!isPreparedStatementMismatch(error)) return false;
    if (this.enabledValue) {
      this.enabledValue = false;
      this.onFallback(error as Error);
    }
    return true;
  }
}

/** The warning logged once when a pool switches to unnamed statements. */
export function preparedStatementFallbackWarning(error: Error): string {
  return (
    `Named prepared statements failed (${(error as { code?: string }).code}: ${error.message}); this usually means a ` +
    `transaction-mode pooler such as PgBouncer sits in front of PostgreSQL. Switched this pool to unnamed statements ` +
    `for good (slightly more parsing per statement). To silence this warning, pass preparedStatements: false ` +
    `(CLI --no-prepared-statements).`
  );
}
