/**
 * Server-side HTML: a tagged template that escapes every interpolated value
 * unless it is already `SafeHtml` (a nested template). Nothing reaches a page
 * unescaped, so job payloads, errors and names cannot inject markup.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** "3 min ago" / "in 20 s" relative to `now`. */
export function relativeTime(date: Date | null | undefined, now = Date.now()): string {
  if (!date) return "—";
  const ms = date.getTime() - now;
  const abs = Math.abs(ms);
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1000, "s"],
  ];
  if (abs < 1000) return "now";
  const [size, unit] = units.find(([size]) => abs >= size)!;
  const amount = Math.floor(abs / size);
  return ms < 0 ? `${amount} ${unit} ago` : `in ${amount} ${unit}`;
}

/** A `<time>` showing the relative time, the exact time in its title. */
export function timeTag(date: Date | null | undefined, now = Date.now()): SafeHtml {
  if (!date) return html`<span class="muted">—</span>`;
  return html`<time datetime="${date.toISOString()}" title="${date.toISOString()}">${relativeTime(date, now)}</time>`;
}

/** A duration in ms as "1.2 s", "3 min"... */
export function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A query string from the defined, non-empty values. */
export function queryString(values: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== "") params.set(name, value);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
