/**
 * The UI's static files (admin.js, admin.css), read once from the `assets`
 * folder next to this module: src/admin/assets under tsx, dist/admin/assets
 * after `npm run build` (the build script copies them). Served from memory
 * with an ETag; nothing is loaded from elsewhere, so the UI works offline.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface Asset {
  content: string;
  type: string;
  etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export function assetsDirectory(): string {
  return fileURLToPath(new URL("./assets/", import.meta.url));
}

export function loadAssets(directory = assetsDirectory()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(directory)) {
    const type = TYPES[name.slice(name.lastIndexOf("."))];
    if (type === undefined) continue;
    const content = readFileSync(`${directory}/${name}`, "utf8");
    const etag = `"${createHash("sha256").update(content).digest("base64url").slice(0, 22)}"`;
    assets.set(name, { content, type, etag });
  }
  return assets;
}
