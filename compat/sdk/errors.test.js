// Error behaviour as the SDK (and, where the SDK refuses to send, a raw client) sees it:
// 404, 401, 400 with validationErrors, malformed JSON, 413, router errors, tenant isolation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  useVigil,
  sdkCreateUser,
  makeClient,
  NO_RETRY,
  MAX_TS,
  uid,
  plain,
  assertErrorResponse,
  expectSdkError,
  validationLines,
  Flagright,
} from "./harness.js";

const TS = 1700000000000;
const JSON_CT = { "content-type": "application/json" };
const enc = encodeURIComponent;

describe("errors and isolation", () => {
  const v = useVigil();

  /** Creates a consumer through the SDK; it must answer 201. */
  const createUser = (body) => sdkCreateUser(v.client, "consumer", body);

  async function assertNoUser(userId, client = v.client) {
    await expectSdkError(client.consumerUsers.get(userId, NO_RETRY), 404);
  }

  // ---- 404 --------------------------------------------------------------

  it("GET of an unknown user is 404 with a JSON message (SDK: FlagrightError statusCode 404)", async () => {
    const err = await expectSdkError(v.client.consumerUsers.get(uid("nobody"), NO_RETRY), 404);
    assert.ok(!(err instanceof Flagright.BadRequestError));
    assertErrorResponse(await v.api("GET", `/consumer/users/${enc(uid("nobody"))}`), 404, "raw GET unknown user:");
  });

  it("GET of an unknown event is 404", async () => {
    await expectSdkError(v.client.consumerUserEvents.get(uid("no-event"), NO_RETRY), 404);
  });

  it("an event for an unknown user is 404 and creates nothing", async () => {
    const userId = uid("ghost");
    const eventId = uid("ev-ghost");
    await expectSdkError(
      v.client.consumerUserEvents.create(
        { body: { userId, eventId, timestamp: TS, updatedConsumerUserAttributes: { occupation: "x" } } },
        NO_RETRY,
      ),
      404,
    );
    await assertNoUser(userId);
    await expectSdkError(v.client.consumerUserEvents.get(eventId, NO_RETRY), 404);
  });

  // ---- 401 --------------------------------------------------------------

  const unauthorizedCalls = [
    { name: "GET user", call: (c, id) => c.consumerUsers.get(id, NO_RETRY) },
    { name: "create user", call: (c, id) => c.consumerUsers.create({ body: { userId: id, createdTimestamp: TS } }, NO_RETRY) },
    {
      name: "create event",
      call: (c, id) => c.consumerUserEvents.create({ body: { userId: id, timestamp: TS + 1000, updatedConsumerUserAttributes: { occupation: "evil" } } }, NO_RETRY),
    },
    { name: "GET event", call: (c, id) => c.consumerUserEvents.get(id, NO_RETRY) },
  ];
  for (const { name, call } of unauthorizedCalls) {
    it(`a wrong API key gets 401 UnauthorizedError on ${name}, and nothing is written`, async () => {
      const userId = uid("auth");
      await createUser({ userId, createdTimestamp: TS, occupation: "kept" });
      const bad = makeClient(v.baseUrl, `${v.apiKey}x`);
      await expectSdkError(call(bad, userId), 401, Flagright.UnauthorizedError);
      const got = await v.client.consumerUsers.get(userId, NO_RETRY);
      assert.equal(got.occupation, "kept");
    });
  }

  it("a new user created with a wrong key does not exist afterwards", async () => {
    const userId = uid("auth-new");
    const bad = makeClient(v.baseUrl, "not-a-key");
    await expectSdkError(bad.consumerUsers.create({ body: { userId, createdTimestamp: TS } }, NO_RETRY), 401, Flagright.UnauthorizedError);
    await assertNoUser(userId);
  });

  it("a missing x-api-key header is 401 with a JSON message", async () => {
    assertErrorResponse(await v.api("GET", `/consumer/users/${enc(uid("x"))}`, { key: null }), 401, "no key:");
    const userId = uid("nokey");
    assertErrorResponse(
      await v.api("POST", "/consumer/users", { key: null, body: { userId, createdTimestamp: TS } }),
      401,
      "no key POST:",
    );
    await assertNoUser(userId);
  });

  // ---- 400 validation (sent raw: the SDK refuses bad enums client-side) ----

  const validationCases = [
    {
      name: "unknown UserState in an event patch",
      kind: "event",
      patch: { userStateDetails: { state: "FROZEN" } },
      paths: ["updatedConsumerUserAttributes.userStateDetails.state"],
    },
    {
      name: "unknown KycStatus in an event patch",
      kind: "event",
      patch: { kycStatusDetails: { status: "MAYBE" } },
      paths: ["updatedConsumerUserAttributes.kycStatusDetails.status"],
    },
    {
      name: "createdTimestamp inside an event patch (server-owned)",
      kind: "event",
      patch: { createdTimestamp: TS + 5 },
      paths: ["updatedConsumerUserAttributes.createdTimestamp"],
    },
    { name: "event timestamp above the range", kind: "event", eventTs: MAX_TS + 1, patch: { occupation: "x" }, paths: ["timestamp"] },
    { name: "unknown CountryCode", kind: "user", body: { userDetails: { countryOfResidence: "XX" } }, paths: ["userDetails.countryOfResidence"] },
    { name: "unknown RiskLevel", kind: "user", body: { riskLevel: "EXTREME" }, paths: ["riskLevel"] },
    {
      name: "unknown savedPaymentDetails method",
      kind: "user",
      body: { savedPaymentDetails: [{ method: "TELEPATHY" }] },
      paths: ["savedPaymentDetails[0].method"],
    },
    { name: "createdTimestamp out of range", kind: "user", body: { createdTimestamp: 1.1 }, paths: ["createdTimestamp"] },
    { name: "createdTimestamp missing", kind: "user", body: { createdTimestamp: undefined }, paths: ["createdTimestamp"] },
    { name: "createdTimestamp null (null for a required field)", kind: "user", body: { createdTimestamp: null }, paths: ["createdTimestamp"] },
    { name: "createdTimestamp as a string", kind: "user", body: { createdTimestamp: "1700000000000" }, paths: ["createdTimestamp"] },
    {
      name: "two problems, reported sorted by path",
      kind: "user",
      body: { userDetails: { countryOfResidence: "XX" }, kycStatusDetails: { status: "NOPE" } },
      paths: ["kycStatusDetails.status", "userDetails.countryOfResidence"],
    },
  ];
  for (const c of validationCases) {
    it(`400 with validationErrors for ${c.name}; nothing is written`, async () => {
      const userId = uid("val");
      let res;
      if (c.kind === "event") {
        await createUser({ userId, createdTimestamp: TS, userStateDetails: { state: "ACTIVE" }, occupation: "kept" });
        const eventId = uid("ev-val");
        res = await v.api("POST", "/events/consumer/user", {
          body: { userId, eventId, timestamp: c.eventTs ?? TS + 1000, updatedConsumerUserAttributes: c.patch },
        });
        assertErrorResponse(res, 400, `${c.name}:`);
        const got = plain(await v.client.consumerUsers.get(userId, NO_RETRY));
        assert.deepEqual(
          { state: got.userStateDetails, occupation: got.occupation, createdTimestamp: got.createdTimestamp, kyc: got.kycStatusDetails },
          { state: { state: "ACTIVE" }, occupation: "kept", createdTimestamp: TS, kyc: undefined },
          "a rejected event changed the user",
        );
        await expectSdkError(v.client.consumerUserEvents.get(eventId, NO_RETRY), 404);
      } else {
        const body = JSON.parse(JSON.stringify({ userId, createdTimestamp: TS, ...c.body }));
        res = await v.api("POST", "/consumer/users", { body });
        assertErrorResponse(res, 400, `${c.name}:`);
        await assertNoUser(userId);
      }
      const lines = validationLines(res.json);
      for (const p of c.paths) {
        assert.ok(lines.some((l) => l.startsWith(`${p}: `)), `no "${p}: ..." line in ${JSON.stringify(lines)}`);
      }
      assert.equal(res.json.message, lines[0], "message is the first validation line");
      const paths = lines.map((l) => l.slice(0, l.indexOf(": ")));
      assert.deepEqual(paths, [...paths].sort(), "validation lines are sorted by path");
    });
  }

  it("the SDK surfaces a server-side 400 as BadRequestError with message and validationErrors", async () => {
    const userId = uid("sdk400");
    await createUser({ userId, createdTimestamp: TS });
    const err = await expectSdkError(
      v.client.consumerUserEvents.create({ body: { userId, timestamp: 1.1, updatedConsumerUserAttributes: { occupation: "x" } } }, NO_RETRY),
      400,
      Flagright.BadRequestError,
    );
    assert.ok(validationLines(err.body).some((l) => l.startsWith("timestamp: ")));
    assert.equal((await v.client.consumerUsers.get(userId, NO_RETRY)).occupation, undefined);
  });

  // ---- malformed bodies ---------------------------------------------------

  const malformed = [
    { name: "truncated JSON", body: (id) => `{"userId": "${id}", "createdTimestamp": 1700000000000` },
    { name: "trailing garbage", body: (id) => `{"userId": "${id}", "createdTimestamp": 1700000000000} x` },
    { name: "a JSON array", body: (id) => `[{"userId": "${id}", "createdTimestamp": 1700000000000}]` },
    { name: "a JSON string", body: () => `"hello"` },
    { name: "JSON null", body: () => `null` },
    { name: "an empty body", body: () => `` },
    { name: "a duplicate key", body: (id) => `{"userId": "${id}", "createdTimestamp": 1700000000000, "createdTimestamp": 1700000001000}` },
    {
      name: "invalid UTF-8",
      body: (id) => Buffer.concat([Buffer.from(`{"userId": "${id}", "createdTimestamp": 1700000000000, "occupation": "`), Buffer.from([0xff, 0xfe]), Buffer.from(`"}`)]),
    },
  ];
  for (const m of malformed) {
    it(`a create with ${m.name} is 400 and writes nothing`, async () => {
      const userId = uid("bad");
      const res = await v.api("POST", "/consumer/users", { rawBody: m.body(userId), headers: JSON_CT });
      assertErrorResponse(res, 400, `${m.name}:`);
      await assertNoUser(userId);
    });
  }

  it("an event with malformed JSON is 400 and changes nothing", async () => {
    const userId = uid("badev");
    await createUser({ userId, createdTimestamp: TS, occupation: "kept" });
    const res = await v.api("POST", "/events/consumer/user", {
      rawBody: `{"userId": "${userId}", "timestamp": 1700000001000, "updatedConsumerUserAttributes": {"occupation": "x"`,
      headers: JSON_CT,
    });
    assertErrorResponse(res, 400, "malformed event:");
    assert.equal((await v.client.consumerUsers.get(userId, NO_RETRY)).occupation, "kept");
  });

  // ---- body size ----------------------------------------------------------

  const MiB = 1024 * 1024;
  /** A valid create body of exactly `size` bytes; the filler goes into occupation. */
  function bodyOfSize(userId, size) {
    const head = `{"userId":"${userId}","createdTimestamp":${TS},"occupation":"`;
    const tail = `"}`;
    const occupation = "x".repeat(size - Buffer.byteLength(head) - tail.length);
    return { body: head + occupation + tail, occupation };
  }

  it("a body just under 1 MiB is accepted", async () => {
    const userId = uid("big-ok");
    const { body, occupation } = bodyOfSize(userId, MiB - 1024);
    assert.equal(Buffer.byteLength(body), MiB - 1024);
    const res = await v.rawRequest("POST", "/consumer/users", {
      headers: { ...JSON_CT, "content-length": Buffer.byteLength(body) },
      chunks: [body],
    });
    assert.equal(res.status, 201, res.text);
    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assert.ok(got.occupation === occupation, "the stored occupation differs from the one sent");
  });

  for (const mode of ["content-length", "chunked"]) {
    it(`a body over 1 MiB (${mode}) is 413 with a JSON message and writes nothing`, async () => {
      const userId = uid("big");
      const { body } = bodyOfSize(userId, MiB + 64 * 1024);
      const chunks = [];
      for (let i = 0; i < body.length; i += 64 * 1024) chunks.push(body.slice(i, i + 64 * 1024));
      const headers = { ...JSON_CT };
      if (mode === "content-length") headers["content-length"] = Buffer.byteLength(body);
      const res = await v.rawRequest("POST", "/consumer/users", {
        headers,
        chunks,
        waitBeforeBodyMs: mode === "content-length" ? 2000 : 0,
      });
      assertErrorResponse(res, 413, `${mode} oversized body:`);
      if (mode === "content-length") {
        assert.equal(res.bodyBytesSent, 0, "a Content-Length over the limit must be answered before the body is read");
      }
      await assertNoUser(userId);
    });
  }

  // ---- router errors --------------------------------------------------------

  it("unknown paths and wrong methods get JSON 404 / 405 bodies", async () => {
    assertErrorResponse(await v.api("GET", "/no/such/path"), 404, "unknown path:");
    assertErrorResponse(await v.api("PUT", `/consumer/users/${enc(uid("x"))}`, { body: {} }), 405, "PUT user:");
    assertErrorResponse(await v.api("PUT", "/events/consumer/user", { body: {} }), 405, "PUT events:");
  });

  // ---- BooleanString flags (the SDK only sends "true"/"false") -------------

  const badFlags = [
    { name: "validateUserId=yes on create", kind: "user", query: "validateUserId=yes" },
    { name: "lockCraRiskLevel=1 on create", kind: "user", query: "lockCraRiskLevel=1" },
    { name: "validateUserId given twice with different values", kind: "user", query: "validateUserId=true&validateUserId=false" },
    { name: "lockKycRiskLevel=TRUE on an event", kind: "event", query: "lockKycRiskLevel=TRUE" },
    { name: "allowUserTypeConversion= (empty) on an event", kind: "event", query: "allowUserTypeConversion=" },
  ];
  for (const f of badFlags) {
    it(`400 for ${f.name}; nothing is written`, async () => {
      const userId = uid("flag");
      if (f.kind === "user") {
        assertErrorResponse(await v.api("POST", `/consumer/users?${f.query}`, { body: { userId, createdTimestamp: TS } }), 400, `${f.name}:`);
        await assertNoUser(userId);
      } else {
        await createUser({ userId, createdTimestamp: TS, occupation: "kept" });
        const res = await v.api("POST", `/events/consumer/user?${f.query}`, {
          body: { userId, timestamp: TS + 1000, updatedConsumerUserAttributes: { occupation: "changed" } },
        });
        assertErrorResponse(res, 400, `${f.name}:`);
        assert.equal((await v.client.consumerUsers.get(userId, NO_RETRY)).occupation, "kept");
      }
    });
  }

  it("_krsOnly (from Flagright's docs) is accepted; an unknown or misspelled query parameter is 400 and writes nothing", async () => {
    const userId = uid("krs");
    const res = await v.api("POST", "/consumer/users?_krsOnly=true", { body: { userId, createdTimestamp: TS } });
    assert.equal(res.status, 201, res.text);
    assert.equal((await v.client.consumerUsers.get(userId, NO_RETRY)).userId, userId);
    const other = uid("krs");
    const bad = await v.api("POST", "/consumer/users?lockCRARiskLevel=true", { body: { userId: other, createdTimestamp: TS } });
    assertErrorResponse(bad, 400, "misspelled flag:");
    assert.match(bad.json.validationErrors, /lockCRARiskLevel: .*did you mean lockCraRiskLevel\?/);
    await expectSdkError(v.client.consumerUsers.get(other, NO_RETRY), 404);
  });

  // ---- tenants ----------------------------------------------------------------

  it("another tenant cannot see, change or collide with this tenant's user and events", async () => {
    const userId = uid("tenant");
    const eventId = uid("ev-tenant");
    await createUser({ userId, createdTimestamp: TS, occupation: "tenant-sdk" });
    await v.client.consumerUserEvents.create(
      { body: { userId, eventId, timestamp: TS + 1000, updatedConsumerUserAttributes: { employmentStatus: "EMPLOYED" } } },
      NO_RETRY,
    );

    await assertNoUser(userId, v.otherClient);
    await expectSdkError(v.otherClient.consumerUserEvents.get(eventId, NO_RETRY), 404);
    await expectSdkError(
      v.otherClient.consumerUserEvents.create(
        { body: { userId, eventId: uid("ev-other"), timestamp: TS + 2000, updatedConsumerUserAttributes: { occupation: "hijacked" } } },
        NO_RETRY,
      ),
      404,
    );

    // The same userId and eventId are free in the other tenant.
    const other = await v.otherClient.consumerUsers.create({ body: { userId, createdTimestamp: TS, occupation: "tenant-other" } }, NO_RETRY);
    assert.equal(other.userId, userId);
    assert.equal(other.message, undefined, "the other tenant's first create must not see an existing user");
    const otherEv = await v.otherClient.consumerUserEvents
      .create({ body: { userId, eventId, timestamp: TS + 1000, updatedConsumerUserAttributes: { occupation: "other-ev" } } }, NO_RETRY)
      .withRawResponse();
    assert.equal(otherEv.rawResponse.status, 201);

    const mine = plain(await v.client.consumerUsers.get(userId, NO_RETRY));
    assert.equal(mine.occupation, "tenant-sdk");
    assert.equal(mine.employmentStatus, "EMPLOYED");
    const theirs = plain(await v.otherClient.consumerUsers.get(userId, NO_RETRY));
    assert.equal(theirs.occupation, "other-ev");
    assert.equal(theirs.employmentStatus, undefined);
    const myEvent = plain(await v.client.consumerUserEvents.get(eventId, NO_RETRY));
    assert.deepEqual(myEvent.updatedConsumerUserAttributes, { employmentStatus: "EMPLOYED" });
  });
});
