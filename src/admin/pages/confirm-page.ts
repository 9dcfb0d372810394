/**
 * The confirmation step of every action: a page that says what will happen,
 * asks for the action's input (a reason, a time), and posts to the JSON API
 * (as a form: the API answers a form post with a redirect back to `returnTo`).
 */
import { html, type SafeHtml } from "../html.js";
import { csrfField, layout, type PageContext } from "./layout.js";

export interface ConfirmSpec {
  title: string;
  /** What will happen, in a sentence. */
  description: SafeHtml | string;
  /** The API path posted to (without the base path). */
  apiPath: string;
  /** Hidden fields (ids, filters). */
  hidden: readonly (readonly [string, string])[];
  /** Extra inputs, e.g. the reason of a permanent fail. */
  inputs?: SafeHtml;
  /** Where to go after the action, and on Cancel (without the base path). */
  returnTo: string;
  confirmLabel: string;
  /** Shown before the form, e.g. the jobs a bulk action would touch. */
  details?: SafeHtml;
}

export function confirmPage(ctx: PageContext, spec: ConfirmSpec, navPath: string) {
  const body = html`<p class="confirm-text">${spec.description}</p>
    ${spec.details ?? ""}
    <form class="confirm" method="post" action="${ctx.base}${spec.apiPath}">
      ${csrfField(ctx)}
      <input type="hidden" name="_return" value="${spec.returnTo}" />
      ${spec.hidden.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)} ${spec.inputs ?? ""}
      <p>
        <button type="submit" class="danger" id="confirm">${spec.confirmLabel}</button>
        <a href="${ctx.base}${spec.returnTo}" id="cancel">Cancel</a>
      </p>
    </form>`;
  return layout(ctx, { title: spec.title, path: navPath, body });
}

/** The input of an action: a reason (fail, cancel) or a date and time (reschedule). */
export function actionInputs(action: string, now: number): SafeHtml | undefined {
  if (action === "fail") {
    return html`<p>
      <label
        >Reason (stored as last_error) <input name="reason" required maxlength="1000" value="Failed from the admin UI"
      /></label>
    </p>`;
  }
  if (action === "cancel") {
    return html`<p>
      <label
        >Reason (optional; a running job's task sees it)
        <input name="reason" maxlength="1000" value="Cancelled from the admin UI"
      /></label>
    </p>`;
  }
  if (action === "reschedule") {
    const soon = new Date(now + 3_600_000).toISOString();
    return html`<p>
      <label>Run at (ISO 8601, UTC) <input name="runAt" required value="${soon}" /></label>
    </p>`;
  }
  return undefined;
}
