/** The frame of every page: navigation, the notice of the last action, our CSS and JS files (no inline script). */
import { html, type SafeHtml } from "../html.js";
import { CSRF_FIELD } from "../csrf.js";

/** What every page needs to know about the request. */
export interface PageContext {
  /** The base path ("" or "/admin"). */
  base: string;
  csrfToken: string;
  readOnly: boolean;
  /** The result of the last action (shown once). */
  notice?: string;
  /** Epoch ms, for relative times. */
  now: number;
}

const NAV: readonly [string, string][] = [
  ["/", "Overview"],
  ["/jobs", "Jobs"],
  ["/queues", "Queues"],
  ["/workers", "Workers"],
  ["/cron", "Cron"],
  ["/maintenance", "Maintenance"],
];

export function layout(ctx: PageContext, page: { title: string; path: string; body: SafeHtml }): SafeHtml {
  const nav = NAV.map(
    ([path, label]) => html`<a href="${ctx.base}${path}" ${page.path === path ? html` aria-current="page"` : ""}>${label}</a>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${ctx.csrfToken}" />
        <title>${page.title} · graphile-worker-ts admin</title>
        <link rel="stylesheet" href="${ctx.base}/assets/admin.css" />
        <script src="${ctx.base}/assets/admin.js" defer></script>
      </head>
      <body data-base="${ctx.base}">
        <header>
          <a class="brand" href="${ctx.base}/">graphile-worker-ts</a>
          <nav>${nav}</nav>
          ${ctx.readOnly ? html`<span class="badge read-only" title="mutations are disabled">read-only</span>` : ""}
        </header>
        <main>
          ${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ""}
          <h1>${page.title}</h1>
          ${page.body}
        </main>
      </body>
    </html>`;
}

/** The hidden CSRF field of every mutation form. */
export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrfToken}" />`;
}

/** A page for errors and "not found". */
export function messagePage(ctx: PageContext, title: string, message: string): SafeHtml {
  return layout(ctx, {
    title,
    path: "",
    body: html`<p class="error">${message}</p>
      <p><a href="${ctx.base}/">Overview</a></p>`,
  });
}
