/** storableErrorText: what PostgreSQL refuses is replaced, the rest kept; absurd lengths are cut. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_ERROR_TEXT_LENGTH, storableErrorText } from "../../src/jobs/error-text.js";

test("ordinary text, emoji included, is returned as it is", () => {
  const text = "failed: 😀 ünïcödé\nsecond line";
  assert.equal(storableErrorText(text), text);
});

test("U+0000 and lone surrogates become U+FFFD", () => {
  assert.equal(storableErrorText("a\u0000b"), "a\ufffdb");
  assert.equal(storableErrorText("cut \ud83d"), "cut \ufffd");
  assert.equal(storableErrorText("\ude00 low first"), "\ufffd low first");
  assert.equal(storableErrorText("\u0000\ud800😀\udfff"), "\ufffd\ufffd😀\ufffd");
});

test("text longer than the cap is cut, never inside a surrogate pair", () => {
  const long = "x".repeat(MAX_ERROR_TEXT_LENGTH * 2);
  const cut = storableErrorText(long);
  assert.ok(cut.startsWith("x".repeat(MAX_ERROR_TEXT_LENGTH)));
  assert.match(cut, new RegExp(`truncated: ${MAX_ERROR_TEXT_LENGTH * 2} characters in all`));
  const emojiAtCut = "x".repeat(MAX_ERROR_TEXT_LENGTH - 1) + "😀" + "y".repeat(10);
  const cutPair = storableErrorText(emojiAtCut);
  assert.equal(cutPair.slice(0, MAX_ERROR_TEXT_LENGTH), "x".repeat(MAX_ERROR_TEXT_LENGTH - 1) + "…");
  assert.ok((cutPair as unknown as { isWellFormed(): boolean }).isWellFormed());
});
