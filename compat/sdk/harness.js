// Test harness for the Flagright Node SDK compatibility suite.
//
// startVigil() creates two tenants' API keys, starts `vigil serve` on a free
// loopback port with a fresh SQLite database, waits for /healthz and returns
// the SDK clients a customer would build, plus a few raw-HTTP helpers for the
// requests the SDK cannot express (it validates enums client-side, strips
// unknown keys and has no changeUserId). useVigil() gives a describe() one such
// server; the rest are the assertions, fixtures and SDK calls the files share.

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { it, before, after, afterEach } from "node:test";

import { FlagrightClient, FlagrightError, Flagright } from "flagright";

import { createKey, serveVigil, vigilBin } from "../../testkit/vigil-process.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Request options for every SDK call: no retry, so a 5xx or 429 is never hidden. */
export const NO_RETRY = Object.freeze({ maxRetries: 0, timeoutInSeconds: 15 });

export const MIN_TS = 315529200000;
export const MAX_TS = 4133890801000;

// ---------------------------------------------------------------------------
// Every HTTP response this process sees (SDK and raw fetch alike) is recorded,
// so a test can assert that the server never answered 5xx, even on a path the
// SDK would otherwise retry. The SDK calls the global `fetch` on Node >= 18.
const seen = [];
let nextUnchecked = 0;
if (!globalThis.fetch.__vigilRecorder) {
  const realFetch = globalThis.fetch;
  const recording = async (input, init) => {
    const res = await realFetch(input, init);
    seen.push({ method: init?.method ?? "GET", url: String(input?.url ?? input), status: res.status });
    return res;
  };
  recording.__vigilRecorder = true;
  globalThis.fetch = recording;
}

/** Fails if any response since the previous call had a 5xx status. */
export function assertNo5xxSinceLastCheck() {
  const fresh = seen.slice(nextUnchecked);
  nextUnchecked = seen.length;
  const bad = fresh.filter((r) => r.status >= 500);
  assert.deepEqual(bad, [], `server answered 5xx: ${JSON.stringify(bad)}`);
}

// ---------------------------------------------------------------------------

/** A unique id for one test's user or event. */
export function uid(prefix = "sdk") {
  return `${prefix}-${randomUUID()}`;
}

