/**
 * CSRF protection for every mutation, two independent checks:
 *
 * - a signed double-submit token: the browser holds a random nonce in an
 *   HttpOnly, SameSite=Strict cookie; pages carry `nonce.HMAC(secret, nonce)`
 *   (a hidden form field or the `X-CSRF-Token` header). A request is accepted
 *   only when the token's signature is valid and its nonce is the cookie's,
 *   which another site can neither read nor forge;
 * - a same-origin check: `Sec-Fetch-Site`, when sent, must be `same-origin`,
 *   and `Origin`, when sent, must name the host the request was sent to.
 */
import { createHmac, randomBytes } from "node:crypto";
import { secretEquals } from "./auth.js";

export const CSRF_COOKIE = "gw_admin_csrf";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";

export class CsrfTokens {
  private readonly secret: Buffer;

  /** `secret`: give the same one to every instance behind a load balancer; random otherwise. */
  constructor(secret?: string) {
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8");
  }

  /** A fresh cookie nonce. */
  newNonce(): string {
    return randomBytes(18).toString("base64url");
  }

  /** The token pages embed for the cookie's `nonce`. */
  tokenFor(nonce: string): string {
    return `${nonce}.${this.sign(nonce)}`;
  }

  /** True when `token` was signed by us for the cookie's `nonce`. */
  verify(token: string | undefined, nonce: string | undefined): boolean {
    if (!token || !nonce) return false;
    const dot = token.lastIndexOf(".");
    if (dot <= 0) return false;
    const tokenNonce = token.slice(0, dot);
    const signature = token.slice(dot + 1);
    const signatureOk = secretEquals(signature, this.sign(tokenNonce));
    const nonceOk = secretEquals(tokenNonce, nonce);
    return signatureOk && nonceOk;
  }

  private sign(nonce: string): string {
    return createHmac("sha256", this.secret).update(nonce, "utf8").digest("base64url");
  }
}

/**
 * Why a mutation fails the same-origin check, or undefined when it passes.
 * `host` is the request's Host header.
 */
export function crossOriginReason(headers: { origin?: string; secFetchSite?: string; host?: string }): string | undefined {
  if (headers.secFetchSite !== undefined && headers.secFetchSite !== "same-origin") {
    return `Sec-Fetch-Site is ${headers.secFetchSite}`;
  }
  if (headers.origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(headers.origin).host;
    } catch {
      return "Origin is not a URL";
    }
    if (headers.host === undefined || originHost !== headers.host) return "Origin is another site";
  }
  return undefined;
}
