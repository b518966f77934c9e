// Minifies the embed loader: widget_server/static/embed.src.js -> embed.min.js, with the
// options in tools/terser.json, and records what it was built from in
// tools/embed-build.json (so a machine without Node.js can still tell a stale build).
// Run through scripts/build-loader; `--check` rebuilds in memory and fails on any difference.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { minify } from "terser";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const path = (p) => join(root, p);
const SOURCE = "widget_server/static/embed.src.js";
const OUTPUT = "widget_server/static/embed.min.js";
const CONFIG = "tools/terser.json";
const RECORD = "tools/embed-build.json";
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

const source = readFileSync(path(SOURCE), "utf8");
const config = readFileSync(path(CONFIG), "utf8");
const terser = JSON.parse(readFileSync(path("tools/node_modules/terser/package.json"), "utf8"));
const { code } = await minify(source, JSON.parse(config));
const output = code + "\n";
const record =
  JSON.stringify(
    {
      source: SOURCE,
      source_sha256: sha256(source),
      config_sha256: sha256(config),
      minifier: `terser ${terser.version}`,
      output: OUTPUT,
      output_sha256: sha256(output),
    },
    null,
    2,
  ) + "\n";

if (process.argv.includes("--check")) {
  const stale = [
    [OUTPUT, output],
    [RECORD, record],
  ].filter(([file, want]) => {
    try {
      return readFileSync(path(file), "utf8") !== want;
    } catch {
      return true;
    }
  });
  if (stale.length) {
    console.error(`out of date: ${stale.map(([f]) => f).join(", ")}; run scripts/build-loader`);
    process.exit(1);
  }
  console.log(`${OUTPUT} matches ${SOURCE} (${output.length} bytes)`);
} else {
  writeFileSync(path(OUTPUT), output);
  writeFileSync(path(RECORD), record);
  console.log(`wrote ${OUTPUT} (${output.length} bytes) and ${RECORD}`);
}