/** Drops keys whose value is undefined (the SDK's parsed objects keep them). */
export function plain(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The repository's copy of Flagright's example users and SDK requests (testdata/flagright). */
const fixtureDir = path.join(here, "../../testdata/flagright");

/** Reads a JSON fixture from testdata/flagright, e.g. "sdk-requests/create-a-business-user-example-1.request.json". */
export function readFixture(rel) {
  const file = path.join(fixtureDir, rel);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read fixture ${file}: ${err.message}`);
  }
}

/** A user fixture of the spec in wire (JSON) form, ready to create: without its rule and risk results, with `userId` and both timestamps `ts`. */
export function fixtureProfile(rel, userId, ts) {
  const u = readFixture(rel);
  delete u.executedRules;
  delete u.hitRules;
  delete u.riskScoreDetails;
  u.userId = userId;
  u.createdTimestamp = ts;
  u.activatedTimestamp = ts;
  return u;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The SDK client exactly as the SDK's README builds it, pointed at Vigil. */
export function makeClient(baseUrl, apiKey) {
  return new FlagrightClient({ environment: baseUrl, apiKey });
}

/** A tenant name no other server of this run uses (1-63 of a-z 0-9 - _). */
export function uniqueTenant(prefix) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Starts a Vigil server with a fresh database.
 *
 * Tenants are named `sdk` and `other` unless `tenant` / `otherTenant` say otherwise. With
 * VIGIL_SDK_DB every test file's server shares one database, and with it those two tenants
 * (keys create adds a key to an existing tenant): a test that changes tenant-wide state, such
 * as the risk model, must pass names from uniqueTenant() so no other file sees the change.
 * @returns {Promise<{baseUrl, apiKey, otherApiKey, tenant, otherTenant, client, otherClient, api, rawRequest, stop}>}
 */
export async function startVigil({ tenant = "sdk", otherTenant = "other" } = {}) {
  const bin = vigilBin();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-sdk-"));
  // VIGIL_SDK_DB runs the suite on another database (CI uses it for PostgreSQL); every test
  // uses fresh ids, so test files can share one database.
  const db = process.env.VIGIL_SDK_DB || `sqlite:${path.join(tmp, "vigil.db")}`;
  const apiKey = createKey(bin, db, tenant);
  const otherApiKey = createKey(bin, db, otherTenant);
  assert.notEqual(apiKey, otherApiKey, "two tenants got the same API key");

  const server = await serveVigil(bin, db);
  const { baseUrl } = server;

  /** Plain HTTP with fetch, for what the SDK cannot send. */
  async function api(method, urlPath, { body, rawBody, key = apiKey, headers = {} } = {}) {
    const h = { ...headers };
    if (key !== null) h["x-api-key"] = key;
    let payload = rawBody;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    const res = await fetch(baseUrl + urlPath, { method, headers: h, body: payload, redirect: "manual" });
    const text = await res.text();
    let json;
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  /**
   * node:http request for bodies fetch handles badly (oversized bodies the
   * server answers before reading them). Sends the headers first and, if
   * `waitBeforeBodyMs` is set, waits that long for an early answer before
   * sending any body byte; stops writing as soon as an answer arrives.
   * Resolves with {status, headers, text, json, bodyBytesSent}.
   */
  function rawRequest(method, urlPath, { headers = {}, chunks = [], key = apiKey, waitBeforeBodyMs = 0 } = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (key !== null) h["x-api-key"] = key;
      const req = http.request(`${baseUrl}${urlPath}`, { method, headers: h, agent: false });
      let responded = false;
      let settled = false;
      let bodyBytesSent = 0;
      let onResponse;
      const responseArrived = new Promise((r) => (onResponse = r));
      req.on("response", (res) => {
        responded = true;
        onResponse();
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          settled = true;
          req.destroy();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json, bodyBytesSent });
        });
        res.on("error", (err) => !settled && reject(err));
      });
      req.on("error", (err) => {
        // The server may stop reading the upload once it has answered; fail only if no answer comes.
        setTimeout(() => !settled && !responded && reject(err), 2000);
      });
      req.flushHeaders();
      (async () => {
        if (waitBeforeBodyMs > 0) await Promise.race([sleep(waitBeforeBodyMs), responseArrived]);
        for (const c of chunks) {
          if (responded || req.destroyed) return;
          bodyBytesSent += Buffer.byteLength(c);
          if (!req.write(c)) {
            await new Promise((r) => {
              const done = () => {
                req.off("drain", done);
                req.off("close", done);
                r();
              };
              req.on("drain", done);
              req.on("close", done);
            });
          }
        }
        if (!responded && !req.destroyed) req.end();
      })().catch(() => {});
    });
  }

  async function stop() {
    const exited = await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    return { ...exited, output: server.output() };
  }

  return {
    baseUrl,
    apiKey,
    otherApiKey,
    tenant,
    otherTenant,
    client: makeClient(baseUrl, apiKey),
    otherClient: makeClient(baseUrl, otherApiKey),
    api,
    rawRequest,
    stop,
    output: server.output,
  };
}

/**
 * Gives the enclosing describe() one server: started before its first test (startVigil(options)),
 * stopped after its last, and every test fails if the server answered 5xx. Returns the server's
 * object, filled in once the suite's `before` hook has run.
 */
export function useVigil(options) {
  const v = {};
  before(async () => {
    Object.assign(v, await startVigil(options));
  });
  after(async () => {
    await v.stop?.();
  });
  afterEach(() => assertNo5xxSinceLastCheck());
  return v;
}

// ---------------------------------------------------------------------------
// Assertions shared by the test files.

const SEVERITY = { ALLOW: 0, FLAG: 1, SUSPEND: 2, BLOCK: 3 };

/**
 * Rule results: both lists are arrays, every hit rule was executed and hit,
 * and, when `status` is present (or required), it is the most severe hit action.
 */
export function assertRuleResults(res, { statusRequired = false } = {}) {
  assert.ok(Array.isArray(res.executedRules), `executedRules is not an array: ${JSON.stringify(res.executedRules)}`);
  assert.ok(Array.isArray(res.hitRules), `hitRules is not an array: ${JSON.stringify(res.hitRules)}`);
  const executed = new Map(res.executedRules.map((r) => [r.ruleInstanceId, r]));
  for (const hit of res.hitRules) {
    const ex = executed.get(hit.ruleInstanceId);
    assert.ok(ex, `hit rule ${hit.ruleInstanceId} is not among executedRules`);
    assert.equal(ex.ruleHit, true, `hit rule ${hit.ruleInstanceId} has ruleHit=${ex.ruleHit} in executedRules`);
  }
  if (statusRequired || res.status !== undefined) {
    const expected = res.hitRules.reduce(
      (worst, r) => ((SEVERITY[r.ruleAction] ?? 0) > SEVERITY[worst] ? r.ruleAction : worst),
      "ALLOW",
    );
    assert.equal(res.status, expected, "status must be the most severe hit action (ALLOW when nothing hit)");
  }
}

function isJsonContentType(ct) {
  return typeof ct === "string" && /^application\/(.+\+)?json\b/i.test(ct);
}

/** A raw error response: the status, a JSON content type, a string `message`. */
export function assertErrorResponse(res, status, what = "") {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.text}`);
  const ct = typeof res.headers.get === "function" ? res.headers.get("content-type") : res.headers["content-type"];
  assert.ok(isJsonContentType(ct), `${what} error content-type is ${ct}, want JSON`);
  assert.ok(res.json && typeof res.json === "object", `${what} error body is not a JSON object: ${res.text}`);
  assert.equal(typeof res.json.message, "string", `${what} error body has no string message: ${res.text}`);
  assert.ok(res.json.message.length > 0, `${what} error message is empty`);
}

