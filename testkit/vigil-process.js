// Runs the real `vigil` binary for the Node suites (compat/sdk, e2e/console): its commands
// (keys, analysts) and `vigil serve` on a free loopback port, healthy before it is handed over.
// No dependencies beyond Node itself, so each suite imports it by path.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The binary under test: VIGIL_BIN, resolved; fails with how to set it. */
export function vigilBin() {
  const bin = process.env.VIGIL_BIN;
  if (!bin) {
    throw new Error(
      "VIGIL_BIN is not set. Build the server and point VIGIL_BIN at it, e.g.\n" +
        "  (cd ../.. && go build -o /tmp/vigil ./cmd/vigil) && VIGIL_BIN=/tmp/vigil npm test",
    );
  }
  const abs = path.resolve(bin);
  if (!fs.existsSync(abs)) throw new Error(`VIGIL_BIN=${bin}: no such file`);
  return abs;
}

/** Runs a vigil command to completion and returns its stdout; fails with its output when it fails. */
export function runVigil(bin, args, input) {
  const r = spawnSync(bin, args, { input, encoding: "utf8", timeout: 60_000 });
  if (r.error || r.status !== 0) {
    throw new Error(
      `vigil ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}, signal ${r.signal}`})\n` +
        `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
  return r.stdout;
}

/** A new API key of tenant (created with the tenant if it has none), as `vigil keys create` prints it last. */
export function createKey(bin, db, tenant) {
  const lines = runVigil(bin, ["keys", "create", "--tenant", tenant, "--db", db])
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const key = lines[lines.length - 1];
  if (!key?.startsWith("vgl_")) throw new Error(`vigil keys create printed no key:\n${lines.join("\n")}`);
  return key;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `vigil serve --listen 127.0.0.1:PORT --db db ...args` and waits until GET /healthz
 * answers 200 (failing with the server's output after healthyWithinMs). The server is killed if
 * the test process exits first.
 * @returns {Promise<{baseUrl, output: () => string, exited: () => object|null, stop: () => Promise<object|null>}>}
 *   stop ends it with SIGTERM (SIGKILL after 10 s) and returns how it exited.
 */
export async function serveVigil(bin, db, args = [], { healthyWithinMs = 15_000, keepOutput = 200_000 } = {}) {
  const listen = `127.0.0.1:${await freePort()}`;
  const baseUrl = `http://${listen}`;
  const child = spawn(bin, ["serve", "--listen", listen, "--db", db, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > keepOutput) output = output.slice(-keepOutput / 2);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve((exited = { code, signal })));
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  async function stop() {
    process.off("exit", killOnExit);
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
    return exited;
  }

  const deadline = Date.now() + healthyWithinMs;
  let lastProblem = "no attempt yet";
  for (;;) {
    if (exited) {
      process.off("exit", killOnExit);
      throw new Error(`vigil serve exited early (${JSON.stringify(exited)}); its output:\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `GET /healthz answered ${res.status}`;
    } catch (err) {
      lastProblem = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await stop();
      throw new Error(`vigil serve did not become healthy within ${healthyWithinMs / 1000} s (${lastProblem}); its output:\n${output}`);
    }
    await sleep(100);
  }
  return { baseUrl, output: () => output, exited: () => exited, stop };
}
