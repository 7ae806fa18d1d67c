// The documentation's Flagright SDK examples, run as written against a real server.
//
// Every ```js block of README.md and docs/*.md that imports "flagright" runs in a node of its
// own (with this suite's pinned SDK), its base URL pointed at a fresh server and
// VIGIL_API_KEY set; it must exit 0, and a `console.log(...); // VALUE` line must print VALUE.
// cmd/vigil's TestDocs checks every other block, and that this file exists for these.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { useVigil } from "./harness.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

/** The ```js blocks of a Markdown file that use the SDK: {where, code}. */
function sdkBlocks(rel) {
  const lines = fs.readFileSync(path.join(root, rel), "utf8").split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*(js|javascript|mjs)\b/i.exec(lines[i]);
    if (!open) continue;
    const skipped = i > 0 && /^<!-- doctest: skip\b/.test(lines[i - 1].trim());
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trim().startsWith(open[1]); j++) body.push(lines[j]);
    const code = body.join("\n");
    if (!skipped && /from\s+["']flagright["']/.test(code)) blocks.push({ where: `${rel}:${i + 1}`, code });
    i = j;
  }
  return blocks;
}

const files = ["README.md", ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const blocks = files.flatMap(sdkBlocks);

describe("documented SDK examples", () => {
  const v = useVigil();

  it("the README's SDK example is found", () => {
    assert.ok(blocks.some((b) => b.where.startsWith("README.md:")), "no SDK example found in README.md");
  });

  for (const b of blocks) {
    it(`${b.where} runs as written`, () => {
      const code = b.code.replaceAll("http://127.0.0.1:8080", v.baseUrl);
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
        cwd: here, // "flagright" resolves from this suite's node_modules
        env: { ...process.env, VIGIL_API_KEY: v.apiKey },
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(r.status, 0, `${b.where} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
      const printed = r.stdout.split("\n").map((l) => l.trim());
      for (const m of code.matchAll(/console\.log\(.*\);\s*\/\/\s*(\S+)\s*$/gm)) {
        assert.ok(printed.includes(m[1]), `${b.where} should print ${m[1]}; it printed:\n${r.stdout}`);
      }
    });
  }
});