/**
 * Awaits an SDK call that must fail with `status`; returns the error.
 * `cls` is the SDK's typed error class when the SDK has one for that status.
 */
export async function expectSdkError(promise, status, cls) {
  let err;
  try {
    const value = await promise;
    assert.fail(`expected HTTP ${status}, but the call succeeded with ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  assert.ok(err instanceof FlagrightError, `expected a FlagrightError, got ${err?.constructor?.name}: ${err?.message}`);
  assert.equal(err.statusCode, status, `expected HTTP ${status}, got ${err.statusCode}: ${err.message}`);
  if (cls) assert.ok(err instanceof cls, `expected ${cls.name}, got ${err.constructor.name}`);
  assert.equal(typeof err.body?.message, "string", `error body has no string message: ${JSON.stringify(err.body)}`);
  const ct = err.rawResponse?.headers?.get?.("content-type");
  assert.ok(isJsonContentType(ct), `error content-type is ${ct}, want JSON`);
  return err;
}

// Fields the server owns and adds to a stored profile or an event response.
export const USER_SERVER_FIELDS = new Set(["executedRules", "hitRules", "riskScoreDetails", "status", "riskLevel", "kycRiskLevel", "message"]);

const byKey = (tags) => [...(tags ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/**
 * `got` holds exactly the profile `want` (top-level tags compared as a set by key) plus
 * server-owned fields; anything else returned is an error.
 */
export function assertProfile(got, want, what) {
  const g = plain(got);
  const w = plain(want);
  for (const [k, val] of Object.entries(w)) {
    if (k === "tags") assert.deepEqual(byKey(g.tags), byKey(val), `${what}: tags differ`);
    else assert.deepEqual(g[k], val, `${what}: field ${k} differs`);
  }
  const extra = Object.keys(g).filter((k) => !(k in w) && !USER_SERVER_FIELDS.has(k));
  assert.deepEqual(extra, [], `${what}: fields present that should not be`);
}

// Fields the server adds to an event it returns.
const EVENT_SERVER_FIELDS = new Set(["executedRules", "hitRules", "riskScoreDetails", "status"]);

/** SDK GET of `event` by its eventId: 200, every field as sent, nothing added but rule results, risk and status. */
export async function assertEventAsReceived(client, kind, event) {
  const { data, rawResponse } = await USER_KINDS[kind].events(client).get(event.eventId, NO_RETRY).withRawResponse();
  assert.equal(rawResponse.status, 200);
  const got = plain(data);
  for (const [k, val] of Object.entries(event)) assert.deepEqual(got[k], val, `event field ${k}`);
  const extra = Object.keys(got).filter((k) => !(k in event) && !EVENT_SERVER_FIELDS.has(k));
  assert.deepEqual(extra, [], "event GET returned unexpected fields");
  assertRuleResults(data);
}

/** SDK GET of the event `sent` (by its eventId): every field sent comes back equal. Returns the event as plain JSON. */
export async function assertEventStored(client, kind, sent, what) {
  const got = plain(await USER_KINDS[kind].events(client).get(sent.eventId, NO_RETRY));
  for (const [k, val] of Object.entries(sent)) assert.deepEqual(got[k], val, `${what}: ${k}`);
  return got;
}

/** The lines of a validationErrors string. */
export function validationLines(body) {
  assert.equal(typeof body?.validationErrors, "string", `validationErrors is not a string: ${JSON.stringify(body)}`);
  return body.validationErrors.split("\n").filter((l) => l.length > 0);
}

// ---------------------------------------------------------------------------
// The two user types, as the wire and the SDK name them.

const KIND_TS = 1700000000000;

export const USER_KINDS = {
  consumer: {
    name: "consumer",
    other: "business",
    usersPath: "/consumer/users",
    eventsPath: "/events/consumer/user",
    attributes: "updatedConsumerUserAttributes",
    users: (client) => client.consumerUsers,
    events: (client) => client.consumerUserEvents,
    /** The smallest valid create body, plus `extra`. */
    minimal: (userId, extra = {}) => ({ userId, createdTimestamp: KIND_TS, ...extra }),
  },
  business: {
    name: "business",
    other: "consumer",
    usersPath: "/business/users",
    eventsPath: "/events/business/user",
    attributes: "updatedBusinessUserAttributes",
    users: (client) => client.businessUsers,
    events: (client) => client.businessUserEvents,
    minimal: (userId, extra = {}) => ({
      userId,
      createdTimestamp: KIND_TS,
      legalEntity: { companyGeneralDetails: { legalName: `Company ${userId}` } },
      ...extra,
    }),
  },
};

/** The status fields of an active, KYC-successful user whose PEP, sanctions and adverse-media screening found nothing. */
function cleanStanding() {
  return {
    kycStatusDetails: { status: "SUCCESSFUL" },
    userStateDetails: { state: "ACTIVE" },
    pepStatus: [{ isPepHit: false }],
    sanctionsStatus: false,
    adverseMediaStatus: false,
  };
}

/** Tags merging by key under an event patch: the profile's `stored` tags and the patch's `patch` give `merged` (k2 replaced, k3 added). */
export const TAG_MERGE = {
  stored: [
    { key: "k1", value: "v1" },
    { key: "k2", value: "v2" },
  ],
  patch: [
    { key: "k2", value: "v2b" },
    { key: "k3", value: "v3" },
  ],
  merged: [
    { key: "k1", value: "v1" },
    { key: "k2", value: "v2b" },
    { key: "k3", value: "v3" },
  ],
};

/** Creates a user of `kind` through the SDK, with the query `flags`; it must answer 201. Returns the parsed body. */
export async function sdkCreateUser(client, kind, body, flags = {}) {
  const res = await USER_KINDS[kind].users(client).create({ ...flags, body }, NO_RETRY).withRawResponse();
  assert.equal(res.rawResponse.status, 201, `${kind} create must answer 201`);
  return res.data;
}

/** Posts an event for a `kind` user through the SDK, with the query `flags`; it must answer 201. Returns {data, location}. */
export async function sdkPostEvent(client, kind, body, flags = {}) {
  const res = await USER_KINDS[kind].events(client).create({ ...flags, body }, NO_RETRY).withRawResponse();
  assert.equal(res.rawResponse.status, 201, `${kind} event create must answer 201`);
  return { data: res.data, location: res.rawResponse.headers.get("location") };
}

/**
 * Behaviour.md's late event for one user type: an event at t2 blocks `userId` (fraud), then a late one at t1 < t2 sets
 * it ACTIVE with `lateAttributes`. The late event counts at its place, but the later BLOCKED wins: the late event's
 * response and a GET afterwards are `want`.
 */
export async function assertLateEventFoldsIn(client, kind, userId, lateAttributes, want) {
  const K = USER_KINDS[kind];
  const blocked = await sdkPostEvent(client, kind, {
    userId,
    eventId: uid(`ev-${kind}-blocked`),
    timestamp: 1700000002000,
    [K.attributes]: { userStateDetails: { state: "BLOCKED", reason: "fraud" } },
  });
  assert.equal(blocked.data.userStateDetails?.state, "BLOCKED");
  const late = await sdkPostEvent(client, kind, {
    userId,
    eventId: uid(`ev-${kind}-late`),
    timestamp: 1700000001000,
    [K.attributes]: { userStateDetails: { state: "ACTIVE" }, ...lateAttributes },
  });
  assertProfile(late.data, want, "late event response");
  assertRuleResults(late.data);
  assertProfile(await K.users(client).get(userId, NO_RETRY), want, "GET after late event");
}

/** userDetails of a clean domestic consumer: born 1990, resident in and a national of DE. */
export const CLEAN_USER_DETAILS = {
  name: { firstName: "Erika", lastName: "Mustermann" },
  dateOfBirth: "1990-05-17",
  countryOfResidence: "DE",
  countryOfNationality: "DE",
};

/** A clean, active, KYC-successful domestic consumer (DE, born 1990, employed, salary), plus `extra`. */
export function cleanConsumerProfile(userId, extra = {}) {
  return {
    userId,
    createdTimestamp: KIND_TS,
    userDetails: { ...CLEAN_USER_DETAILS },
    employmentStatus: "EMPLOYED",
    sourceOfFunds: ["Salary"],
    ...cleanStanding(),
    ...extra,
  };
}

/** A clean, active, KYB-successful German software company, plus `extra`. */
export function cleanBusinessProfile(userId, extra = {}) {
  return {
    userId,
    createdTimestamp: KIND_TS,
    legalEntity: {
      companyGeneralDetails: { legalName: `Clean Software GmbH ${userId}`, businessIndustry: ["Software"], operatingCountries: ["DE"] },
      companyRegistrationDetails: { registrationIdentifier: "HRB 12345", registrationCountry: "DE", legalEntityType: "GmbH" },
    },
    ...cleanStanding(),
    ...extra,
  };
}

/**
 * Renames (`changeUserId=true` + body `newUserId`, behaviour.md §4) for one user type. SDK 1.8.53
 * has neither the flag nor the field (it would strip `newUserId`), so the rename requests go over
 * plain HTTP; everything around them goes through the SDK. Call inside a describe(); `getVigil`
 * returns the started server.
 */
export function defineRenameTests(getVigil, kind) {
  const K = USER_KINDS[kind];
  const O = USER_KINDS[K.other];
  const enc = encodeURIComponent;
  const ts = KIND_TS;

  const postRaw = (v, query, body) => v.api("POST", `${K.eventsPath}${query}`, { body });

  it(`${kind} rename: changeUserId=true moves the user and its history to newUserId; the old id is 404`, async () => {
    const v = getVigil();
    const oldId = uid(`${kind}-old`);
    const newId = uid(`${kind}-new`);
    const base = K.minimal(oldId, { userStateDetails: { state: "ACTIVE" }, tags: [{ key: "k1", value: "v1" }] });
    await sdkCreateUser(v.client, K.name, base);
    const before = { userId: oldId, eventId: uid("ev-before"), timestamp: ts + 1000, [K.attributes]: { jurisdiction: "before" } };
    const beforeRes = await K.events(v.client).create({ body: before }, NO_RETRY);

    const renameEv = {
      userId: oldId,
      eventId: uid("ev-rename"),
      timestamp: ts + 2000,
      newUserId: newId,
      [K.attributes]: { jurisdiction: "renamed" },
    };
    const res = await postRaw(v, "?changeUserId=true", renameEv);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get("location"), `${K.eventsPath}/${enc(renameEv.eventId)}`);
    const want = { ...base, userId: newId, jurisdiction: "renamed" };
    assertProfile(res.json, want, "rename response");
    assertRuleResults(res.json);

    await expectSdkError(K.users(v.client).get(oldId, NO_RETRY), 404);
    await expectSdkError(O.users(v.client).get(oldId, NO_RETRY), 404);
    assertProfile(await K.users(v.client).get(newId, NO_RETRY), want, "GET new id");

    // Both events stay readable by eventId, as received.
    await assertEventStored(v.client, kind, before, "event before the rename");
    const gotRename = await v.api("GET", `${K.eventsPath}/${enc(renameEv.eventId)}`);
    assert.equal(gotRename.status, 200, gotRename.text);
    for (const [k, val] of Object.entries(renameEv)) assert.deepEqual(gotRename.json[k], val, `rename event: ${k}`);

    // Identical retries replay the stored answers, also after the rename.
    const replay = await postRaw(v, "?changeUserId=true", renameEv);
    assert.equal(replay.status, 201, replay.text);
    assert.deepEqual(replay.json, res.json, "a retried rename replays its first response");
    assert.equal(replay.headers.get("location"), res.headers.get("location"));
    assert.deepEqual(plain(await K.events(v.client).create({ body: before }, NO_RETRY)), plain(beforeRes));

    // The new id takes further events; the old one is unknown.
    const later = await K.events(v.client).create(
      { body: { userId: newId, eventId: uid("ev-after"), timestamp: ts + 3000, [K.attributes]: { jurisdiction: "after" } } },
      NO_RETRY,
    );
    assertProfile(later, { ...want, jurisdiction: "after" }, "event for the new id");
    await expectSdkError(
      K.events(v.client).create({ body: { userId: oldId, eventId: uid("ev-old"), timestamp: ts + 4000 } }, NO_RETRY),
      404,
    );
    assertProfile(await K.users(v.client).get(newId, NO_RETRY), { ...want, jurisdiction: "after" }, "GET new id at the end");
  });

  for (const takenBy of [K, O]) {
    it(`${kind} rename to a userId taken by a ${takenBy.name} user is 409 and changes nothing`, async () => {
      const v = getVigil();
      const id = uid(`${kind}-mv`);
      const takenId = uid(`${takenBy.name}-taken`);
      await sdkCreateUser(v.client, K.name, K.minimal(id, { jurisdiction: "mine" }));
      await sdkCreateUser(v.client, takenBy.name, takenBy.minimal(takenId, { jurisdiction: "theirs" }));
      const eventId = uid("ev-taken");
      const res = await postRaw(v, "?changeUserId=true", {
        userId: id,
        eventId,
        timestamp: ts + 1000,
        newUserId: takenId,
        [K.attributes]: { jurisdiction: "changed" },
      });
      assertErrorResponse(res, 409, "rename onto a taken id:");
      assert.equal((await K.users(v.client).get(id, NO_RETRY)).jurisdiction, "mine");
      assert.equal((await takenBy.users(v.client).get(takenId, NO_RETRY)).jurisdiction, "theirs");
      await expectSdkError(K.events(v.client).get(eventId, NO_RETRY), 404);
    });
  }

  const badNewIds = [
    { name: "without newUserId", extra: {} },
    { name: "with newUserId null", extra: { newUserId: null } },
    { name: 'with newUserId ""', extra: { newUserId: "" } },
    { name: "with a 257-character newUserId", extra: { newUserId: "n".repeat(257) } },
  ];
  for (const { name, extra } of badNewIds) {
    it(`${kind} event with changeUserId=true ${name} is 400 naming newUserId, and changes nothing`, async () => {
      const v = getVigil();
      const id = uid(`${kind}-nonew`);
      await sdkCreateUser(v.client, K.name, K.minimal(id, { jurisdiction: "kept" }));
      const eventId = uid("ev-nonew");
      const res = await postRaw(v, "?changeUserId=true", {
        userId: id,
        eventId,
        timestamp: ts + 1000,
        [K.attributes]: { jurisdiction: "changed" },
        ...extra,
      });
      assertErrorResponse(res, 400, `rename ${name}:`);
      const lines = validationLines(res.json);
      assert.ok(lines.some((l) => l.startsWith("newUserId: ")), `no "newUserId: ..." line in ${JSON.stringify(lines)}`);
      assert.equal((await K.users(v.client).get(id, NO_RETRY)).jurisdiction, "kept");
      await expectSdkError(K.events(v.client).get(eventId, NO_RETRY), 404);
    });
  }

  for (const query of ["", "?changeUserId=false"]) {
    it(`${kind} event with newUserId and ${query ? query.slice(1) : "no changeUserId"} ignores newUserId`, async () => {
      const v = getVigil();
      const id = uid(`${kind}-keep`);
      const newId = uid(`${kind}-ignored`);
      const base = K.minimal(id);
      await sdkCreateUser(v.client, K.name, base);
      const res = await postRaw(v, query, {
        userId: id,
        eventId: uid("ev-ignored"),
        timestamp: ts + 1000,
        newUserId: newId,
        [K.attributes]: { jurisdiction: "applied" },
      });
      assert.equal(res.status, 201, res.text);
      const want = { ...base, jurisdiction: "applied" };
      assertProfile(res.json, want, "event response");
      assertProfile(await K.users(v.client).get(id, NO_RETRY), want, "GET old id");
      await expectSdkError(K.users(v.client).get(newId, NO_RETRY), 404);
      await expectSdkError(O.users(v.client).get(newId, NO_RETRY), 404);
    });
  }
}

export { Flagright, FlagrightError, FlagrightClient };
