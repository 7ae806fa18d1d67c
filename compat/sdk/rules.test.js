// User rules (behaviour.md §6) as a customer's integration sees them: executedRules / hitRules /
// status on every create, event and GET through the SDK, the default library a new tenant starts
// with, and Vigil's rules API over plain HTTP (GET /rules, GET/PUT/DELETE /rules/{id},
// GET /rules/{id}/versions, GET /{consumer|business}/users/{userId}/rules): tenant rules, disabling
// a library rule, shadow rules, triggersOnHit, per-CRA-level parameters and actions, and the
// stateful contact-change rule R-U8.1 against the server's real clock.
//
// Every test that changes rules starts its own server with tenants no other test uses (with
// VIGIL_SDK_DB all servers share one database); the library tests share one server, with their
// own tenants too, and change nothing.
import { describe, it, before, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

import {
  useVigil,
  startVigil,
  uniqueTenant,
  NO_RETRY,
  uid,
  plain,
  assertRuleResults,
  assertErrorResponse,
  expectSdkError,
  assertNo5xxSinceLastCheck,
  USER_KINDS,
  cleanConsumerProfile,
  cleanBusinessProfile,
} from "./harness.js";

const DAY = 24 * 3600 * 1000;
const enc = encodeURIComponent;

const LEVELS = ["VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"];
const ACTIONS = ["ALLOW", "FLAG", "SUSPEND", "BLOCK"];
const NATURES = ["AML", "FRAUD", "CTF", "SCREENING"];
const SEVERITY = { ALLOW: 0, FLAG: 1, SUSPEND: 2, BLOCK: 3 };
const LIBRARY_IDS = Array.from({ length: 15 }, (_, i) => `R-U${i + 1}.1`);
const USER_TYPE = { consumer: "CONSUMER", business: "BUSINESS" };

// Events of most tests are dated after the server's clock, so they sort after each other.
let clock = Date.now() + 60_000;
const nextTs = () => (clock += 1000);

// ---- profiles ---------------------------------------------------------------------------------

/** A clean, active, KYC-successful domestic consumer: DE, born 1990, employed, salary, valid passport. */
function cleanConsumer(userId, extra = {}) {
  return cleanConsumerProfile(userId, {
    legalDocuments: [
      {
        documentType: "passport",
        documentNumber: "C01X00T47",
        documentIssuedCountry: "DE",
        documentIssuedDate: Date.now() - 2 * 365 * DAY,
        documentExpirationDate: Date.now() + 5 * 365 * DAY,
      },
    ],
    ...extra,
  });
}

/** A clean, active, KYB-successful German software company. */
const cleanBusiness = cleanBusinessProfile;

const person = (firstName, extra = {}) => ({
  generalDetails: { name: { firstName, lastName: "Director" }, countryOfResidence: "DE", countryOfNationality: "DE" },
  ...extra,
});

const SANCTIONED_PEP = { sanctionsStatus: true, pepStatus: [{ isPepHit: true, pepRank: "LEVEL_1" }] };
const yearsAgo = (n) => `${new Date().getUTCFullYear() - n}-01-01`;

// ---- rule results -----------------------------------------------------------------------------

/** Go's naturalLess of internal/vigil: digit runs compare by value, everything else bytewise. */
function naturalCompare(a, b) {
  const digits = (s) => /^[0-9]*/.exec(s)[0];
  while (a !== "" && b !== "") {
    const da = digits(a);
    const db = digits(b);
    if (da !== "" && db !== "") {
      if (da.length !== db.length) return da.length - db.length;
      if (da !== db) return da < db ? -1 : 1;
      a = a.slice(da.length);
      b = b.slice(db.length);
      continue;
    }
    if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
    a = a.slice(1);
    b = b.slice(1);
  }
  return a.length - b.length;
}

/** The live rules of a tenant's rule list that run for a user type and stage, in result order. */
function liveRuleIds(rules, userType, stage) {
  return rules
    .filter((r) => r.enabled !== false && r.isShadow !== true)
    .filter((r) => !r.userTypes?.length || r.userTypes.includes(userType))
    .filter((r) => !r.stages?.length || r.stages.includes(stage))
    .map((r) => r.ruleInstanceId)
    .sort(naturalCompare);
}

/**
 * Checks the rule results of one response (create, event, GET) in full and returns
 * {executed, hits, hitIds} (plain JSON).
 *  - every executed result has ruleInstanceId, ruleName, ruleDescription, ruleAction, ruleHit,
 *    versionId, executedAt, executedRiskLevel, labels and nature; a hit carries vars;
 *  - hitRules are exactly the executed results with ruleHit true, in the same order, with the
 *    same fields but without ruleHit and vars;
 *  - status is the most severe hit action (ALLOW when none hit), and is always present;
 *  - with `rules` (GET /rules) and `userType` / `stage`: the executed rules are exactly the live
 *    rules that apply, in natural order of their ids, each reporting its definition's name,
 *    description, labels, nature and current versionId;
 *  - with `level`: every result's executedRiskLevel is that level.
 */
function assertRules(res, what, { rules, userType, stage, level, status = true } = {}) {
  const r = plain(res);
  assertRuleResults(r, { statusRequired: status });
  const executed = r.executedRules;
  const hits = r.hitRules;
  const now = Date.now();
  const levels = new Set();
  for (const e of executed) {
    const w = `${what}: executed ${e.ruleInstanceId}`;
    for (const k of ["ruleInstanceId", "ruleName", "ruleDescription", "versionId"]) {
      assert.equal(typeof e[k], "string", `${w}: ${k} must be a string (${JSON.stringify(e)})`);
      assert.ok(e[k].length > 0, `${w}: ${k} is empty`);
    }
    assert.ok(ACTIONS.includes(e.ruleAction), `${w}: ruleAction ${JSON.stringify(e.ruleAction)}`);
    assert.equal(typeof e.ruleHit, "boolean", `${w}: ruleHit must be a boolean (${JSON.stringify(e)})`);
    assert.ok(Number.isInteger(e.executedAt), `${w}: executedAt ${JSON.stringify(e.executedAt)} is not epoch ms`);
    assert.ok(Math.abs(e.executedAt - now) < 10 * 60_000, `${w}: executedAt ${e.executedAt} is not the server's time of the write`);
    assert.ok(LEVELS.includes(e.executedRiskLevel), `${w}: executedRiskLevel ${JSON.stringify(e.executedRiskLevel)}`);
    levels.add(e.executedRiskLevel);
    assert.ok(Array.isArray(e.labels), `${w}: labels must be an array (${JSON.stringify(e)})`);
    assert.ok(NATURES.includes(e.nature), `${w}: nature ${JSON.stringify(e.nature)}`);
    if (e.ruleHit) {
      assert.ok(Array.isArray(e.vars) && e.vars.length > 0, `${w}: a hit must carry vars (${JSON.stringify(e)})`);
      for (const v of e.vars) assert.ok(v.value && typeof v.value === "object", `${w}: vars[].value must be an object`);
    }
  }
  assert.equal(levels.size <= 1, true, `${what}: one write is evaluated at one risk level, got ${[...levels]}`);
  assert.equal(
    new Set(executed.map((e) => e.ruleInstanceId)).size,
    executed.length,
    `${what}: a rule is executed twice: ${executed.map((e) => e.ruleInstanceId)}`,
  );

  const expectedHits = executed
    .filter((e) => e.ruleHit)
    .map(({ ruleHit, vars, ...rest }) => rest); // eslint-disable-line no-unused-vars
  assert.deepEqual(hits, expectedHits, `${what}: hitRules must be the hit executedRules, in order, without ruleHit and vars`);

  if (rules) {
    assert.deepEqual(
      executed.map((e) => e.ruleInstanceId),
      liveRuleIds(rules, userType, stage),
      `${what}: executedRules must be every live ${userType} rule of stage ${stage}, in natural order`,
    );
    const defs = new Map(rules.map((d) => [d.ruleInstanceId, d]));
    for (const e of executed) {
      const d = defs.get(e.ruleInstanceId);
      const w = `${what}: executed ${e.ruleInstanceId}`;
      assert.equal(e.ruleName, d.ruleName, `${w}: ruleName`);
      assert.equal(e.ruleDescription, d.ruleDescription, `${w}: ruleDescription`);
      assert.equal(e.versionId, d.versionId, `${w}: versionId must be the rule's current version`);
      assert.deepEqual(e.labels, d.labels ?? [], `${w}: labels`);
      assert.equal(e.nature, d.nature, `${w}: nature`);
      if (e.ruleId !== undefined) assert.equal(e.ruleId, d.ruleId, `${w}: ruleId`);
      const action = d.riskLevelActions?.[e.executedRiskLevel] ?? d.ruleAction;
      assert.equal(e.ruleAction, action, `${w}: ruleAction must be the rule's action at ${e.executedRiskLevel}`);
    }
  }
  if (level !== undefined && executed.length > 0) {
    assert.deepEqual([...levels], [level], `${what}: executedRiskLevel`);
  }
  return { executed, hits, hitIds: hits.map((h) => h.ruleInstanceId), status: r.status };
}

const ruleResults = (res) => {
  const r = plain(res);
  return { executedRules: r.executedRules, hitRules: r.hitRules };
};

// ---- a customer's calls, on one server ----------------------------------------------------------

function calls(v) {
  const c = {
    async listRules(key = v.apiKey) {
      const res = await v.api("GET", "/rules", { key });
      assert.equal(res.status, 200, `GET /rules: ${res.text}`);
      assert.ok(Array.isArray(res.json?.rules), `GET /rules must answer {rules: [...]}: ${res.text}`);
      return res.json.rules;
    },
    async getRule(id, key = v.apiKey) {
      const res = await v.api("GET", `/rules/${enc(id)}`, { key });
      assert.equal(res.status, 200, `GET /rules/${id}: ${res.text}`);
      return res.json;
    },
    /** PUT /rules/{id} with a JSON object (body) or a YAML string; returns the raw response. */
    putRule(id, rule, key = v.apiKey) {
      if (typeof rule === "string") {
        return v.api("PUT", `/rules/${enc(id)}`, { rawBody: rule, headers: { "content-type": "application/yaml" }, key });
      }
      return v.api("PUT", `/rules/${enc(id)}`, { body: rule, key });
    },
    /** PUT that must succeed: 200 with the rule as stored, a new versionId, every sent field. */
    async putRuleOk(id, rule, sent = rule) {
      const before = await v.api("GET", `/rules/${enc(id)}`);
      const res = await c.putRule(id, rule);
      assert.equal(res.status, 200, `PUT /rules/${id}: ${res.text}`);
      const got = res.json;
      assert.equal(got.ruleInstanceId, id, `PUT /rules/${id}: ruleInstanceId`);
      assert.equal(typeof got.versionId, "string", `PUT /rules/${id}: versionId`);
      assert.ok(got.versionId.length > 0, `PUT /rules/${id}: empty versionId`);
      if (before.status === 200) assert.notEqual(got.versionId, before.json.versionId, `PUT /rules/${id} must make a new version`);
      for (const [k, val] of Object.entries(sent)) {
        if (k !== "versionId") assert.deepEqual(got[k], val, `PUT /rules/${id}: field ${k} as stored`);
      }
      assert.deepEqual(await c.getRule(id), got, `GET /rules/${id} after PUT returns the stored rule`);
      return got;
    },
    async versions(id) {
      const res = await v.api("GET", `/rules/${enc(id)}/versions`);
      assert.equal(res.status, 200, `GET /rules/${id}/versions: ${res.text}`);
      assert.ok(Array.isArray(res.json?.versions), `versions must be {versions: [...]}: ${res.text}`);
      return res.json.versions;
    },
    async create(kind, body, { flags = {}, client = v.client } = {}) {
      const res = await USER_KINDS[kind].users(client).create({ ...flags, body }, NO_RETRY).withRawResponse();
      assert.equal(res.rawResponse.status, 201, `${kind} create must answer 201`);
      assert.equal(res.data.userId, body.userId);
      return plain(res.data);
    },
    async event(kind, userId, patch, { ts = nextTs(), flags = {}, client = v.client } = {}) {
      const K = USER_KINDS[kind];
      const body = { userId, eventId: uid(`ev-rules-${kind}`), timestamp: ts, [K.attributes]: patch };
      const res = await K.events(client).create({ ...flags, body }, NO_RETRY).withRawResponse();
      assert.equal(res.rawResponse.status, 201, `${kind} event must answer 201`);
      return { eventId: body.eventId, res: plain(res.data) };
    },
    async getUser(kind, userId, client = v.client) {
      return plain(await USER_KINDS[kind].users(client).get(userId, NO_RETRY));
    },
    async getEvent(kind, eventId, client = v.client) {
      return plain(await USER_KINDS[kind].events(client).get(eventId, NO_RETRY));
    },
    /** The user's GET carries the rule results and status of `write` (its latest write). */
    async assertStored(kind, userId, write, what) {
      const got = await c.getUser(kind, userId);
      assertRules(got, `GET after ${what}`);
      assert.deepEqual(ruleResults(got), ruleResults(write), `GET after ${what}: the latest write's rule results`);
      assert.equal(got.status, write.status, `GET after ${what}: status`);
      return got;
    },
    /** GET /{kind}/users/{userId}/rules (Vigil extension). */
    async userRules(kind, userId) {
      const res = await v.api("GET", `${USER_KINDS[kind].usersPath}/${enc(userId)}/rules`);
      assert.equal(res.status, 200, `GET ${kind} user rules: ${res.text}`);
      return res.json;
    },
  };
  return c;
}

async function ownServer(t, prefix) {
  const v = await startVigil({ tenant: uniqueTenant(prefix), otherTenant: uniqueTenant(`${prefix}-o`) });
  t.after(() => v.stop());
  return { v, c: calls(v) };
}

/** The library as `vigil rules library` prints it: ruleInstanceId, ruleName, ruleAction per rule. */
function printedLibrary() {
  const r = spawnSync(path.resolve(process.env.VIGIL_BIN), ["rules", "library"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, `vigil rules library: ${r.stderr}`);
  return r.stdout
    .split(/\n\s*- ruleId: /)
    .slice(1)
    .map((block) => ({
      ruleInstanceId: /\bruleInstanceId: (\S+)/.exec(block)?.[1],
      ruleName: /\bruleName: (.+)/.exec(block)?.[1].trim(),
      ruleAction: /\bruleAction: (\S+)/.exec(block)?.[1],
    }));
}

// =============================================================================================
// The default library, as a new tenant has it. Nothing here changes rules.

describe("default rule library via the SDK", () => {
  const v = useVigil({ tenant: uniqueTenant("rules-lib"), otherTenant: uniqueTenant("rules-lib-o") });
  const c = calls(v);
  let library;
  before(async () => {
    library = await c.listRules();
  });

  /** Creates a `kind` user from `body`: it runs the library's INITIAL rules at VERY_HIGH and hits `tc.hits` with `tc.status`. */
  async function createLibraryCase(kind, body, tc) {
    const res = await c.create(kind, body);
    const what = `create ${tc.name}`;
    const r = assertRules(res, what, { rules: library, userType: USER_TYPE[kind], stage: "INITIAL", level: "VERY_HIGH" });
    assert.deepEqual(r.hitIds, tc.hits, `${what}: hitRules`);
    assert.equal(r.status, tc.status, `${what}: status`);
    return { res, what, r };
  }

  it("GET /rules lists the 15 library rules R-U1.1 .. R-U15.1, enabled, as `vigil rules library` prints them", async () => {
    const ids = library.map((r) => r.ruleInstanceId).sort(naturalCompare);
    assert.deepEqual(ids, LIBRARY_IDS);
    const printed = printedLibrary();
    assert.deepEqual(printed.map((p) => p.ruleInstanceId), LIBRARY_IDS, "vigil rules library prints R-U1.1 .. R-U15.1");
    for (const p of printed) {
      const r = library.find((x) => x.ruleInstanceId === p.ruleInstanceId);
      assert.equal(r.ruleName, p.ruleName, `${p.ruleInstanceId}: ruleName`);
      assert.equal(r.ruleAction, p.ruleAction, `${p.ruleInstanceId}: ruleAction`);
      assert.notEqual(r.enabled, false, `${p.ruleInstanceId} must be enabled on a new tenant`);
      assert.notEqual(r.isShadow, true, `${p.ruleInstanceId} must be live on a new tenant`);
      assert.equal(typeof r.expression, "string", `${p.ruleInstanceId}: expression`);
      assert.equal(typeof r.versionId, "string", `${p.ruleInstanceId}: versionId`);
    }
    assert.equal(new Set(library.map((r) => r.versionId)).size, 15, "every rule has its own versionId");
    // The other tenant has its own copy: same rules, other versions.
    const other = await c.listRules(v.otherApiKey);
    assert.deepEqual(other.map((r) => r.ruleInstanceId).sort(naturalCompare), LIBRARY_IDS);
    for (const r of other) {
      assert.notEqual(r.versionId, library.find((x) => x.ruleInstanceId === r.ruleInstanceId).versionId, `${r.ruleInstanceId}: tenants share a version`);
    }
  });

  it("GET /rules/R-U1.1 is the sanctions rule (BLOCK) as listed; its versions list holds that one version", async () => {
    const r = await c.getRule("R-U1.1");
    assert.deepEqual(r, library.find((x) => x.ruleInstanceId === "R-U1.1"));
    assert.equal(r.ruleId, "R-U1");
    assert.equal(r.ruleAction, "BLOCK");
    assert.equal(r.ruleName, "Sanctioned user");
    assert.equal(r.expression, "user.sanctionsStatus == true");
    const versions = await c.versions("R-U1.1");
    assert.equal(versions.length, 1, JSON.stringify(versions));
    assert.equal(versions[0].versionId, r.versionId);
    assert.deepEqual(versions[0].rule, r);
    assert.notEqual(versions[0].deleted, true);

    for (const p of ["/rules/RC-nope", "/rules/RC-nope/versions"]) {
      assertErrorResponse(await v.api("GET", p), 404, `GET ${p}:`);
    }
    assertErrorResponse(await v.api("GET", "/rules", { key: null }), 401, "GET /rules without a key:");
  });

  const consumerCases = [
    { name: "a clean, active, KYC-successful domestic consumer", extra: {}, hits: [], status: "ALLOW" },
    { name: "a sanctioned PEP", extra: SANCTIONED_PEP, hits: ["R-U1.1", "R-U2.1"], status: "BLOCK", craAboveKrs: true },
    { name: "a consumer in adverse media", extra: { adverseMediaStatus: true }, hits: ["R-U3.1"], status: "FLAG" },
    { name: "a consumer whose KYC failed", extra: { kycStatusDetails: { status: "FAILED" } }, hits: ["R-U4.1", "R-U10.1"], status: "SUSPEND" },
    {
      name: "a consumer resident in an FATF call-for-action country",
      extra: { userDetails: { name: { firstName: "Ali" }, dateOfBirth: "1990-05-17", countryOfResidence: "IR", countryOfNationality: "DE" } },
      hits: ["R-U5.1"],
      status: "FLAG",
    },
    {
      name: "a consumer with an expired passport",
      extra: { legalDocuments: [{ documentType: "passport", documentNumber: "X1", documentExpirationDate: Date.now() - 30 * DAY }] },
      hits: ["R-U7.1"],
      status: "FLAG",
    },
    {
      name: "a minor",
      extra: { userDetails: { name: { firstName: "Kim" }, dateOfBirth: yearsAgo(12), countryOfResidence: "DE", countryOfNationality: "DE" } },
      hits: ["R-U9.1"],
      status: "FLAG",
    },
    { name: "an active consumer whose KYC is in progress", extra: { kycStatusDetails: { status: "IN_PROGRESS" } }, hits: ["R-U10.1"], status: "FLAG" },
    { name: "a consumer funded by gambling", extra: { sourceOfFunds: ["Salary", "Gambling"] }, hits: ["R-U14.1"], status: "FLAG" },
  ];
  for (const tc of consumerCases) {
    it(`consumer create: ${tc.name} hits ${tc.hits.join(", ") || "nothing"} (status ${tc.status}); GET returns the same`, async () => {
      const userId = uid("rules-lib");
      const { res, what, r } = await createLibraryCase("consumer", cleanConsumer(userId, tc.extra), tc);
      for (const h of r.hits) {
        assert.equal(h.ruleAction, library.find((x) => x.ruleInstanceId === h.ruleInstanceId).ruleAction, `${what}: ${h.ruleInstanceId} action`);
      }
      const sanctions = r.executed.find((e) => e.ruleInstanceId === "R-U1.1");
      if (tc.hits.includes("R-U1.1")) {
        assert.equal(sanctions.vars[0].value["user.sanctionsStatus"], true, `${what}: R-U1.1 vars must show the value read`);
      }
      const d = plain(res.riskScoreDetails);
      if (tc.craAboveKrs) assert.ok(d.craRiskScore > d.kycRiskScore, `${what}: hits must put the CRA above the KRS: ${JSON.stringify(d)}`);
      if (tc.hits.length === 0) assert.equal(d.craRiskScore, d.kycRiskScore, `${what}: no hits, so CRA = KRS: ${JSON.stringify(d)}`);
      await c.assertStored("consumer", userId, res, what);
    });
  }

  it("consumer event: making a clean user sanctioned hits R-U1.1, status BLOCK; event GET and user GET return the same results", async () => {
    const userId = uid("rules-ev");
    const created = await c.create("consumer", cleanConsumer(userId));
    assert.deepEqual(assertRules(created, "create clean").hitIds, []);
    assert.equal(created.status, "ALLOW");

    const { eventId, res } = await c.event("consumer", userId, { sanctionsStatus: true });
    // Rules run at the user's CRA level from before the event.
    const level = plain(created.riskScoreDetails).craRiskLevel;
    const r = assertRules(res, "sanctioning event", { rules: library, userType: "CONSUMER", stage: "UPDATE", level });
    assert.deepEqual(r.hitIds, ["R-U1.1"]);
    assert.equal(r.status, "BLOCK");
    assert.equal(res.sanctionsStatus, true, "the event response is the user after the event");

    const got = await c.getEvent("consumer", eventId);
    assertRules(got, "event GET", { status: false });
    assert.deepEqual(ruleResults(got), ruleResults(res), "GET of the event returns the rule results computed when it was applied");
    await c.assertStored("consumer", userId, res, "the sanctioning event");

    // A later event that clears the sanction: nothing hits any more.
    const cleared = await c.event("consumer", userId, { sanctionsStatus: false });
    const rc = assertRules(cleared.res, "clearing event", { rules: library, userType: "CONSUMER", stage: "UPDATE" });
    assert.deepEqual(rc.hitIds, []);
    assert.equal(rc.status, "ALLOW");
    await c.assertStored("consumer", userId, cleared.res, "the clearing event");
  });

  const businessCases = [
    { name: "a clean, active German company", extra: {}, hits: [], status: "ALLOW" },
    { name: "a sanctioned business", extra: { sanctionsStatus: true }, hits: ["R-U1.1"], status: "BLOCK" },
    {
      name: "a business with a PEP director",
      extra: { directors: [person("Clean"), person("Pepper", { pepStatus: [{ isPepHit: true, pepRank: "LEVEL_2", pepCountry: "DE" }] })] },
      hits: ["R-U12.1"],
      status: "FLAG",
    },
    {
      name: "a sanctioned business with a PEP shareholder",
      extra: { sanctionsStatus: true, shareHolders: [person("Holder", { pepStatus: [{ isPepHit: true }] })] },
      hits: ["R-U1.1", "R-U12.1"],
      status: "BLOCK",
    },
  ];
  for (const tc of businessCases) {
    it(`business create: ${tc.name} hits ${tc.hits.join(", ") || "nothing"} (status ${tc.status}); GET returns the same`, async () => {
      const userId = uid("rules-biz");
      const { res, what } = await createLibraryCase("business", cleanBusiness(userId, tc.extra), tc);
      await c.assertStored("business", userId, res, what);
    });
  }

  it("business event: adding a PEP director to a clean business hits R-U12.1 (FLAG); event GET returns the same", async () => {
    const userId = uid("rules-biz-ev");
    const created = await c.create("business", cleanBusiness(userId));
    assert.deepEqual(assertRules(created, "create clean business").hitIds, []);
    const { eventId, res } = await c.event("business", userId, {
      directors: [person("Pepper", { pepStatus: [{ isPepHit: true, pepRank: "LEVEL_1" }] })],
    });
    const r = assertRules(res, "PEP director event", { rules: library, userType: "BUSINESS", stage: "UPDATE" });
    assert.deepEqual(r.hitIds, ["R-U12.1"]);
    assert.equal(r.status, "FLAG");
    assert.deepEqual(ruleResults(await c.getEvent("business", eventId)), ruleResults(res), "event GET");
    await c.assertStored("business", userId, res, "the PEP director event");
  });

  // ---- R-U8.1: contact details changed >= 3 times within 30 days (stage UPDATE) -------------

  const contactScenarios = [
    {
      name: "three changes within the last 30 days hit on the third",
      steps: [
        { daysAgo: 3, patch: { contactDetails: { emailIds: ["first@example.org"] } }, hit: false },
        { daysAgo: 2, patch: { contactDetails: { contactNumbers: ["+49 30 1234567"] } }, hit: false },
        { daysAgo: 1, patch: { contactDetails: { addresses: [{ addressLines: ["Unter den Linden 1"], city: "Berlin", country: "Germany" }] } }, hit: true },
      ],
    },
    {
      name: "changes older than 30 days do not count",
      steps: [
        { daysAgo: 50, patch: { contactDetails: { emailIds: ["old1@example.org"] } }, hit: false },
        { daysAgo: 45, patch: { contactDetails: { contactNumbers: ["+49 30 1111111"] } }, hit: false },
        { daysAgo: 40, patch: { contactDetails: { emailIds: ["old2@example.org"] } }, hit: false },
        { daysAgo: 35, patch: { contactDetails: { addresses: [{ addressLines: ["Alte Strasse 1"] }] } }, hit: false },
        { daysAgo: 3, patch: { contactDetails: { emailIds: ["new1@example.org"] } }, hit: false },
        { daysAgo: 2, patch: { contactDetails: { contactNumbers: ["+49 30 2222222"] } }, hit: false },
        { daysAgo: 1, patch: { contactDetails: { emailIds: ["new2@example.org"] } }, hit: true },
      ],
    },
    {
      name: "events that change nothing tracked do not count",
      steps: [
        { daysAgo: 4, patch: { contactDetails: { emailIds: ["a@example.org"] } }, hit: false },
        { daysAgo: 3, patch: { occupation: "baker" }, hit: false },
        { daysAgo: 2, patch: { contactDetails: { emailIds: ["a@example.org"] } }, hit: false }, // the same value again
        { daysAgo: 1, patch: { contactDetails: { emailIds: ["b@example.org"] } }, hit: false },
        { daysAgo: 0.5, patch: { contactDetails: { contactNumbers: ["+49 30 3333333"] } }, hit: true },
      ],
    },
  ];
  for (const sc of contactScenarios) {
    it(`R-U8.1 (contact details changed >= 3 times in 30 days): ${sc.name}`, async () => {
      const userId = uid("rules-contact");
      const created = await c.create("consumer", cleanConsumer(userId));
      assert.ok(!assertRules(created, "create").executed.some((e) => e.ruleInstanceId === "R-U8.1"), "R-U8.1 is an UPDATE rule: it does not run on a create");
      const now = Date.now();
      let last;
      for (const [i, step] of sc.steps.entries()) {
        const { eventId, res } = await c.event("consumer", userId, step.patch, { ts: Math.round(now - step.daysAgo * DAY) });
        const what = `step ${i} (${step.daysAgo} days ago, ${JSON.stringify(step.patch)})`;
        const r = assertRules(res, what, { rules: library, userType: "CONSUMER", stage: "UPDATE" });
        const u8 = r.executed.find((e) => e.ruleInstanceId === "R-U8.1");
        assert.ok(u8, `${what}: R-U8.1 must run on every event`);
        assert.equal(u8.ruleHit, step.hit, `${what}: R-U8.1 ruleHit`);
        assert.deepEqual(r.hitIds, step.hit ? ["R-U8.1"] : [], `${what}: hitRules`);
        assert.equal(r.status, step.hit ? "FLAG" : "ALLOW", `${what}: status`);
        if (step.hit) {
          assert.deepEqual(ruleResults(await c.getEvent("consumer", eventId)), ruleResults(res), `${what}: event GET`);
        }
        last = res;
      }
      await c.assertStored("consumer", userId, last, "the last contact change");
    });
  }
});

// =============================================================================================
// The rules API. Every test changes its tenant's rules, so each has its own server and tenants.

describe("rules API (Vigil extension) and tenant rules via the SDK", () => {
  afterEach(() => assertNo5xxSinceLastCheck());

  const PILOTS = {
    ruleId: "RC-1",
    ruleName: "Pilots",
    ruleDescription: "The user's occupation is the configured job.",
    ruleAction: "SUSPEND",
    nature: "AML",
    labels: ["EDD_TRIGGER"],
    expression: "user.occupation == params.job",
    parameters: { job: "pilot" },
  };
  const SURGEONS_YAML = `# The same rule, now for surgeons, and blocking.
ruleId: RC-1
ruleName: Surgeons
ruleDescription: The user's occupation is the configured job.
ruleAction: BLOCK
nature: AML
labels: [EDD_TRIGGER]
expression: user.occupation == params.job
parameters:
  job: surgeon
`;
  const SURGEONS = {
    ruleId: "RC-1",
    ruleInstanceId: "RC-1.1",
    ruleName: "Surgeons",
    ruleDescription: "The user's occupation is the configured job.",
    ruleAction: "BLOCK",
    nature: "AML",
    labels: ["EDD_TRIGGER"],
    expression: "user.occupation == params.job",
    parameters: { job: "surgeon" },
  };

  it("PUT /rules/{id} (JSON) adds a tenant rule: it hits on create through the SDK and sets status SUSPEND; other tenants are unaffected", async (t) => {
    const { v, c } = await ownServer(t, "rules-put");
    const stored = await c.putRuleOk("RC-1.1", PILOTS);
    const rules = await c.listRules();
    assert.equal(rules.length, 16, "the library's 15 and the new rule");
    assert.deepEqual(rules.find((r) => r.ruleInstanceId === "RC-1.1"), stored);

    const pilotId = uid("pilot");
    const pilot = await c.create("consumer", cleanConsumer(pilotId, { occupation: "pilot" }));
    const r = assertRules(pilot, "create pilot", { rules, userType: "CONSUMER", stage: "INITIAL", level: "VERY_HIGH" });
    assert.deepEqual(r.hitIds, ["RC-1.1"]);
    assert.equal(r.status, "SUSPEND");
    const hit = r.executed.find((e) => e.ruleInstanceId === "RC-1.1");
    assert.equal(hit.versionId, stored.versionId);
    assert.equal(hit.ruleName, "Pilots");
    assert.equal(hit.ruleAction, "SUSPEND");
    assert.deepEqual(hit.labels, ["EDD_TRIGGER"]);
    assert.equal(hit.vars[0].value["user.occupation"], "pilot", `vars must show the values read: ${JSON.stringify(hit.vars)}`);
    assert.equal(hit.vars[0].value["params.job"], "pilot", `vars must show the parameters read: ${JSON.stringify(hit.vars)}`);
    const got = await c.assertStored("consumer", pilotId, pilot, "create pilot");
    assert.deepEqual(got.userStateDetails, { state: "ACTIVE" }, "an action alone (SUSPEND) never changes the user");

    const teacherId = uid("teacher");
    const teacher = await c.create("consumer", cleanConsumer(teacherId, { occupation: "teacher" }));
    const rt = assertRules(teacher, "create teacher", { rules, userType: "CONSUMER", stage: "INITIAL" });
    assert.equal(rt.executed.find((e) => e.ruleInstanceId === "RC-1.1")?.ruleHit, false, "RC-1.1 runs and does not hit a teacher");
    assert.equal(rt.status, "ALLOW");

    // An event that makes the teacher a pilot: the rule runs on updates too.
    const ev = await c.event("consumer", teacherId, { occupation: "pilot" });
    const re = assertRules(ev.res, "event teacher -> pilot", { rules, userType: "CONSUMER", stage: "UPDATE" });
    assert.deepEqual(re.hitIds, ["RC-1.1"]);
    assert.equal(re.status, "SUSPEND");

    // The other tenant has the library only; the same user hits nothing there.
    const otherRules = await c.listRules(v.otherApiKey);
    assert.equal(otherRules.length, 15);
    const elsewhere = await c.create("consumer", cleanConsumer(pilotId, { occupation: "pilot" }), { client: v.otherClient });
    const ro = assertRules(elsewhere, "other tenant's pilot", { rules: otherRules, userType: "CONSUMER", stage: "INITIAL" });
    assert.deepEqual(ro.hitIds, []);
    assert.equal(ro.status, "ALLOW");
  });

  it("a tenant rule defined without labels still reports labels (an empty list) in executedRules and hitRules", async (t) => {
    const { c } = await ownServer(t, "rules-nolabel");
    await c.putRuleOk("RC-5.1", {
      ruleId: "RC-5",
      ruleName: "Bakers",
      ruleDescription: "The user is a baker.",
      ruleAction: "FLAG",
      nature: "FRAUD",
      expression: 'user.occupation == "baker"',
    });
    const userId = uid("baker");
    const res = await c.create("consumer", cleanConsumer(userId, { occupation: "baker" }));
    const raw = await c.getUser("consumer", userId);
    for (const [what, r] of [
      ["create", plain(res)],
      ["GET", raw],
    ]) {
      const executed = r.executedRules.find((e) => e.ruleInstanceId === "RC-5.1");
      const hit = r.hitRules.find((e) => e.ruleInstanceId === "RC-5.1");
      assert.ok(executed && hit, `${what}: RC-5.1 must run and hit: ${JSON.stringify(r.hitRules)}`);
      assert.deepEqual(executed.labels, [], `${what}: executedRules[RC-5.1].labels: ${JSON.stringify(executed)}`);
      assert.deepEqual(hit.labels, [], `${what}: hitRules[RC-5.1].labels: ${JSON.stringify(hit)}`);
    }
    const r = assertRules(res, "create baker", { rules: await c.listRules(), userType: "CONSUMER", stage: "INITIAL" });
    assert.deepEqual(r.hitIds, ["RC-5.1"]);
    assert.equal(r.status, "FLAG");
  });

  it("PUT /rules/{id} (YAML) replaces a rule with a new version; DELETE is 204 then 404; versions list every change incl. the deletion", async (t) => {
    const { v, c } = await ownServer(t, "rules-ver");
    const first = await c.putRuleOk("RC-1.1", { ...PILOTS, ruleInstanceId: "RC-1.1" });
    const second = await c.putRuleOk("RC-1.1", SURGEONS_YAML, SURGEONS);
    assert.notEqual(second.versionId, first.versionId);
    const rules = await c.listRules();
    assert.equal(rules.length, 16, "a replacement adds no rule");

    // Only the current version runs.
    const pilot = await c.create("consumer", cleanConsumer(uid("pilot"), { occupation: "pilot" }));
    assert.deepEqual(assertRules(pilot, "pilot after the replacement", { rules, userType: "CONSUMER", stage: "INITIAL" }).hitIds, []);
    const surgeon = await c.create("consumer", cleanConsumer(uid("surgeon"), { occupation: "surgeon" }));
    const rs = assertRules(surgeon, "surgeon after the replacement", { rules, userType: "CONSUMER", stage: "INITIAL" });
    assert.deepEqual(rs.hitIds, ["RC-1.1"]);
    assert.equal(rs.status, "BLOCK");
    assert.equal(rs.hits[0].versionId, second.versionId);
    assert.equal(rs.hits[0].ruleName, "Surgeons");

    const del = await v.api("DELETE", "/rules/RC-1.1");
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, "", "204 has no body");
    assertErrorResponse(await v.api("GET", "/rules/RC-1.1"), 404, "GET a deleted rule:");
    assertErrorResponse(await v.api("DELETE", "/rules/RC-1.1"), 404, "DELETE a deleted rule:");
    assertErrorResponse(await v.api("DELETE", "/rules/RC-never"), 404, "DELETE an unknown rule:");
    const afterDelete = await c.listRules();
    assert.deepEqual(afterDelete.map((r) => r.ruleInstanceId).sort(naturalCompare), LIBRARY_IDS);
    const surgeon2 = await c.create("consumer", cleanConsumer(uid("surgeon"), { occupation: "surgeon" }));
    const rd = assertRules(surgeon2, "surgeon after the deletion", { rules: afterDelete, userType: "CONSUMER", stage: "INITIAL" });
    assert.ok(!rd.executed.some((e) => e.ruleInstanceId === "RC-1.1"), "a deleted rule no longer runs");
    assert.equal(rd.status, "ALLOW");

    const versions = await c.versions("RC-1.1");
    assert.equal(versions.length, 3, `two PUTs and a DELETE: ${JSON.stringify(versions)}`);
    assert.equal(versions[0].versionId, first.versionId);
    assert.deepEqual(versions[0].rule, first);
    assert.notEqual(versions[0].deleted, true);
    assert.equal(versions[1].versionId, second.versionId);
    assert.deepEqual(versions[1].rule, second);
    assert.notEqual(versions[1].deleted, true);
    assert.equal(versions[2].deleted, true, "the last version is the deletion");
    assert.equal(versions[2].rule, undefined, "a deletion carries no rule");
    assert.equal(new Set(versions.map((x) => x.versionId)).size, 3, "every version has its own id");
    for (let i = 1; i < versions.length; i++) {
      assert.ok(versions[i].createdAt >= versions[i - 1].createdAt, `versions oldest first: ${JSON.stringify(versions)}`);
    }

    // A deleted id can be used again.
    const again = await c.putRuleOk("RC-1.1", PILOTS);
    assert.ok(!versions.some((x) => x.versionId === again.versionId));
    assert.equal((await c.versions("RC-1.1")).length, 4);
  });

  const badRules = [
    { name: "YAML with an expression that does not compile", id: "RC-9.1", body: `ruleId: RC-9\nruleName: Broken\nruleDescription: Does not compile.\nruleAction: FLAG\nexpression: 'user.occupation =='\n`, compile: true },
    { name: "JSON with an expression that does not compile", id: "RC-9.1", body: { ...PILOTS, ruleId: "RC-9", expression: "user.occupation == )" }, compile: true },
    { name: "JSON with an unknown function", id: "RC-9.1", body: { ...PILOTS, ruleId: "RC-9", expression: "nosuchfn(user.occupation)" }, compile: true },
    { name: "an expression that is not a boolean", id: "RC-9.1", body: { ...PILOTS, ruleId: "RC-9", expression: "1 + 2" } },
    { name: "an unknown ruleAction", id: "RC-9.1", body: { ...PILOTS, ruleId: "RC-9", ruleAction: "MAYBE" } },
    { name: "a ruleInstanceId that differs from the path", id: "RC-9.1", body: { ...PILOTS, ruleId: "RC-9", ruleInstanceId: "RC-8.1" } },
    { name: "an unknown field", id: "RC-9.1", body: { ...PILOTS, ruleId: "RC-9", severity: "high" } },
    { name: "a replacement of R-U1.1 whose expression does not compile", id: "R-U1.1", body: `ruleId: R-U1\nruleName: Sanctioned user\nruleDescription: x\nruleAction: BLOCK\nexpression: 'user.sanctionsStatus =='\n`, compile: true },
  ];
  it("PUT /rules/{id} with an invalid rule is 400 (a compile error names its line and column) and changes nothing", async (t) => {
    const { v, c } = await ownServer(t, "rules-bad");
    const before = await c.listRules();
    for (const tc of badRules) {
      const res = await c.putRule(tc.id, tc.body);
      assertErrorResponse(res, 400, `${tc.name}:`);
      if (tc.compile) {
        assert.ok(res.json.message.includes("expression: line 1, column"), `${tc.name}: message ${JSON.stringify(res.json.message)} must contain "expression: line 1, column"`);
      }
    }
    assertErrorResponse(await v.api("GET", "/rules/RC-9.1"), 404, "GET a rule that was never stored:");
    assertErrorResponse(await v.api("GET", "/rules/RC-8.1"), 404, "GET the id named in the body:");
    assert.deepEqual(await c.listRules(), before, "nothing changed");
    assert.equal((await c.versions("R-U1.1")).length, 1, "R-U1.1 keeps its one version");
    const sanctioned = await c.create("consumer", cleanConsumer(uid("sanctioned"), { sanctionsStatus: true }));
    assert.deepEqual(assertRules(sanctioned, "sanctioned", { rules: before, userType: "CONSUMER", stage: "INITIAL" }).hitIds, ["R-U1.1"]);
  });

  it("disabling a library rule (PUT of its GET with enabled: false) stops it from running; enabling it again restores it", async (t) => {
    const { v, c } = await ownServer(t, "rules-off");
    const original = await c.getRule("R-U1.1");
    const beforeId = uid("sanctioned-before");
    const beforeRes = await c.create("consumer", cleanConsumer(beforeId, { sanctionsStatus: true }));
    assert.equal(assertRules(beforeRes, "before disabling").status, "BLOCK");

    const disabled = await c.putRuleOk("R-U1.1", { ...original, enabled: false }, { ...original, enabled: false, versionId: undefined });
    assert.equal(disabled.enabled, false);
    const rules = await c.listRules();
    assert.equal(rules.length, 15, "a disabled rule is still listed");
    assert.equal(rules.find((r) => r.ruleInstanceId === "R-U1.1").enabled, false);

    const userId = uid("sanctioned");
    const res = await c.create("consumer", cleanConsumer(userId, { sanctionsStatus: true }));
    const r = assertRules(res, "create with R-U1.1 disabled", { rules, userType: "CONSUMER", stage: "INITIAL" });
    assert.ok(!r.executed.some((e) => e.ruleInstanceId === "R-U1.1"), "a disabled rule is not in executedRules");
    assert.equal(r.executed.length, 10, "the ten other consumer rules of stage INITIAL still run");
    assert.equal(r.status, "ALLOW");
    await c.assertStored("consumer", userId, res, "create with R-U1.1 disabled");

    // A user that hit it before: its next event no longer runs the rule.
    const ev = await c.event("consumer", beforeId, { occupation: "clerk" });
    const re = assertRules(ev.res, "event with R-U1.1 disabled", { rules, userType: "CONSUMER", stage: "UPDATE" });
    assert.ok(!re.executed.some((e) => e.ruleInstanceId === "R-U1.1"));
    assert.equal(re.status, "ALLOW");

    // The other tenant's copy still blocks.
    const other = await c.create("consumer", cleanConsumer(userId, { sanctionsStatus: true }), { client: v.otherClient });
    assert.equal(assertRules(other, "other tenant").status, "BLOCK");

    const enabled = await c.putRuleOk("R-U1.1", { ...original, enabled: true }, { ...original, enabled: true, versionId: undefined });
    const again = await c.create("consumer", cleanConsumer(uid("sanctioned-again"), { sanctionsStatus: true }));
    const ra = assertRules(again, "create with R-U1.1 enabled again", { rules: await c.listRules(), userType: "CONSUMER", stage: "INITIAL" });
    assert.deepEqual(ra.hitIds, ["R-U1.1"]);
    assert.equal(ra.hits[0].versionId, enabled.versionId);
    assert.equal(ra.status, "BLOCK");
    const versions = await c.versions("R-U1.1");
    assert.deepEqual(versions.map((x) => x.versionId), [original.versionId, disabled.versionId, enabled.versionId]);
  });

  it("a shadow rule never reaches SDK responses, status or risk, but GET /consumer/users/{id}/rules shows it under shadowRules", async (t) => {
    const { v, c } = await ownServer(t, "rules-shadow");
    await c.putRuleOk("RC-2.1", { ruleId: "RC-2", ruleName: "Everyone", ruleDescription: "Always hits.", ruleAction: "BLOCK", nature: "AML", labels: ["SCAM"], expression: "true", isShadow: true });
    await c.putRuleOk("RC-2.2", { ruleId: "RC-2", ruleName: "Nobody", ruleDescription: "Never hits.", ruleAction: "BLOCK", nature: "AML", labels: ["SCAM"], expression: "false", isShadow: true });
    const rules = await c.listRules();
    const shadowIds = ["RC-2.1", "RC-2.2"];
    const noShadow = (res, what) => {
      const r = plain(res);
      for (const list of ["executedRules", "hitRules"]) {
        const ids = r[list].map((e) => e.ruleInstanceId);
        assert.ok(!ids.some((id) => shadowIds.includes(id)), `${what}: a shadow rule is in ${list}: ${ids}`);
      }
    };

    for (const { name, extra, hits, status } of [
      { name: "clean", extra: {}, hits: [], status: "ALLOW" },
      { name: "PEP", extra: { pepStatus: [{ isPepHit: true }] }, hits: ["R-U2.1"], status: "FLAG" },
    ]) {
      const userId = uid(`shadow-${name}`);
      const body = cleanConsumer(userId, extra);
      const res = await c.create("consumer", body);
      const r = assertRules(res, `create ${name}`, { rules, userType: "CONSUMER", stage: "INITIAL" });
      noShadow(res, `create ${name}`);
      assert.deepEqual(r.hitIds, hits);
      assert.equal(r.status, status, `create ${name}: a shadow BLOCK hit must not change status`);
      // The same user in the other tenant (no shadow rules) gets the same results and risk.
      const other = await c.create("consumer", body, { client: v.otherClient });
      assert.deepEqual(assertRules(other, `other tenant ${name}`).hitIds, hits);
      assert.deepEqual(plain(res.riskScoreDetails), plain(other.riskScoreDetails), `create ${name}: a shadow hit must not change risk`);

      const ev = await c.event("consumer", userId, { occupation: "clerk" });
      noShadow(ev.res, `event ${name}`);
      assert.equal(assertRules(ev.res, `event ${name}`, { rules, userType: "CONSUMER", stage: "UPDATE" }).status, status);
      const otherEv = await c.event("consumer", userId, { occupation: "clerk" }, { client: v.otherClient });
      if (hits.length === 0) {
        assert.deepEqual(plain(ev.res.riskScoreDetails), plain(otherEv.res.riskScoreDetails), `event ${name}: a shadow hit must not change risk`);
        assert.equal(ev.res.riskScoreDetails.craRiskScore, ev.res.riskScoreDetails.kycRiskScore, `event ${name}: CRA = KRS without live hits`);
      }
      noShadow(await c.getEvent("consumer", ev.eventId), `event GET ${name}`);
      const got = await c.assertStored("consumer", userId, ev.res, `event ${name}`);
      noShadow(got, `GET ${name}`);

      const ur = await c.userRules("consumer", userId);
      assert.equal(ur.userId, userId);
      assert.deepEqual(ur.executedRules, ruleResults(got).executedRules, "user rules: executedRules as GET reports them");
      assert.deepEqual(ur.hitRules, ruleResults(got).hitRules, "user rules: hitRules as GET reports them");
      assert.equal(ur.status, got.status);
      assert.ok(Array.isArray(ur.shadowRules), `shadowRules must be an array: ${JSON.stringify(ur)}`);
      const byId = new Map(ur.shadowRules.map((s) => [s.ruleInstanceId, s]));
      assert.deepEqual([...byId.keys()].sort(naturalCompare), shadowIds, "shadowRules holds both shadow rules");
      assert.equal(byId.get("RC-2.1").ruleHit, true, "the always-hitting shadow rule hit");
      assert.equal(byId.get("RC-2.1").ruleAction, "BLOCK");
      assert.ok(byId.get("RC-2.1").vars !== undefined, "a shadow hit carries vars like a live one");
      assert.equal(byId.get("RC-2.2").ruleHit, false);
    }
    // Rules of a user that does not exist.
    const res = await v.api("GET", `/consumer/users/${enc(uid("nobody"))}/rules`);
    assertErrorResponse(res, 404, "rules of an unknown user:");
  });

  it("triggersOnHit: an event that makes the rule hit suspends the user with the reason and adds the tag; a later event sets it ACTIVE again", async (t) => {
    const { c } = await ownServer(t, "rules-trig");
    const reason = "Occupation under review";
    await c.putRuleOk("RC-3.1", {
      ruleId: "RC-3",
      ruleName: "Restricted occupation",
      ruleDescription: "Suspends users with a restricted occupation for review.",
      ruleAction: "FLAG",
      nature: "AML",
      labels: ["ILLICIT_GAINS_CHECK"],
      expression: "user.occupation in params.jobs",
      parameters: { jobs: ["smuggler"] },
      triggersOnHit: { userStateDetails: { state: "SUSPENDED", reason }, tags: [{ key: "review", value: "occupation" }] },
    });
    const rules = await c.listRules();
    const userId = uid("trig");
    const created = await c.create("consumer", cleanConsumer(userId, { tags: [{ key: "segment", value: "retail" }] }));
    assert.deepEqual(assertRules(created, "create").hitIds, []);
    assert.deepEqual((await c.getUser("consumer", userId)).userStateDetails, { state: "ACTIVE" });

    const hit = await c.event("consumer", userId, { occupation: "smuggler" });
    const r = assertRules(hit.res, "hitting event", { rules, userType: "CONSUMER", stage: "UPDATE" });
    assert.deepEqual(r.hitIds, ["RC-3.1"]);
    assert.equal(r.status, "FLAG");
    const byKey = (tags) => [...(tags ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1));
    const wantTags = [
      { key: "review", value: "occupation" },
      { key: "segment", value: "retail" },
    ];
    for (const [what, u] of [
      ["event response", hit.res],
      ["GET after the hit", await c.assertStored("consumer", userId, hit.res, "the hitting event")],
    ]) {
      assert.deepEqual(u.userStateDetails, { state: "SUSPENDED", reason }, `${what}: state and reason set by the trigger`);
      assert.deepEqual(byKey(u.tags), wantTags, `${what}: the trigger's tag is added, the others stay`);
      assert.equal(u.occupation, "smuggler");
    }
    assert.deepEqual(ruleResults(await c.getEvent("consumer", hit.eventId)), ruleResults(hit.res), "event GET");

    const cleared = await c.event("consumer", userId, { occupation: "baker", userStateDetails: { state: "ACTIVE", reason: "cleared" } });
    const rc = assertRules(cleared.res, "clearing event", { rules, userType: "CONSUMER", stage: "UPDATE" });
    assert.equal(rc.executed.find((e) => e.ruleInstanceId === "RC-3.1").ruleHit, false);
    assert.equal(rc.status, "ALLOW");
    assert.deepEqual(cleared.res.userStateDetails, { state: "ACTIVE", reason: "cleared" }, "a later event reverses the trigger");
    const got = await c.assertStored("consumer", userId, cleared.res, "the clearing event");
    assert.deepEqual(got.userStateDetails, { state: "ACTIVE", reason: "cleared" });
    assert.deepEqual(byKey(got.tags), wantTags, "the tag added by the trigger stays until an event removes it");

    // A create that hits: the trigger applies right after the creation.
    const smugglerId = uid("trig-create");
    const res = await c.create("consumer", cleanConsumer(smugglerId, { occupation: "smuggler" }));
    assert.deepEqual(assertRules(res, "hitting create", { rules, userType: "CONSUMER", stage: "INITIAL" }).hitIds, ["RC-3.1"]);
    const gotCreated = await c.assertStored("consumer", smugglerId, res, "the hitting create");
    assert.deepEqual(gotCreated.userStateDetails, { state: "SUSPENDED", reason });
    assert.deepEqual(byKey(gotCreated.tags), [{ key: "review", value: "occupation" }]);
  });

  it("riskLevelParameters / riskLevelActions: a user locked at a CRA level is evaluated with that level's parameters and action", async (t) => {
    const { c } = await ownServer(t, "rules-level");
    await c.putRuleOk("RC-4.1", {
      ruleId: "RC-4",
      ruleName: "Watched occupations",
      ruleDescription: "The occupation is on the list for the user's CRA level.",
      ruleAction: "FLAG",
      nature: "AML",
      labels: ["EDD_TRIGGER", "RFI_TRIGGER"],
      expression: "user.occupation in params.jobs",
      parameters: { jobs: ["pilot"] },
      riskLevelParameters: { HIGH: { jobs: ["pilot", "teacher"] } },
      riskLevelActions: { HIGH: "BLOCK", MEDIUM: "SUSPEND" },
    });
    const rules = await c.listRules();
    const cases = [
      { level: "HIGH", occupation: "teacher", hit: true, action: "BLOCK" }, // only HIGH's list has teachers
      { level: "HIGH", occupation: "pilot", hit: true, action: "BLOCK" },
      { level: "HIGH", occupation: "baker", hit: false, action: "BLOCK" },
      { level: "MEDIUM", occupation: "pilot", hit: true, action: "SUSPEND" }, // MEDIUM: default parameters, own action
      { level: "MEDIUM", occupation: "teacher", hit: false, action: "SUSPEND" },
      { level: "LOW", occupation: "pilot", hit: true, action: "FLAG" },
      { level: "LOW", occupation: "teacher", hit: false, action: "FLAG" },
    ];
    for (const tc of cases) {
      const what = `${tc.level} ${tc.occupation}`;
      const userId = uid(`level-${tc.level}`);
      const created = await c.create("consumer", cleanConsumer(userId, { occupation: tc.occupation, riskLevel: tc.level }), {
        flags: { lockCraRiskLevel: "true" },
      });
      assert.equal(plain(created.riskScoreDetails).craRiskLevel, tc.level, `${what}: the CRA is set and locked at ${tc.level}`);
      const { res } = await c.event("consumer", userId, { jurisdiction: "DE-BE" });
      const r = assertRules(res, `event of a ${what} user`, { rules, userType: "CONSUMER", stage: "UPDATE", level: tc.level });
      const rc4 = r.executed.find((e) => e.ruleInstanceId === "RC-4.1");
      assert.ok(rc4, `${what}: RC-4.1 runs`);
      assert.equal(rc4.ruleHit, tc.hit, `${what}: RC-4.1 ruleHit`);
      assert.equal(rc4.ruleAction, tc.action, `${what}: RC-4.1 ruleAction`);
      assert.equal(rc4.executedRiskLevel, tc.level, `${what}: executedRiskLevel`);
      if (tc.hit) assert.deepEqual(rc4.vars[0].value["params.jobs"], tc.level === "HIGH" ? ["pilot", "teacher"] : ["pilot"], `${what}: vars show the level's parameters`);
      assert.deepEqual(r.hitIds, tc.hit ? ["RC-4.1"] : [], `${what}: hitRules`);
      assert.equal(r.status, tc.hit ? tc.action : "ALLOW", `${what}: status`);
      assert.equal(plain(res.riskScoreDetails).craRiskLevel, tc.level, `${what}: the CRA stays locked`);
      await c.assertStored("consumer", userId, res, `event of a ${what} user`);
    }
  });
});
