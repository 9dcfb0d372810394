import type { Mailer } from "./signup.js";

/** A mailer for tests: records what it sends, and fails while `down`. */
export function fakeMailer(): Mailer & { down: boolean; sent: string[] } {
  const mailer = {
    down: false,
    sent: [] as string[],
    async send(to: string, subject: string) {
      if (mailer.down) throw new Error("SMTP server unavailable");
      mailer.sent.push(`${to}: ${subject}`);
    },
  };
  return mailer;
}
