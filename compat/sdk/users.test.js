// Consumer users through the Flagright Node SDK: create, get, re-POST semantics.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { serialization } from "flagright";

import {
  useVigil,
  NO_RETRY,
  MIN_TS,
  MAX_TS,
  uid,
  plain,
  fixtureProfile,
  assertRuleResults,
  expectSdkError,
  validationLines,
  Flagright,
  FlagrightClient,
} from "./harness.js";

const TS = 1700000000000;
// Fields the server owns and adds to a stored profile; anything else it returns must have been sent.
const SERVER_FIELDS = new Set(["executedRules", "hitRules", "riskScoreDetails", "status", "riskLevel", "kycRiskLevel"]);

/** Every field sent comes back equal, and nothing but server-owned fields is added. */
function assertProfileHas(got, sent, what) {
  const g = plain(got);
  const s = plain(sent);
  for (const [k, v] of Object.entries(s)) {
    assert.deepEqual(g[k], v, `${what}: field ${k} differs`);
  }
  const extra = Object.keys(g).filter((k) => !(k in s) && !SERVER_FIELDS.has(k));
  assert.deepEqual(extra, [], `${what}: unexpected fields returned`);
}

/** The rich consumer profile of the spec fixtures, in wire (JSON) form, ready to create. */
const richWireUser = (userId) => fixtureProfile("examples/retrieve-a-consumer-user-example-1.response-body.json", userId, TS);

