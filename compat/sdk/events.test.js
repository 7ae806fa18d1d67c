// Consumer user events through the Flagright Node SDK: merge patch, Location,
// event GET, ordering by timestamp, eventId idempotency, renames (changeUserId).
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  useVigil,
  NO_RETRY,
  uid,
  plain,
  assertRuleResults,
  assertProfile,
  TAG_MERGE,
  assertEventAsReceived,
  assertEventStored,
  assertLateEventFoldsIn,
  sdkCreateUser,
  sdkPostEvent,
  expectSdkError,
  defineRenameTests,
  Flagright,
} from "./harness.js";

const TS = 1700000000000;
const EVENT_PATH = "/events/consumer/user/";

describe("consumer user events via the SDK", () => {
  const v = useVigil();

  // SDK writes that must answer 201.
  const createUser = (body) => sdkCreateUser(v.client, "consumer", body);
  const postEvent = (body, flags) => sdkPostEvent(v.client, "consumer", body, flags);

  it("applies updatedConsumerUserAttributes as a merge patch: objects merge, arrays replace, tags merge by key", async () => {
    const userId = uid("merge");
    const eventId = uid("ev-merge");
    const user = {
      userId,
      createdTimestamp: TS,
      occupation: "engineer",
      userStateDetails: { state: "ACTIVE" },
      userDetails: { name: { firstName: "Grace", lastName: "Hopper" }, dateOfBirth: "1906-12-09", countryOfResidence: "US" },
      contactDetails: { emailIds: ["a@example.org", "b@example.org"], contactNumbers: ["+15550100"] },
      tags: TAG_MERGE.stored,
    };
    await createUser(user);

    const { data, location } = await postEvent({
      userId,
      eventId,
      timestamp: TS + 1000,
      updatedConsumerUserAttributes: {
        userDetails: { countryOfResidence: "DE" },
        contactDetails: { emailIds: ["c@example.org"] },
        employmentStatus: "EMPLOYED",
        tags: TAG_MERGE.patch,
      },
    });
    const want = {
      ...user,
      userDetails: { name: { firstName: "Grace", lastName: "Hopper" }, dateOfBirth: "1906-12-09", countryOfResidence: "DE" },
      contactDetails: { emailIds: ["c@example.org"], contactNumbers: ["+15550100"] },
      employmentStatus: "EMPLOYED",
      tags: TAG_MERGE.merged,
    };
    assertProfile(data, want, "event response");
    assertRuleResults(data);
    assert.equal(location, EVENT_PATH + encodeURIComponent(eventId), "Location header");

    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assertProfile(got, want, "GET after event");
    assertRuleResults(got);
  });

  it("removes fields patched with null (the SDK sends null as is; raw HTTP too)", async () => {
    const userId = uid("null");
    await createUser({
      userId,
      createdTimestamp: TS,
      occupation: "pilot",
      userDetails: { name: { firstName: "Amelia" }, dateOfBirth: "1897-07-24", countryOfResidence: "US" },
      contactDetails: { emailIds: ["a@example.org"], contactNumbers: ["+15550100"] },
      tags: [{ key: "k1", value: "v1" }],
    });

    // Through the SDK: top-level and nested null, and tags: null (removes all tags).
    const { data } = await postEvent({
      userId,
      eventId: uid("ev-null-sdk"),
      timestamp: TS + 1000,
      updatedConsumerUserAttributes: { occupation: null, userDetails: { dateOfBirth: null }, tags: null },
    });
    const afterSdk = {
      userId,
      createdTimestamp: TS,
      userDetails: { name: { firstName: "Amelia" }, countryOfResidence: "US" },
      contactDetails: { emailIds: ["a@example.org"], contactNumbers: ["+15550100"] },
    };
    assertProfile(data, afterSdk, "event response after SDK null patch");
    assert.ok(!("occupation" in plain(data)) && !("tags" in plain(data)));

    // Through raw HTTP, and the stored event keeps the nulls as received.
    const rawEventId = uid("ev-null-raw");
    const rawEvent = {
      userId,
      eventId: rawEventId,
      timestamp: TS + 2000,
      updatedConsumerUserAttributes: { contactDetails: { contactNumbers: null } },
    };
    const res = await v.api("POST", "/events/consumer/user", { body: rawEvent });
    assert.equal(res.status, 201, res.text);
    const afterRaw = { ...afterSdk, contactDetails: { emailIds: ["a@example.org"] } };
    assertProfile(res.json, afterRaw, "raw event response after null patch");
    const raw = await v.api("GET", `/consumer/users/${encodeURIComponent(userId)}`);
    assert.equal(raw.status, 200, raw.text);
    assertProfile(raw.json, afterRaw, "raw GET after null patches");

    const rawGotEvent = await v.api("GET", EVENT_PATH + encodeURIComponent(rawEventId));
    assert.equal(rawGotEvent.status, 200, rawGotEvent.text);
    assert.deepEqual(
      rawGotEvent.json.updatedConsumerUserAttributes,
      rawEvent.updatedConsumerUserAttributes,
      "GET event returns the patch as received, nulls included",
    );
  });

  it("GET /events/consumer/user/{eventId} returns the event as received plus rule results", async () => {
    const userId = uid("evget");
    const eventId = uid("ev-get");
    await createUser({ userId, createdTimestamp: TS });
    const event = {
      userId,
      eventId,
      timestamp: TS + 5000,
      reason: "customer moved",
      eventDescription: "address change from the mobile app",
      externalLinks: ["https://example.org/case/1"],
      updatedConsumerUserAttributes: {
        userDetails: { countryOfResidence: "FR", name: { firstName: "Marie", lastName: "Curie" } },
        kycStatusDetails: { status: "SUCCESSFUL", reason: "documents verified" },
      },
    };
    await postEvent(event);

    await assertEventAsReceived(v.client, "consumer", event);
  });

  it("percent-encodes the eventId in Location, and the Location resolves to the event", async () => {
    const userId = uid("loc");
    const eventId = `ev/ä ?#%&+${uid("loc")}`;
    await createUser({ userId, createdTimestamp: TS });
    const { location } = await postEvent({ userId, eventId, timestamp: TS + 1000 });
    assert.ok(location?.startsWith(EVENT_PATH), `Location ${location} does not start with ${EVENT_PATH}`);
    const segment = location.slice(EVENT_PATH.length);
    assert.match(segment, /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$/, "the eventId segment must be percent-encoded");
    assert.equal(decodeURIComponent(segment), eventId);

    const viaLocation = await v.api("GET", location);
    assert.equal(viaLocation.status, 200, viaLocation.text);
    assert.equal(viaLocation.json.eventId, eventId);
    const viaSdk = await v.client.consumerUserEvents.get(eventId, NO_RETRY);
    assert.equal(viaSdk.eventId, eventId);
    assert.equal(viaSdk.userId, userId);
  });

  it("assigns a UUID to an event sent without eventId and reports it in Location", async () => {
    const userId = uid("noid");
    await createUser({ userId, createdTimestamp: TS });
    const { location } = await postEvent({ userId, timestamp: TS + 1000, updatedConsumerUserAttributes: { occupation: "x" } });
    assert.ok(location?.startsWith(EVENT_PATH), `Location ${location}`);
    const eventId = decodeURIComponent(location.slice(EVENT_PATH.length));
    assert.match(eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "server-assigned eventId is a UUID");
    const got = await v.client.consumerUserEvents.get(eventId, NO_RETRY);
    assert.equal(got.eventId, eventId);
    assert.equal(got.userId, userId);
    assert.deepEqual(plain(got.updatedConsumerUserAttributes), { occupation: "x" });
  });

  it("folds a late event in at its timestamp: BLOCKED at t2 then ACTIVE at t1 < t2 leaves the user BLOCKED", async () => {
    const userId = uid("order");
    await createUser({ userId, createdTimestamp: TS, userStateDetails: { state: "ACTIVE" }, occupation: "initial" });
    // The late event is applied at its place (its other fields count), but the later BLOCKED wins.
    const want = {
      userId,
      createdTimestamp: TS,
      userStateDetails: { state: "BLOCKED", reason: "fraud" },
      occupation: "from the late event",
    };
    await assertLateEventFoldsIn(v.client, "consumer", userId, { occupation: "from the late event" }, want);
  });

  it("replays a repeated event (same eventId, identical body) with the first response, applied once", async () => {
    const userId = uid("replay");
    await createUser({ userId, createdTimestamp: TS, occupation: "initial" });
    const first = { userId, eventId: uid("ev-replay"), timestamp: TS + 1000, updatedConsumerUserAttributes: { occupation: "first" } };
    const r1 = await postEvent(first);
    const r2 = await postEvent(structuredClone(first));
    assert.deepEqual(plain(r2.data), plain(r1.data), "identical retry gets an equal body");
    assert.equal(r2.location, r1.location, "identical retry gets the same Location");

    // A later event changes the user; replaying the first one must not re-apply it.
    await postEvent({ userId, eventId: uid("ev-second"), timestamp: TS + 2000, updatedConsumerUserAttributes: { occupation: "second" } });
    const r3 = await postEvent(structuredClone(first));
    assert.deepEqual(plain(r3.data), plain(r1.data), "a replay answers with the stored first response");
    assert.equal(r3.data.occupation, "first");
    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assert.equal(got.occupation, "second");
  });

  const conflicts = [
    { name: "a different patch", change: (e) => ({ ...e, updatedConsumerUserAttributes: { occupation: "other" } }) },
    { name: "a different timestamp", change: (e) => ({ ...e, timestamp: e.timestamp + 1 }) },
    { name: "another userId", change: (e, otherUserId) => ({ ...e, userId: otherUserId }) },
    { name: "an added field", change: (e) => ({ ...e, reason: "added" }) },
  ];
  for (const { name, change } of conflicts) {
    it(`answers 409 ConflictError for a reused eventId with ${name}, and changes nothing`, async () => {
      const userId = uid("conflict");
      const otherUserId = uid("conflict-other");
      await createUser({ userId, createdTimestamp: TS, occupation: "initial" });
      await createUser({ userId: otherUserId, createdTimestamp: TS, occupation: "initial" });
      const event = { userId, eventId: uid("ev-conflict"), timestamp: TS + 1000, updatedConsumerUserAttributes: { occupation: "first" } };
      await postEvent(event);

      const err = await expectSdkError(
        v.client.consumerUserEvents.create({ body: change(event, otherUserId) }, NO_RETRY),
        409,
        Flagright.ConflictError,
      );
      assert.ok(err.body.message.length > 0);

      assert.equal((await v.client.consumerUsers.get(userId, NO_RETRY)).occupation, "first");
      assert.equal((await v.client.consumerUsers.get(otherUserId, NO_RETRY)).occupation, "initial");
      await assertEventStored(v.client, "consumer", event, "stored event field");
    });
  }

  it("accepts the event query flags (allowUserTypeConversion, lockKycRiskLevel, lockCraRiskLevel)", async () => {
    const userId = uid("evflags");
    await createUser({ userId, createdTimestamp: TS });
    const { data } = await postEvent(
      { userId, eventId: uid("ev-flags"), timestamp: TS + 1000, updatedConsumerUserAttributes: { riskLevel: "LOW" } },
      { allowUserTypeConversion: "false", lockKycRiskLevel: "false", lockCraRiskLevel: "true" },
    );
    assert.equal(data.userId, userId);
    assertRuleResults(data);
    if (data.riskScoreDetails?.craRiskLevel !== undefined) assert.equal(data.riskScoreDetails.craRiskLevel, "LOW");
    const later = await postEvent({ userId, eventId: uid("ev-flags2"), timestamp: TS + 2000, updatedConsumerUserAttributes: { occupation: "y" } });
    assert.equal(later.data.riskLevel, "LOW", "a locked CRA level stays on the profile");
    if (later.data.riskScoreDetails?.craRiskLevel !== undefined) assert.equal(later.data.riskScoreDetails.craRiskLevel, "LOW");
  });

  defineRenameTests(() => v, "consumer");
});
