/**
 * The application code the testing examples test: a sign-up flow in three
 * tasks and one cron item. The mailer comes in through the worker's `state`,
 * so a test passes a fake one.
 */
import { cron, defineTask } from "../../src/index.js";

export interface Mailer {
  send(to: string, subject: string): Promise<void>;
}

export interface AppState {
  mailer: Mailer;
}

const DAY = 24 * 3_600_000;

export const sendEmail = defineTask<{ to: string; subject: string }, AppState>({
  identifier: "send_email",
  async run({ to, subject }, ctx) {
    await ctx.state.mailer.send(to, subject);
  },
});

/** After a sign-up: a welcome email now, a follow-up in three days. */
export const userSignedUp = defineTask<{ userId: number; email: string }, AppState>({
  identifier: "user_signed_up",
  async run({ userId, email }, ctx) {
    await ctx.addJob(sendEmail, { to: email, subject: "Welcome!" }, { jobKey: `welcome:${userId}` });
    await ctx.addJob(sendEmail, { to: email, subject: "How is it going?" }, { runAt: new Date(Date.now() + 3 * DAY) });
  },
});

/** Every day at 08:00 UTC. */
export const dailyDigest = defineTask<{ list: string }, AppState>({
  identifier: "daily_digest",
  async run({ list }, ctx) {
    await ctx.state.mailer.send(list, "Your daily digest");
  },
});

export const tasks = [sendEmail, userSignedUp, dailyDigest];
export const crontab = [cron("0 8 * * *").task(dailyDigest).payload({ list: "team@example.com" })];