describe("consumer users via the SDK", () => {
  const v = useVigil();

  it("creates a minimal user: 201 with userId, rule results and status, then GET returns it", async () => {
    const userId = uid("min");
    const { data, rawResponse } = await v.client.consumerUsers
      .create({ body: { userId, createdTimestamp: TS } }, NO_RETRY)
      .withRawResponse();
    assert.equal(rawResponse.status, 201);
    assert.equal(data.userId, userId);
    assertRuleResults(data, { statusRequired: true });
    assert.equal(data.message, undefined, "a new user must not get the 'user exists' message");

    const got = await v.client.consumerUsers.get(userId, NO_RETRY).withRawResponse();
    assert.equal(got.rawResponse.status, 200);
    assertProfileHas(got.data, { userId, createdTimestamp: TS }, "GET minimal user");
    assertRuleResults(got.data);
  });

  it("round-trips the rich fixture profile through the SDK (SDK objects and raw JSON)", async () => {
    const userId = uid("rich-sdk");
    const wire = richWireUser(userId);
    // What a customer writes with this SDK: its own JS shape (paymentMethodLimits.ach, "3DsDone", ...).
    // SDK 1.8.53 does not know userDetails.secondaryCountryOfNationality, so it is not part of what it sends.
    const sdkUser = serialization.User.parseOrThrow(wire, { unrecognizedObjectKeys: "strip" });
    const sentWire = serialization.User.jsonOrThrow(sdkUser, { unrecognizedObjectKeys: "strip" });
    assert.ok(sentWire.transactionLimits.paymentMethodLimits.ACH, "fixture should exercise renamed keys");

    const created = await v.client.consumerUsers.create({ body: sdkUser }, NO_RETRY).withRawResponse();
    assert.equal(created.rawResponse.status, 201);
    assert.equal(created.data.userId, userId);
    assertRuleResults(created.data, { statusRequired: true });

    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assertProfileHas(got, sdkUser, "GET rich user (SDK objects)");
    assertRuleResults(got);

    const raw = await v.api("GET", `/consumer/users/${encodeURIComponent(userId)}`);
    assert.equal(raw.status, 200, raw.text);
    assertProfileHas(raw.json, sentWire, "GET rich user (raw JSON)");
  });

  it("round-trips the full fixture over raw HTTP, incl. fields SDK 1.8.53 lacks and unknown fields", async () => {
    const userId = uid("rich-raw");
    const wire = richWireUser(userId);
    wire.vigilCompatUnknown = { nested: [1, "two", { three: true }] };
    wire.userDetails.vigilCompatUnknownNested = "kept";
    const created = await v.api("POST", "/consumer/users", { body: wire });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.userId, userId);

    const raw = await v.api("GET", `/consumer/users/${encodeURIComponent(userId)}`);
    assert.equal(raw.status, 200, raw.text);
    assertProfileHas(raw.json, wire, "GET full fixture (raw JSON)");

    // The SDK passes unknown response keys through, so a customer still reads them.
    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assert.deepEqual(got.userDetails.secondaryCountryOfNationality, ["AF"]);
    assert.deepEqual(got.vigilCompatUnknown, wire.vigilCompatUnknown);
  });

  it("drops server-owned fields sent in a create body", async () => {
    const userId = uid("owned");
    const fake = { ruleInstanceId: "fake-rule", ruleName: "fake", ruleDescription: "fake", ruleAction: "BLOCK", ruleHit: true };
    const res = await v.api("POST", "/consumer/users", {
      body: {
        userId,
        createdTimestamp: TS,
        executedRules: [fake],
        hitRules: [fake],
        riskScoreDetails: { kycRiskScore: 12.345, craRiskScore: 12.345 },
        status: "BLOCK",
      },
    });
    assert.equal(res.status, 201, res.text);
    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    for (const r of [res.json, got]) {
      assertRuleResults(r, { statusRequired: r === res.json });
      assert.ok(!r.hitRules.some((h) => h.ruleInstanceId === "fake-rule"), "client-sent hitRules were stored");
      assert.ok(!r.executedRules.some((h) => h.ruleInstanceId === "fake-rule"), "client-sent executedRules were stored");
      assert.notEqual(r.riskScoreDetails?.kycRiskScore, 12.345, "client-sent riskScoreDetails were stored");
    }
  });

  for (const flags of [{}, { validateUserId: "true" }]) {
    it(`re-POST of an existing userId with ${JSON.stringify(flags)} answers 201 + message and changes nothing`, async () => {
      const userId = uid("exists");
      const original = {
        userId,
        createdTimestamp: TS,
        occupation: "original",
        userDetails: { name: { firstName: "Ada", lastName: "Lovelace" }, countryOfResidence: "GB" },
      };
      await v.client.consumerUsers.create({ body: original }, NO_RETRY);

      const again = { userId, createdTimestamp: TS, occupation: "changed", userDetails: { name: { firstName: "Eve" } } };
      const first = await v.client.consumerUsers.create({ ...flags, body: again }, NO_RETRY).withRawResponse();
      assert.equal(first.rawResponse.status, 201);
      assert.equal(first.data.userId, userId);
      assert.equal(typeof first.data.message, "string", "re-POST must carry a message");
      assert.match(first.data.message, /exist/i, "the message should say the user exists");
      assertRuleResults(first.data, { statusRequired: true });

      const retry = await v.client.consumerUsers.create({ ...flags, body: again }, NO_RETRY);
      assert.deepEqual(plain(retry), plain(first.data), "an identical retry gets the same answer");

      const got = await v.client.consumerUsers.get(userId, NO_RETRY);
      assertProfileHas(got, original, "GET after rejected re-POST");
    });
  }

  it('re-POST with validateUserId "false" replaces the top-level fields sent and keeps the others', async () => {
    const userId = uid("update");
    const original = {
      userId,
      createdTimestamp: TS,
      occupation: "mathematician",
      userDetails: { name: { firstName: "Ada", lastName: "Lovelace" }, countryOfResidence: "GB" },
      tags: [{ key: "segment", value: "gold" }],
    };
    await v.client.consumerUsers.create({ body: original }, NO_RETRY);

    const update = {
      userId,
      createdTimestamp: TS,
      userDetails: { name: { firstName: "Augusta" } },
      employmentStatus: "EMPLOYED",
    };
    const res = await v.client.consumerUsers.create({ validateUserId: "false", body: update }, NO_RETRY).withRawResponse();
    assert.equal(res.rawResponse.status, 201);
    assert.equal(res.data.userId, userId);
    assertRuleResults(res.data, { statusRequired: true });

    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assertProfileHas(
      got,
      {
        userId,
        createdTimestamp: TS,
        occupation: "mathematician", // kept
        tags: [{ key: "segment", value: "gold" }], // kept
        userDetails: { name: { firstName: "Augusta" } }, // replaced whole, not merged
        employmentStatus: "EMPLOYED", // added
      },
      "GET after validateUserId=false update",
    );
  });

  const timestampCases = [
    { field: "createdTimestamp", value: MIN_TS, ok: true },
    { field: "createdTimestamp", value: MAX_TS, ok: true },
    { field: "createdTimestamp", value: MIN_TS - 1, ok: false },
    { field: "createdTimestamp", value: MAX_TS + 1, ok: false },
    { field: "createdTimestamp", value: 1.1, ok: false }, // the SDK's own example placeholder
    { field: "createdTimestamp", value: 1700000000, ok: false }, // seconds, not milliseconds
    { field: "activatedTimestamp", value: MIN_TS, ok: true },
    { field: "activatedTimestamp", value: MAX_TS + 1, ok: false },
  ];
  for (const { field, value, ok } of timestampCases) {
    it(`${field} = ${value} is ${ok ? "accepted" : "rejected with 400"}`, async () => {
      const userId = uid("ts");
      const body = { userId, createdTimestamp: TS, [field]: value };
      if (ok) {
        const res = await v.client.consumerUsers.create({ body }, NO_RETRY).withRawResponse();
        assert.equal(res.rawResponse.status, 201);
        const got = await v.client.consumerUsers.get(userId, NO_RETRY);
        assert.equal(got[field], value);
        return;
      }
      // The SDK does not check bounds, so it sends the request and surfaces the 400.
      const err = await expectSdkError(v.client.consumerUsers.create({ body }, NO_RETRY), 400, Flagright.BadRequestError);
      const lines = validationLines(err.body);
      assert.ok(lines.some((l) => l.startsWith(`${field}: `)), `no "${field}: ..." line in ${JSON.stringify(lines)}`);
      assert.equal(err.body.message, lines[0], "message is the first validation line");
      await expectSdkError(v.client.consumerUsers.get(userId, NO_RETRY), 404);
    });
  }

  it("accepts the lock and validate flags on create and keeps a locked KYC risk level", async () => {
    const userId = uid("flags");
    const res = await v.client.consumerUsers
      .create(
        {
          lockCraRiskLevel: "false",
          lockKycRiskLevel: "true",
          validateUserId: "true",
          body: { userId, createdTimestamp: TS, kycRiskLevel: "HIGH" },
        },
        NO_RETRY,
      )
      .withRawResponse();
    assert.equal(res.rawResponse.status, 201);
    assertRuleResults(res.data, { statusRequired: true });
    if (res.data.riskScoreDetails?.kycRiskLevel !== undefined) {
      assert.equal(res.data.riskScoreDetails.kycRiskLevel, "HIGH");
    }
    const ev = await v.client.consumerUserEvents.create(
      {
        lockKycRiskLevel: "true",
        body: { userId, timestamp: TS + 1000, updatedConsumerUserAttributes: { userDetails: { countryOfResidence: "DE" } } },
      },
      NO_RETRY,
    );
    assert.equal(ev.kycRiskLevel, "HIGH", "the stored kycRiskLevel must survive an event");
    if (ev.riskScoreDetails?.kycRiskLevel !== undefined) {
      assert.equal(ev.riskScoreDetails.kycRiskLevel, "HIGH", "a locked KYC risk level must not move");
    }
  });

  it("handles userIds with URL-reserved and non-ASCII characters (the SDK percent-encodes them)", async () => {
    const userId = `u/ä ?#%&+;${uid("enc")}`;
    const res = await v.client.consumerUsers.create({ body: { userId, createdTimestamp: TS } }, NO_RETRY);
    assert.equal(res.userId, userId);
    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assert.equal(got.userId, userId);
  });

  it("works with a client built with the baseUrl option instead of environment", async () => {
    const client = new FlagrightClient({ baseUrl: v.baseUrl, apiKey: v.apiKey });
    const userId = uid("baseurl");
    const res = await client.consumerUsers.create({ body: { userId, createdTimestamp: TS } }, NO_RETRY);
    assert.equal(res.userId, userId);
    const got = await client.consumerUsers.get(userId, NO_RETRY);
    assert.equal(got.createdTimestamp, TS);
  });
});
