// Harness of the console's end-to-end suite: a real `vigil serve` on a fresh SQLite database, a
// local webhook receiver, Debian's Chromium driven by playwright-core, and the screenshots.
//
// Nothing here is a stand-in: the server is the built binary (VIGIL_BIN), the analysts are added
// with `vigil analysts add` as an operator would, the users are created through the HTTP API
// with a key from `vigil keys create`, and the browser is a real headless Chromium.

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";

import { chromium } from "playwright-core";

import { createKey, runVigil, serveVigil, vigilBin } from "../../testkit/vigil-process.js";

/** Generous waits: the suite runs on a slow, shared machine; a wait ends as soon as its state holds. */
export const NAV_TIMEOUT = 60_000;
export const ACTION_TIMEOUT = 30_000;
export const WEBHOOK_TIMEOUT = 60_000;

/** The two widths every page is photographed at. */
export const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value (returned) or timeoutMs passes (fails with what). */
export async function waitFor(fn, what, timeoutMs = WEBHOOK_TIMEOUT) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await sleep(100);
  }
}

/**
 * Starts a Vigil server on a fresh SQLite database for one tenant, with one console account per
 * role in `analysts` ({email, role, password}), added before the server starts. Webhooks may
 * reach loopback receivers (`--webhook-allow 127.0.0.0/8`).
 * @returns {Promise<{baseUrl, apiKey, api, stop, output}>}
 */
export async function startVigil({ tenant, analysts }) {
  const bin = vigilBin();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-console-e2e-"));
  const db = `sqlite:${path.join(tmp, "vigil.db")}`;
  const apiKey = createKey(bin, db, tenant);
  for (const a of analysts) {
    runVigil(bin, ["analysts", "add", "--tenant", tenant, "--email", a.email, "--role", a.role, "--db", db], a.password + "\n");
  }
  const server = await serveVigil(bin, db, ["--webhook-allow", "127.0.0.0/8", "--webhook-first-retry", "1s"], {
    healthyWithinMs: 30_000,
    keepOutput: 400_000,
  });
  const { baseUrl } = server;

  /** One API request with the tenant's key; JSON in and out. */
  async function api(method, urlPath, body) {
    const headers = { "x-api-key": apiKey };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(baseUrl + urlPath, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }

  async function stop() {
    const exited = await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    return exited;
  }

  return { baseUrl, apiKey, api, stop, output: server.output };
}

/**
 * A webhook receiver on a free loopback port: it keeps every request's headers and exact body
 * bytes and answers 204.
 */
export async function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/vigil-webhooks`;
  return {
    url,
    received,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Whether the signature header carries an HMAC-SHA256 of body under secret (docs/webhooks.md). */
export function signedWith(body, header, secret) {
  if (!header || !secret) return false;
  const expected = crypto.createHmac("sha256", secret).update(body).digest();
  return header.split(",").some((entry) => {
    const hex = entry.trim();
    return /^[0-9a-fA-F]{64}$/.test(hex) && crypto.timingSafeEqual(Buffer.from(hex, "hex"), expected);
  });
}

/**
 * Debian's Chromium (or CHROMIUM_PATH) through playwright-core, headless, with every feature
 * that would reach the network on its own turned off: the machine has no way out, and Chromium
 * otherwise keeps trying.
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  // launch() gives the browser a fresh, empty user data directory of its own and removes it on
  // close. Playwright passes most of these switches too; they are named here so the suite does
  // not depend on its defaults.
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: NAV_TIMEOUT,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Any host name but the server's address fails at once instead of waiting on a closed network.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
}

/** A browser context at desktop size with the suite's timeouts and a watch on what goes wrong. */
export async function newContext(browser, baseUrl) {
  const context = await browser.newContext({ viewport: VIEWPORTS[0], deviceScaleFactor: 1, locale: "en-GB" });
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  context.setDefaultTimeout(ACTION_TIMEOUT);
  const watch = new Watch(new URL(baseUrl).host);
  context.on("page", (p) => watch.attach(p));
  return { context, watch };
}

/**
 * Watch records what a page must not do unnoticed: answers of 400 or more, requests to
 * another host, failed requests, console errors (a Content-Security-Policy violation is one) and uncaught script errors.
 * Each step takes what was recorded since the step before and compares it with what it expected.
 */
export class Watch {
  /** @param {string} host the server's host:port, the only one a page may ask */
  constructor(host) {
    this.host = host;
    this.statuses = [];
    this.problems = [];
  }

  attach(page) {
    page.on("response", (res) => {
      const where = new URL(res.url()).pathname;
      // The browser asks for /favicon.ico on its own; it is not the console's (which has no icon).
      if (res.status() >= 400 && where !== "/favicon.ico") this.statuses.push(`${res.status()} ${res.request().method()} ${where}`);
    });
    page.on("request", (req) => {
      // The console loads nothing from another host (docs/console.md).
      const { protocol, host } = new URL(req.url());
      if (host !== this.host && protocol !== "data:") {
        this.problems.push(`request to another host: ${req.method()} ${req.url()}`);
      }
    });
    page.on("requestfailed", (req) => {
      this.problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
    });
    page.on("console", (msg) => {
      // A page answered 4xx logs "Failed to load resource"; statuses are checked on their own.
      if (msg.type() === "error" && !/^Failed to load resource/.test(msg.text())) {
        this.problems.push(`console error: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => this.problems.push(`page error: ${err.message}`));
  }

  /** Fails unless the answers >= 400 since the last check are exactly `statuses` and nothing else went wrong. */
  check(statuses = []) {
    const got = this.statuses.splice(0);
    const problems = this.problems.splice(0);
    assert.deepEqual(problems, [], "the browser reported problems");
    assert.deepEqual(got, statuses, "unexpected error answers to the browser");
  }
}

/**
 * Screenshots: every page at 1280 px and at a phone's width, full length, numbered in the order
 * taken, into VIGIL_E2E_SCREENSHOTS (default: a new temporary directory).
 */
export class Screenshots {
  constructor() {
    this.dir = process.env.VIGIL_E2E_SCREENSHOTS || fs.mkdtempSync(path.join(os.tmpdir(), "vigil-console-screenshots-"));
    fs.mkdirSync(this.dir, { recursive: true });
    this.count = 0;
    this.files = [];
  }

  /**
   * Photographs the page at each width. At every width the page must have its stylesheet and
   * must not scroll sideways (wide tables scroll inside their own box).
   */
  async take(page, name) {
    this.count++;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      const layout = await page.evaluate(() => ({
        rules: [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0),
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      assert.ok(layout.rules > 0, `${name}: the console's stylesheet did not load`);
      assert.ok(
        layout.scrollWidth <= layout.innerWidth,
        `${name} at ${vp.width} px scrolls sideways (the page is ${layout.scrollWidth} px wide)`,
      );
      const file = path.join(this.dir, `${String(this.count).padStart(2, "0")}-${slug}-${vp.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      this.files.push(file);
    }
    await page.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height });
  }
}
