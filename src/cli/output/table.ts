/**
 * A plain-text table for terminals: a header row, columns padded to their
 * widest cell (two spaces between them), numbers right-aligned when asked,
 * long cells cut with "…", and no trailing spaces. A cell never spans lines:
 * a line break or tab, with the spaces around it, prints as one space.
 */

export interface Column {
  header: string;
  /** `right` for numbers; default `left`. */
  align?: "left" | "right";
  /** Cut longer cells to this many characters (ending with "…"). */
  maxWidth?: number;
}

const GAP = "  ";

/** One cell as one line of at most `maxWidth` characters. */
export function cell(text: string, maxWidth = Number.POSITIVE_INFINITY): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[ ]*[\r\n\t\u0000-\u001f\u007f]+\s*/g, " ");
  const characters = [...flat];
  if (characters.length <= maxWidth) return flat;
  return `${characters.slice(0, Math.max(0, maxWidth - 1)).join("")}…`;
}

function width(text: string): number {
  return [...text].length;
}

/** The table as lines joined by "\n" (no final newline). An empty `rows` prints the header only. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = [
    columns.map((column) => column.header),
    ...rows.map((row) => columns.map((column, index) => cell(row[index] ?? "", column.maxWidth))),
  ];
  const widths = columns.map((_, index) => Math.max(...cells.map((row) => width(row[index]!))));
  return cells
    .map((row) =>
      row
        .map((text, index) => {
          const padding = " ".repeat(widths[index]! - width(text));
          return columns[index]!.align === "right" ? padding + text : text + padding;
        })
        .join(GAP)
        .trimEnd(),
    )
    .join("\n");
}

/** Label/value lines with the labels padded to one width (for `show` and `stats`). */
export function formatFields(fields: readonly (readonly [label: string, value: string])[]): string {
  const labelWidth = Math.max(0, ...fields.map(([label]) => width(label)));
  return fields.map(([label, value]) => `${label.padEnd(labelWidth)}${GAP}${value}`.trimEnd()).join("\n");
}
