// Batches (behaviour.md §8, flagright-api.md §3.5) through the SDK's eight `client.batch.*` calls:
// createConsumerUsers / getConsumerUsers, createBusinessUsers / getBusinessUsers,
// createConsumerUserEvents / getConsumerUserEvents, createBusinessUserEvents / getBusinessUserEvents.
//
// Every record must end up exactly as the same body sent as a single request would (checked against
// single requests of the same bodies in the second tenant), invalid records are reported in
// `failedRecords` without stopping the others, `batchId` is an idempotency key per tenant and batch
// kind, events without an `eventId` get `<batchId>-<index>`, the lock flags apply to every record,
// and GET pages the successful records with their results. Plain HTTP only where the SDK cannot
// send the request (bad enums, records without ids, non-numeric paging, oversized bodies).
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  useVigil,
  NO_RETRY,
  uid,
  plain,
  assertProfile,
  assertRuleResults,
  assertEventStored,
  assertErrorResponse,
  expectSdkError,
  USER_KINDS,
  Flagright,
} from "./harness.js";

const TS = 1700000000000;
const MiB = 1024 * 1024;
const JSON_CT = { "content-type": "application/json" };
const enc = encodeURIComponent;

/** The four batch kinds: the SDK's methods, the wire path and list field, the user type written. */
const BATCHES = {
  consumerUsers: {
    name: "consumer users",
    K: USER_KINDS.consumer,
    events: false,
    path: "/batch/consumer/users",
    list: "consumerUsers",
    create: "createConsumerUsers",
    get: "getConsumerUsers",
  },
  businessUsers: {
    name: "business users",
    K: USER_KINDS.business,
    events: false,
    path: "/batch/business/users",
    list: "businessUsers",
    create: "createBusinessUsers",
    get: "getBusinessUsers",
  },
  consumerEvents: {
    name: "consumer user events",
    K: USER_KINDS.consumer,
    events: true,
    path: "/batch/events/consumer/user",
    list: "consumerUserEvents",
    create: "createConsumerUserEvents",
    get: "getConsumerUserEvents",
  },
  businessEvents: {
    name: "business user events",
    K: USER_KINDS.business,
    events: true,
    path: "/batch/events/business/user",
    list: "businessUserEvents",
    create: "createBusinessUserEvents",
    get: "getBusinessUserEvents",
  },
};
const KINDS = Object.values(BATCHES);
const otherKind = (B) => USER_KINDS[B.K.other];
/** Another batch kind than B (for "the same batchId in another kind"). */
const nextBatch = (B) => KINDS[(KINDS.indexOf(B) + 1) % KINDS.length];

const BATCH_RESPONSE_KEYS = new Set(["status", "batchId", "successful", "failed", "failedRecords", "message"]);
const SANCTIONED = { sanctionsStatus: true, pepStatus: [{ isPepHit: true, pepRank: "LEVEL_1" }] };

/** Sort key of a failed record. */
const byIdReason = (a, b) => (a.id + "\0" + a.reasonCode < b.id + "\0" + b.reasonCode ? -1 : a.id === b.id && a.reasonCode === b.reasonCode ? 0 : 1);

/** Rule results without what differs between two evaluations of the same thing (time, tenant's rule version). */
const portableRules = (rules) => (rules ?? []).map(({ versionId, executedAt, ...r }) => r);

/** A GET result in a form comparable across tenants: rule results without versionId and executedAt. */
function comparable(x) {
  const p = plain(x);
  return { ...p, executedRules: portableRules(p.executedRules), hitRules: portableRules(p.hitRules) };
}

/** A JSON text equal as a JSON value to `value`, spelled differently: keys reversed, large integers as 1.7e+12. */
function respelled(value) {
  if (Array.isArray(value)) return `[ ${value.map(respelled).join(" , ")} ]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).reverse();
    return `{ ${keys.map((k) => `${JSON.stringify(k)} : ${respelled(value[k])}`).join(" , ")} }`;
  }
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) >= 1e6) return value.toExponential();
  return JSON.stringify(value);
}

describe("batches via the SDK", () => {
  const v = useVigil();

  // ---- calls --------------------------------------------------------------------------------

  /**
   * POST a batch through the SDK; it must answer 201 with a well-formed BatchResponse for `n`
   * records. Returns the response as plain JSON.
   */
  async function postBatch(B, request, { client = v.client, options = NO_RETRY } = {}) {
    const { data, rawResponse } = await client.batch[B.create](request, options).withRawResponse();
    assert.equal(rawResponse.status, 201, `POST ${B.path} must answer 201`);
    return assertBatchResponse(plain(data), request.data.length, `POST ${B.path}`);
  }

  /** POST a batch over plain HTTP (for records the SDK refuses to send); must answer 201. */
  async function postBatchRaw(B, body, { query = "", rawBody } = {}) {
    const res = rawBody === undefined
      ? await v.api("POST", `${B.path}${query}`, { body })
      : await v.api("POST", `${B.path}${query}`, { rawBody, headers: JSON_CT });
    assert.equal(res.status, 201, `POST ${B.path}: ${res.text}`);
    return assertBatchResponse(res.json, body.data.length, `raw POST ${B.path}`);
  }

  /** BatchResponse: only its fields; counts add up to the records sent; status follows the counts. */
  function assertBatchResponse(res, n, what) {
    assert.ok(res && typeof res === "object", `${what}: no body`);
    const extra = Object.keys(res).filter((k) => !BATCH_RESPONSE_KEYS.has(k));
    assert.deepEqual(extra, [], `${what}: fields a BatchResponse does not have: ${JSON.stringify(res)}`);
    assert.equal(typeof res.batchId, "string", `${what}: batchId`);
    assert.ok(res.batchId.length > 0, `${what}: empty batchId`);
    assert.ok(Number.isInteger(res.successful) && Number.isInteger(res.failed), `${what}: counts: ${JSON.stringify(res)}`);
    assert.equal(res.successful + res.failed, n, `${what}: successful + failed must be the ${n} records sent: ${JSON.stringify(res)}`);
    assert.ok(Array.isArray(res.failedRecords), `${what}: failedRecords must be an array: ${JSON.stringify(res)}`);
    assert.equal(res.failedRecords.length, res.failed, `${what}: one failedRecords entry per failed record`);
    for (const f of res.failedRecords) {
      assert.deepEqual(Object.keys(f).sort(), ["id", "reasonCode"], `${what}: failed record ${JSON.stringify(f)}`);
      assert.equal(typeof f.id, "string", `${what}: failed record id must be a string: ${JSON.stringify(f)}`);
    }
    const status = res.failed === 0 ? "SUCCESS" : res.successful === 0 ? "FAILURE" : "PARTIAL_FAILURE";
    assert.equal(res.status, status, `${what}: status for ${res.successful} successful / ${res.failed} failed`);
    if (res.message !== undefined) assert.equal(typeof res.message, "string");
    return res;
  }

  /** failedRecords equal to `want` ([[id, reasonCode], ...]) as a set. */
  function assertFailed(res, want, what) {
    const got = [...res.failedRecords].sort(byIdReason);
    const exp = want.map(([id, reasonCode]) => ({ id, reasonCode })).sort(byIdReason);
    assert.deepEqual(got, exp, `${what}: failedRecords`);
  }

  /** GET one page of a batch through the SDK: {items, totalCount} as plain JSON. */
  async function readBatch(B, batchId, query = {}, client = v.client, options = NO_RETRY) {
    const { data, rawResponse } = await client.batch[B.get](batchId, query, options).withRawResponse();
    assert.equal(rawResponse.status, 200, `GET ${B.path}/${batchId} must answer 200`);
    const p = plain(data);
    assert.deepEqual(Object.keys(p).sort(), [B.list, "totalCount"].sort(), `GET ${B.path}: response fields`);
    assert.ok(Array.isArray(p[B.list]), `GET ${B.path}: ${B.list} is not an array`);
    return { items: p[B.list], totalCount: p.totalCount };
  }

  /** A page item is the record as applied plus executedRules and riskScoreDetails (no hitRules). */
  function assertItem(item, record, what) {
    const want = Object.keys(record).concat(["executedRules", "riskScoreDetails"]).sort();
    assert.deepEqual(Object.keys(item).sort(), [...new Set(want)], `${what}: item fields`);
    for (const [k, val] of Object.entries(record)) assert.deepEqual(item[k], val, `${what}: field ${k}`);
    assert.ok(Array.isArray(item.executedRules) && item.executedRules.length > 0, `${what}: executedRules`);
    assert.ok(item.riskScoreDetails && typeof item.riskScoreDetails === "object", `${what}: riskScoreDetails`);
  }

  /** GET lists every record of `data`, in order, each with the results of the `write` ("create" / "event") stored for it. */
  async function assertPageOfStored(B, batchId, data, stored, write) {
    const page = await readBatch(B, batchId);
    assert.equal(page.totalCount, data.length);
    assert.deepEqual(page.items.map((i) => recordId(B, i)), data.map((r) => recordId(B, r)), "items in record order");
    page.items.forEach((item, i) => {
      assertItem(item, data[i], `batch GET item ${i}`);
      assert.deepEqual(item.executedRules, stored[i].executedRules, `item ${i}: the ${write}'s executedRules`);
      assert.deepEqual(item.riskScoreDetails, stored[i].riskScoreDetails, `item ${i}: the ${write}'s riskScoreDetails`);
    });
  }

  async function createUser(K, body, client = v.client) {
    const res = await K.users(client).create({ body }, NO_RETRY).withRawResponse();
    assert.equal(res.rawResponse.status, 201, `single create of ${K.name} user`);
    assert.equal(res.data.message, undefined, `single create of ${body.userId}: the user must be new`);
    return res.data;
  }
  async function postEvent(K, body, client = v.client) {
    const res = await K.events(client).create({ body }, NO_RETRY).withRawResponse();
    assert.equal(res.rawResponse.status, 201, `single ${K.name} event`);
    return res.data;
  }
  const getUser = async (K, userId, client = v.client) => plain(await K.users(client).get(userId, NO_RETRY));
  const getEvent = async (K, eventId, client = v.client) => plain(await K.events(client).get(eventId, NO_RETRY));
  const noUser = (K, userId, client = v.client) => expectSdkError(K.users(client).get(userId, NO_RETRY), 404);
  const noEvent = (K, eventId, client = v.client) => expectSdkError(K.events(client).get(eventId, NO_RETRY), 404);

  const recordId = (B, record) => (B.events ? record.eventId : record.userId);

  /**
   * `n` valid records of kind B for `client`'s tenant (events: for one new user created first,
   * each adding its own tag). Returns {data, userIds}.
   */
  async function sample(B, n, client = v.client) {
    const K = B.K;
    if (!B.events) {
      const data = Array.from({ length: n }, (_, i) => K.minimal(uid(`b-${K.name}`), { jurisdiction: `j${i}` }));
      return { data, userIds: data.map((r) => r.userId) };
    }
    const userId = uid(`b-${K.name}-ev`);
    await createUser(K, K.minimal(userId), client);
    const data = Array.from({ length: n }, (_, i) => ({
      userId,
      eventId: uid("b-ev"),
      timestamp: TS + 1000 * (i + 1),
      [K.attributes]: { tags: [{ key: `t-${i}`, value: `v-${i}` }] },
    }));
    return { data, userIds: [userId] };
  }

  /** A record of kind B that fails validation (createdTimestamp / timestamp 1.1); `userId` for events. */
  function invalidRecord(B, userId) {
    if (!B.events) return B.K.minimal(uid("b-bad"), { createdTimestamp: 1.1 });
    return { userId, eventId: uid("b-bad-ev"), timestamp: 1.1 };
  }

  // ---- SUCCESS: every record as a single request -----------------------------------------

  for (const B of KINDS.filter((b) => !b.events)) {
    const K = B.K;
    it(`${B.name}: SUCCESS is 201 with the client's batchId; every user is exactly what a single create makes; GET lists them with their results`, async () => {
      const batchId = uid("batch");
      const extra = K.name === "consumer"
        ? { clean: { userDetails: { name: { firstName: "Erika", lastName: "Muster" }, countryOfResidence: "DE", countryOfNationality: "DE" }, kycStatusDetails: { status: "SUCCESSFUL" } },
            risky: { ...SANCTIONED, userDetails: { countryOfResidence: "IR", countryOfNationality: "IR" } } }
        : { clean: { kycStatusDetails: { status: "SUCCESSFUL" } },
            risky: { ...SANCTIONED, legalEntity: { companyGeneralDetails: { legalName: "Risky LLC" }, companyRegistrationDetails: { registrationIdentifier: "R-1", registrationCountry: "IR" } } } };
      const data = [
        K.minimal(uid("b-ok"), { ...extra.clean, userStateDetails: { state: "ACTIVE" }, tags: [{ key: "segment", value: "gold" }] }),
        K.minimal(uid("b-risky"), extra.risky),
        K.minimal(uid("b-level"), { kycRiskLevel: "HIGH", userStateDetails: { state: "BLOCKED" }, jurisdiction: "EU" }),
      ];
      const res = await postBatch(B, { batchId, data });
      assert.deepEqual(res, { status: "SUCCESS", batchId, successful: 3, failed: 0, failedRecords: [] });

      // The same bodies as single creates in the other tenant.
      for (const body of data) await createUser(K, body, v.otherClient);
      const stored = [];
      for (const body of data) {
        const got = await getUser(K, body.userId);
        assertProfile(got, body, `GET ${body.userId} after the batch`);
        assertRuleResults(got, { statusRequired: true });
        const single = await getUser(K, body.userId, v.otherClient);
        assert.deepEqual(comparable(got), comparable(single), `${body.userId}: batch create and single create differ`);
        stored.push(got);
      }
      assert.ok(stored[1].hitRules.length > 0, "the risky record must hit rules (so the comparison covers hits)");
      assert.equal(stored[2].riskScoreDetails.kycRiskLevel, "HIGH", "kycRiskLevel in a record sets the KRS level");

      await assertPageOfStored(B, batchId, data, stored, "create");
      // The other type's batch GET does not know this batch.
      await expectSdkError(v.client.batch[nextBatch(B).get](batchId, {}, NO_RETRY), 404, Flagright.NotFoundError);
    });
  }

  for (const B of KINDS.filter((b) => b.events)) {
    const K = B.K;
    it(`${B.name}: SUCCESS; events apply with the single-event merge and timestamp ordering (BLOCKED at t2 listed before ACTIVE at t1 stays BLOCKED); results as single events; GET lists them`, async () => {
      const batchId = uid("batch");
      const a = uid("b-ord-a");
      const b = uid("b-ord-b");
      const users = [
        K.minimal(a, { userStateDetails: { state: "CREATED" }, tags: [{ key: "keep", value: "1" }] }),
        K.minimal(b, { userStateDetails: { state: "ACTIVE" }, jurisdiction: "before" }),
      ];
      for (const u of users) {
        await createUser(K, u);
        await createUser(K, u, v.otherClient);
      }
      const data = [
        { userId: a, eventId: uid("ev-a2"), timestamp: TS + 2000, reason: "blocked later", [K.attributes]: { userStateDetails: { state: "BLOCKED" }, tags: [{ key: "t2", value: "x" }] } },
        { userId: a, eventId: uid("ev-a1"), timestamp: TS + 1000, [K.attributes]: { userStateDetails: { state: "ACTIVE" }, jurisdiction: "from-t1" } },
        { userId: b, eventId: uid("ev-b1"), timestamp: TS + 1000, [K.attributes]: SANCTIONED },
        { userId: b, eventId: uid("ev-b2"), timestamp: TS + 3000, eventDescription: "d", [K.attributes]: { jurisdiction: "after", tags: [{ key: "t", value: "y" }] } },
      ];
      const res = await postBatch(B, { batchId, data });
      assert.deepEqual(res, { status: "SUCCESS", batchId, successful: 4, failed: 0, failedRecords: [] });

      const gotA = await getUser(K, a);
      assert.equal(gotA.userStateDetails?.state, "BLOCKED", "the BLOCKED at t2 wins over the ACTIVE at t1 listed after it");
      assertProfile(gotA, { ...users[0], userStateDetails: { state: "BLOCKED" }, jurisdiction: "from-t1", tags: [{ key: "keep", value: "1" }, { key: "t2", value: "x" }] }, `user ${a}`);
      const gotB = await getUser(K, b);
      assertProfile(gotB, { ...users[1], ...SANCTIONED, jurisdiction: "after", tags: [{ key: "t", value: "y" }] }, `user ${b}`);
      assert.ok(gotB.hitRules.length > 0, "the sanctioned user must hit rules (so the comparison covers hits)");

      // The same events as single requests in the other tenant, in timestamp order (the order
      // the batch applies a user's events in).
      const inTimeOrder = [...data].sort((x, y) => x.timestamp - y.timestamp);
      for (const ev of inTimeOrder) await postEvent(K, ev, v.otherClient);
      for (const u of [a, b]) {
        assert.deepEqual(comparable(await getUser(K, u)), comparable(await getUser(K, u, v.otherClient)), `${u}: batch events and single events differ`);
      }
      const stored = [];
      for (const ev of data) {
        const got = await assertEventStored(v.client, K.name, ev, `event GET ${ev.eventId}`);
        assertRuleResults(got);
        assert.deepEqual(comparable(got), comparable(await getEvent(K, ev.eventId, v.otherClient)), `event ${ev.eventId}: batch and single results differ`);
        stored.push(got);
      }

      await assertPageOfStored(B, batchId, data, stored, "event");

      // A later batch with an event older than everything applied: inserted at its place.
      const late = { userId: a, eventId: uid("ev-late"), timestamp: TS + 500, [K.attributes]: { userStateDetails: { state: "ACTIVE" }, jurisdiction: "late" } };
      assert.equal((await postBatch(B, { data: [late] })).status, "SUCCESS");
      const after = await getUser(K, a);
      assert.equal(after.userStateDetails?.state, "BLOCKED", "a late ACTIVE does not override the BLOCKED at t2");
      assert.equal(after.jurisdiction, "from-t1", "the t1 event still overrides the late event's jurisdiction");
    });
  }

  for (const B of KINDS.filter((b) => b.events)) {
    const K = B.K;
    it(`${B.name}: events of one user with equal timestamps apply in the order listed; an older one listed last does not override them`, async () => {
      const userId = uid("b-ties");
      await createUser(K, K.minimal(userId, { jurisdiction: "created" }));
      const data = [
        { userId, eventId: uid("ev-tie1"), timestamp: TS + 1000, [K.attributes]: { jurisdiction: "first", tags: [{ key: "a", value: "1" }] } },
        { userId, eventId: uid("ev-tie2"), timestamp: TS + 1000, [K.attributes]: { jurisdiction: "second" } },
        { userId, eventId: uid("ev-old"), timestamp: TS + 999, [K.attributes]: { jurisdiction: "older", tags: [{ key: "a", value: "old" }] } },
      ];
      assert.equal((await postBatch(B, { data })).status, "SUCCESS");
      const got = await getUser(K, userId);
      assertProfile(got, { ...K.minimal(userId), jurisdiction: "second", tags: [{ key: "a", value: "1" }] }, "after the batch");
    });
  }

  for (const B of KINDS) {
    it(`${B.name}: without a batchId one is generated, returned and readable`, async () => {
      const one = await sample(B, 1);
      const two = await sample(B, 1);
      const r1 = await postBatch(B, { data: one.data });
      const r2 = await postBatch(B, { data: two.data });
      assert.equal(r1.status, "SUCCESS");
      assert.equal(r2.status, "SUCCESS");
      assert.notEqual(r1.batchId, r2.batchId, "two batches without a batchId got the same one");
      for (const [r, s] of [[r1, one], [r2, two]]) {
        const page = await readBatch(B, r.batchId);
        assert.equal(page.totalCount, 1);
        assert.deepEqual(page.items.map((i) => recordId(B, i)), [recordId(B, s.data[0])]);
      }
    });
  }

  // ---- failedRecords ----------------------------------------------------------------------

  /**
   * Cases of one batch; each case builds its records (after its own setup) and says which of them
   * fail with which reason (`at`: offset among its records; the id is the userId / eventId, or
   * the record's index in `data` when `byIndex`), and checks afterwards that nothing else changed.
   * `applied`: offsets of its records that succeed.
   */
  function failureCases(B) {
    const K = B.K;
    const O = otherKind(B);
    if (!B.events) {
      return [
        {
          name: "createdTimestamp 1.1",
          build: async () => {
            const id = uid("f-ts");
            return { records: [K.minimal(id, { createdTimestamp: 1.1 })], failed: [{ at: 0, reason: "VALIDATION_ERROR" }], check: () => noUser(K, id) };
          },
        },
        {
          name: "a userId that exists",
          build: async () => {
            const id = uid("f-exists");
            await createUser(K, K.minimal(id, { jurisdiction: "single" }));
            return {
              records: [K.minimal(id, { jurisdiction: "batch" })],
              failed: [{ at: 0, reason: "ID_ALREADY_EXISTS" }],
              check: async () => assert.equal((await getUser(K, id)).jurisdiction, "single", "an existing user is not changed by a batch create"),
            };
          },
        },
        {
          name: "the same userId twice",
          build: async () => {
            const id = uid("f-dup");
            return {
              records: [K.minimal(id, { jurisdiction: "first" }), K.minimal(id, { jurisdiction: "second" })],
              applied: [0],
              failed: [{ at: 1, reason: "DUPLICATE_ID_IN_BATCH" }],
              check: async () => assert.equal((await getUser(K, id)).jurisdiction, "first", "the first of two records with one userId applies"),
            };
          },
        },
        {
          name: `the userId of a ${O.name} user`,
          build: async () => {
            const id = uid("f-type");
            await createUser(O, O.minimal(id, { jurisdiction: "theirs" }));
            return {
              records: [K.minimal(id, { jurisdiction: "mine" })],
              failed: [{ at: 0, reason: "USER_TYPE_MISMATCH" }],
              check: async () => {
                assert.equal((await getUser(O, id)).jurisdiction, "theirs");
                await noUser(K, id);
              },
            };
          },
        },
      ];
    }
    return [
      {
        name: "timestamp 1.1",
        build: async (userId) => {
          const eventId = uid("f-ts");
          return { records: [{ userId, eventId, timestamp: 1.1, [K.attributes]: { jurisdiction: "bad" } }], failed: [{ at: 0, reason: "VALIDATION_ERROR" }], check: () => noEvent(K, eventId) };
        },
      },
      {
        name: "timestamp 1.1 without an eventId (reported by index)",
        build: async (userId) => ({
          records: [{ userId, timestamp: 1.1, [K.attributes]: { jurisdiction: "bad" } }],
          failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }],
          check: async () => {},
        }),
      },
      {
        name: "an unknown user",
        build: async () => {
          const eventId = uid("f-ghost");
          const ghost = uid("ghost");
          return {
            records: [{ userId: ghost, eventId, timestamp: TS + 1000 }],
            failed: [{ at: 0, reason: "RELATED_ID_NOT_FOUND" }],
            check: async () => {
              await noEvent(K, eventId);
              await noUser(K, ghost);
            },
          };
        },
      },
      {
        name: "the same eventId twice",
        build: async (userId) => {
          const eventId = uid("f-dup");
          return {
            records: [
              { userId, eventId, timestamp: TS + 2000, [K.attributes]: { tags: [{ key: "dup", value: "first" }] } },
              { userId, eventId, timestamp: TS + 3000, [K.attributes]: { tags: [{ key: "dup", value: "second" }] } },
            ],
            applied: [0],
            failed: [{ at: 1, reason: "DUPLICATE_ID_IN_BATCH" }],
            check: async () => {
              assert.deepEqual((await getEvent(K, eventId))[K.attributes], { tags: [{ key: "dup", value: "first" }] }, "the first record with the eventId is the event");
              assert.deepEqual((await getUser(K, userId)).tags?.find((t) => t.key === "dup"), { key: "dup", value: "first" });
            },
          };
        },
      },
      {
        name: "an eventId used before with another body",
        build: async (userId) => {
          const eventId = uid("f-conflict");
          await postEvent(K, { userId, eventId, timestamp: TS + 500, [K.attributes]: { jurisdiction: "single", tags: [{ key: "c", value: "single" }] } });
          return {
            records: [{ userId, eventId, timestamp: TS + 500, [K.attributes]: { tags: [{ key: "c", value: "batch" }] } }],
            failed: [{ at: 0, reason: "CONFLICT" }],
            check: async () => {
              assert.deepEqual((await getEvent(K, eventId))[K.attributes].tags, [{ key: "c", value: "single" }], "the stored event is the first one");
              assert.deepEqual((await getUser(K, userId)).tags?.find((t) => t.key === "c"), { key: "c", value: "single" });
            },
          };
        },
      },
      {
        name: "an eventId used before with the same body (a replay, not a failure)",
        build: async (userId) => {
          const ev = { userId, eventId: uid("f-replay"), timestamp: TS + 600, [K.attributes]: { tags: [{ key: "r", value: "once" }] } };
          const first = await postEvent(K, ev);
          return { records: [ev], applied: [0], failed: [], check: async () => assert.deepEqual(plain((await getEvent(K, ev.eventId)).riskScoreDetails), plain(first.riskScoreDetails)) };
        },
      },
      {
        name: `an event for a ${O.name} user`,
        build: async () => {
          const other = uid("f-type");
          await createUser(O, O.minimal(other, { jurisdiction: "theirs" }));
          const eventId = uid("f-type-ev");
          return {
            records: [{ userId: other, eventId, timestamp: TS + 1000, [K.attributes]: { jurisdiction: "mine" } }],
            failed: [{ at: 0, reason: "USER_TYPE_MISMATCH" }],
            check: async () => {
              assert.equal((await getUser(O, other)).jurisdiction, "theirs");
              await noEvent(K, eventId);
              await noEvent(O, eventId);
            },
          };
        },
      },
    ];
  }

  /**
   * Builds one batch from valid records and every case's records (interleaved), posts it with
   * `send`, and checks failedRecords, the successful records' GET page and every case's check.
   */
  async function runFailureBatch(B, cases, send) {
    const K = B.K;
    let owner;
    if (B.events) {
      owner = uid("f-owner");
      await createUser(K, K.minimal(owner, { tags: [{ key: "base", value: "0" }] }));
    }
    const valid = (i) => (B.events
      ? { userId: owner, eventId: uid("f-ok"), timestamp: TS + 10_000 + i, [K.attributes]: { tags: [{ key: `ok-${i}`, value: "1" }] } }
      : K.minimal(uid("f-ok"), { jurisdiction: `ok-${i}` }));
    const data = [valid(0)];
    const expectFailed = [];
    const expectApplied = [0];
    const built = [];
    for (const [ci, c] of cases.entries()) {
      const b = await c.build(owner);
      const start = data.length;
      data.push(...b.records);
      for (const f of b.failed) expectFailed.push([f.byIndex ? String(start + f.at) : recordId(B, b.records[f.at]), f.reason]);
      for (const at of b.applied ?? []) expectApplied.push(start + at);
      data.push(valid(ci + 1));
      expectApplied.push(data.length - 1);
      built.push({ c, b });
    }
    const batchId = uid("batch");
    const res = await send({ batchId, data });
    assert.equal(res.batchId, batchId);
    assertFailed(res, expectFailed, `${B.name} batch with invalid records`);
    assert.equal(res.successful, expectApplied.length, "every valid record applies");
    assert.equal(res.status, "PARTIAL_FAILURE");

    expectApplied.sort((x, y) => x - y);
    const page = await readBatch(B, batchId, { pageSize: 1000 });
    assert.equal(page.totalCount, expectApplied.length);
    assert.equal(page.items.length, expectApplied.length);
    page.items.forEach((item, i) => assertItem(item, data[expectApplied[i]], `item ${i} (record ${expectApplied[i]})`));
    for (const i of expectApplied.filter((i) => data[i] && recordId(B, data[i])?.startsWith("f-ok"))) {
      if (B.events) assert.ok((await getEvent(K, data[i].eventId)).eventId, `valid event ${i} applied`);
      else assertProfile(await getUser(K, data[i].userId), data[i], `valid user ${i}`);
    }
    if (B.events) {
      const tags = (await getUser(K, owner)).tags.map((t) => t.key).filter((k) => k.startsWith("ok-")).sort();
      assert.deepEqual(tags, cases.map((_, i) => `ok-${i + 1}`).concat("ok-0").sort(), "every valid event applied");
    }
    for (const { c, b } of built) await b.check().catch((e) => assert.fail(`${c.name}: ${e.message}`));
  }

  for (const B of KINDS) {
    it(`${B.name}: invalid records are listed in failedRecords with their id and reason (${failureCases(B).map((c) => c.name).join("; ")}); the valid ones apply`, async () => {
      await runFailureBatch(B, failureCases(B), (req) => postBatch(B, req));
    });
  }

  /** Records only plain HTTP can send: bad enums, records without a (string) id, non-objects. */
  function rawFailureCases(B) {
    const K = B.K;
    const badEnum = { userStateDetails: { state: "FROZEN" } };
    if (!B.events) {
      return [
        {
          name: "a bad enum",
          build: async () => {
            const id = uid("f-enum");
            return { records: [K.minimal(id, badEnum)], failed: [{ at: 0, reason: "VALIDATION_ERROR" }], check: () => noUser(K, id) };
          },
        },
        {
          name: "no userId (reported by index)",
          build: async () => {
            const { userId, ...rest } = K.minimal("x", { jurisdiction: "no-id" });
            return { records: [rest], failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }], check: async () => {} };
          },
        },
        {
          name: "a numeric userId (reported by index)",
          build: async () => ({ records: [K.minimal(7)], failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }], check: () => noUser(K, "7") }),
        },
        {
          name: "a record that is not an object (reported by index)",
          build: async () => ({ records: [42], failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }], check: async () => {} }),
        },
      ];
    }
    return [
      {
        name: "a bad enum in the patch",
        build: async (userId) => {
          const eventId = uid("f-enum");
          return { records: [{ userId, eventId, timestamp: TS + 1000, [K.attributes]: badEnum }], failed: [{ at: 0, reason: "VALIDATION_ERROR" }], check: () => noEvent(K, eventId) };
        },
      },
      {
        name: "a bad enum without an eventId (reported by index)",
        build: async (userId) => ({
          records: [{ userId, timestamp: TS + 1000, [K.attributes]: badEnum }],
          failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }],
          check: async () => {},
        }),
      },
      {
        name: "a numeric eventId (reported by index)",
        build: async (userId) => ({ records: [{ userId, eventId: 7, timestamp: TS + 1000 }], failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }], check: () => noEvent(K, "7") }),
      },
      {
        name: "a record that is not an object (reported by index)",
        build: async () => ({ records: ["event"], failed: [{ at: 0, reason: "VALIDATION_ERROR", byIndex: true }], check: async () => {} }),
      },
    ];
  }

  for (const B of KINDS) {
    it(`${B.name} (plain HTTP): ${rawFailureCases(B).map((c) => c.name).join("; ")} → VALIDATION_ERROR; the valid records apply`, async () => {
      await runFailureBatch(B, rawFailureCases(B), (req) => postBatchRaw(B, req));
    });
  }

  for (const B of KINDS) {
    it(`${B.name}: a batch whose every record fails is still 201, status FAILURE; GET lists nothing`, async () => {
      const K = B.K;
      let data;
      if (B.events) {
        const userId = uid("f-all");
        await createUser(K, K.minimal(userId));
        data = [invalidRecord(B, userId), { userId: uid("ghost"), eventId: uid("f-ghost"), timestamp: TS + 1000 }];
      } else {
        data = [invalidRecord(B), invalidRecord(B)];
      }
      const batchId = uid("batch");
      const res = await postBatch(B, { batchId, data });
      assert.equal(res.status, "FAILURE");
      assert.equal(res.successful, 0);
      assertFailed(res, B.events
        ? [[data[0].eventId, "VALIDATION_ERROR"], [data[1].eventId, "RELATED_ID_NOT_FOUND"]]
        : data.map((r) => [r.userId, "VALIDATION_ERROR"]), "all failed");
      const page = await readBatch(B, batchId);
      assert.deepEqual(page, { items: [], totalCount: 0 });
      for (const r of data) await (B.events ? noEvent(K, r.eventId) : noUser(K, r.userId));
    });
  }

  // ---- batchId idempotency ------------------------------------------------------------------

  for (const B of KINDS) {
    it(`${B.name}: the same batchId with identical data replays (also spelled differently); with different data 409; another kind and another tenant are independent`, async () => {
      const K = B.K;
      const batchId = uid("batch-idem");
      const { data, userIds } = await sample(B, 2);
      data.push(invalidRecord(B, userIds[0]));
      const first = await postBatch(B, { batchId, data });
      assert.equal(first.status, "PARTIAL_FAILURE");
      const pageBefore = await readBatch(B, batchId);
      const usersBefore = await Promise.all(userIds.map((u) => getUser(K, u)));

      // Identical retry: the stored response, nothing applied again.
      const replay = await postBatch(B, { batchId, data });
      assert.deepEqual(replay, first, "an identical retry replays the stored response");
      const raw = await postBatchRaw(B, { batchId, data }, { rawBody: respelled({ batchId, data }) });
      assert.deepEqual(raw, first, "a retry equal as JSON (other key order and number spelling) replays too");
      assert.deepEqual(await readBatch(B, batchId), pageBefore, "the batch GET is unchanged by retries");
      assert.deepEqual(await Promise.all(userIds.map((u) => getUser(K, u))), usersBefore, "users unchanged by retries");

      // Different data under the same batchId: 409, nothing applied.
      const more = await sample(B, 1);
      const err = await expectSdkError(v.client.batch[B.create]({ batchId, data: [...data, more.data[0]] }, NO_RETRY), 409);
      assert.ok(err.body.message.length > 0);
      await expectSdkError(v.client.batch[B.create]({ batchId, data: data.slice(0, 1) }, NO_RETRY), 409);
      await expectSdkError(v.client.batch[B.create]({ batchId, data, lockKycRiskLevel: "true" }, NO_RETRY), 409);
      if (B.events) await noEvent(K, more.data[0].eventId);
      else await noUser(K, more.data[0].userId);
      assert.deepEqual(await readBatch(B, batchId), pageBefore, "the batch is unchanged by a 409");
      assert.deepEqual(await Promise.all(userIds.map((u) => getUser(K, u))), usersBefore, "users unchanged by a 409");

      // The same batchId in another batch kind: a batch of its own.
      const B2 = nextBatch(B);
      const s2 = await sample(B2, 2);
      assert.deepEqual(await postBatch(B2, { batchId, data: s2.data }), { status: "SUCCESS", batchId, successful: 2, failed: 0, failedRecords: [] });
      assert.deepEqual((await readBatch(B2, batchId)).items.map((i) => recordId(B2, i)), s2.data.map((r) => recordId(B2, r)));
      assert.deepEqual(await readBatch(B, batchId), pageBefore, "the first kind's batch is untouched");

      // The same batchId in another tenant: a batch of its own.
      const s3 = await sample(B, 1, v.otherClient);
      assert.deepEqual(await postBatch(B, { batchId, data: s3.data }, { client: v.otherClient }), { status: "SUCCESS", batchId, successful: 1, failed: 0, failedRecords: [] });
      assert.deepEqual((await readBatch(B, batchId, {}, v.otherClient)).items.map((i) => recordId(B, i)), [recordId(B, s3.data[0])]);
      assert.deepEqual(await readBatch(B, batchId), pageBefore, "this tenant's batch is untouched");
      assert.deepEqual(await postBatch(B, { batchId, data }), first, "and this tenant still replays its own");
    });
  }

  // ---- derived eventIds ---------------------------------------------------------------------

  for (const B of KINDS.filter((b) => b.events)) {
    const K = B.K;
    it(`${B.name}: events without an eventId get <batchId>-<index> (index = position in data), so a retried batch applies nothing twice`, async () => {
      const userId = uid("b-derived");
      await createUser(K, K.minimal(userId));
      const batchId = uid("batch-derived");
      const explicit = uid("ev-explicit");
      const tag = (i) => ({ [K.attributes]: { tags: [{ key: `d-${i}`, value: String(i) }] } });
      const data = [
        { userId, eventId: explicit, timestamp: TS + 1000, ...tag(0) },
        { userId, timestamp: TS + 2000, ...tag(1) },
        { userId, timestamp: TS + 3000, reason: "third", ...tag(2) },
      ];
      const res = await postBatch(B, { batchId, data });
      assert.deepEqual(res, { status: "SUCCESS", batchId, successful: 3, failed: 0, failedRecords: [] });

      const ids = [explicit, `${batchId}-1`, `${batchId}-2`];
      for (const [i, eventId] of ids.entries()) {
        await assertEventStored(v.client, K.name, { ...data[i], eventId }, `event ${eventId}`);
      }
      await noEvent(K, `${batchId}-0`); // record 0 brought its own eventId
      await noEvent(K, `${batchId}-3`);
      const page = await readBatch(B, batchId);
      assert.deepEqual(page.items.map((i) => i.eventId), ids, "the page lists each event with its eventId");
      page.items.forEach((item, i) => assertItem(item, { ...data[i], eventId: ids[i] }, `item ${i}`));

      const tagKeys = async () => (await getUser(K, userId)).tags.map((t) => t.key).sort();
      assert.deepEqual(await tagKeys(), ["d-0", "d-1", "d-2"]);
      const before = await getUser(K, userId);
      assert.deepEqual(await postBatch(B, { batchId, data }), res, "a retried batch replays");
      assert.deepEqual(await getUser(K, userId), before, "a retried batch changes nothing");
      await noEvent(K, `${batchId}-3`);

      // The derived ids are the events' idempotency keys: a single event reusing one with another
      // body is a conflict, with the same body a replay.
      const derived = await getEvent(K, `${batchId}-1`);
      await expectSdkError(K.events(v.client).create({ body: { ...data[1], eventId: `${batchId}-1`, reason: "other" } }, NO_RETRY), 409, Flagright.ConflictError);
      assert.deepEqual(await getEvent(K, `${batchId}-1`), derived);

      // Another batch with records without eventIds: its own ids, applied.
      const second = await postBatch(B, { data: [{ userId, timestamp: TS + 4000, ...tag(3) }] });
      assert.equal(second.status, "SUCCESS");
      assert.notEqual(second.batchId, batchId);
      assert.equal((await getEvent(K, `${second.batchId}-0`)).timestamp, TS + 4000);
      assert.deepEqual(await tagKeys(), ["d-0", "d-1", "d-2", "d-3"]);
    });
  }

  // ---- lock flags ---------------------------------------------------------------------------

  for (const B of KINDS) {
    const K = B.K;
    it(`${B.name}: lockKycRiskLevel / lockCraRiskLevel apply to every record; later single events do not move the locked levels`, async () => {
      const ids = [uid("b-lock0"), uid("b-lock1"), uid("b-nolock")];
      const levels = { kycRiskLevel: "LOW", riskLevel: "MEDIUM" };
      const locked = { kycRiskScore: 30, kycRiskLevel: "LOW", craRiskScore: 50, craRiskLevel: "MEDIUM" };
      const records = B.events
        ? ids.map((userId, i) => ({ userId, eventId: uid("ev-lock"), timestamp: TS + 1000 + i, [K.attributes]: { ...levels } }))
        : ids.map((userId) => K.minimal(userId, { ...levels }));
      if (B.events) for (const id of ids) await createUser(K, K.minimal(id));

      const withLocks = await postBatch(B, { lockKycRiskLevel: "true", lockCraRiskLevel: "true", data: records.slice(0, 2) });
      assert.equal(withLocks.status, "SUCCESS");
      const withoutLocks = await postBatch(B, { data: records.slice(2) });
      assert.equal(withoutLocks.status, "SUCCESS");
      const page = await readBatch(B, withLocks.batchId);
      for (const item of page.items) assert.deepEqual(item.riskScoreDetails, locked, "the batch's own result shows the levels set");
      assert.deepEqual((await readBatch(B, withoutLocks.batchId)).items[0].riskScoreDetails, locked, "the levels set by hand apply without a lock too, for that write");

      // A sanctioned update for each user: the locked ones hold, the unlocked one is recomputed.
      for (const userId of ids) {
        const res = await postEvent(K, { userId, eventId: uid("ev-after-lock"), timestamp: TS + 5000, [K.attributes]: SANCTIONED });
        const d = plain(res.riskScoreDetails);
        if (userId === ids[2]) {
          assert.ok(d.kycRiskScore >= 60, `without the lock the KRS is recomputed (sanctions floor HIGH): ${JSON.stringify(d)}`);
          assert.ok(d.craRiskScore >= 60, `without the lock the CRA is recomputed: ${JSON.stringify(d)}`);
        } else {
          assert.deepEqual(d, locked, `${userId}: the batch's locks hold`);
          assert.deepEqual(plain((await getUser(K, userId)).riskScoreDetails), locked, `${userId}: GET shows the locked levels`);
        }
      }
    });
  }

  // ---- GET paging ---------------------------------------------------------------------------

  for (const B of KINDS) {
    it(`${B.name}: GET pages the successful records in record order (1-based, numbers truncated); totalCount counts them`, async () => {
      const { data: valid, userIds } = await sample(B, 5);
      // Successful records 0, 2, 3, 5, 6 of data; 1 and 4 fail.
      const data = [valid[0], invalidRecord(B, userIds[0]), valid[1], valid[2], invalidRecord(B, userIds[0]), valid[3], valid[4]];
      const batchId = uid("batch-page");
      const res = await postBatch(B, { batchId, data });
      assert.equal(res.successful, 5);
      const want = valid.map((r) => recordId(B, r));
      const pages = [
        { q: { page: 1, pageSize: 2 }, want: want.slice(0, 2) },
        { q: { page: 2, pageSize: 2 }, want: want.slice(2, 4) },
        { q: { page: 3, pageSize: 2 }, want: want.slice(4) },
        { q: { page: 4, pageSize: 2 }, want: [] },
        { q: { page: 1.1, pageSize: 2.9 }, want: want.slice(0, 2) },
        { q: { page: 2.99, pageSize: 1.5 }, want: want.slice(1, 2) },
        { q: { page: 1, pageSize: 1000 }, want },
        { q: { pageSize: 3 }, want: want.slice(0, 3) },
        { q: { page: 2 }, want: [] },
        { q: {}, want },
        { q: { page: 1, pageSize: 1 }, want: want.slice(0, 1) },
        { q: { page: 5, pageSize: 1 }, want: want.slice(4) },
      ];
      for (const { q, want: ids } of pages) {
        const page = await readBatch(B, batchId, q);
        assert.equal(page.totalCount, 5, `${JSON.stringify(q)}: totalCount`);
        assert.deepEqual(page.items.map((i) => recordId(B, i)), ids, `page ${JSON.stringify(q)}`);
        for (const item of page.items) assertItem(item, valid[want.indexOf(recordId(B, item))], `page ${JSON.stringify(q)}`);
      }
    });
  }

  it("consumer users: the default pageSize is 20", async () => {
    const B = BATCHES.consumerUsers;
    const { data } = await sample(B, 25);
    const batchId = uid("batch-default");
    assert.equal((await postBatch(B, { batchId, data })).successful, 25);
    const first = await readBatch(B, batchId);
    assert.equal(first.totalCount, 25);
    assert.deepEqual(first.items.map((i) => i.userId), data.slice(0, 20).map((r) => r.userId));
    const second = await readBatch(B, batchId, { page: 2 });
    assert.deepEqual(second.items.map((i) => i.userId), data.slice(20).map((r) => r.userId));
  });

  for (const B of KINDS) {
    it(`${B.name}: GET with page < 1, pageSize < 1 or > 1000, or a non-numeric value is 400; unknown batch, another kind's or another tenant's is 404`, async () => {
      const { data } = await sample(B, 1);
      const batchId = uid("batch-badpage");
      await postBatch(B, { batchId, data });
      // Through the SDK (it sends any number).
      for (const q of [{ page: 0 }, { page: -1 }, { page: 0.5 }, { pageSize: 0 }, { pageSize: 0.9 }, { pageSize: -5 }, { pageSize: 1001 }, { pageSize: 1001.5 }, { page: 0, pageSize: 0 }]) {
        const err = await expectSdkError(v.client.batch[B.get](batchId, q, NO_RETRY), 400);
        assert.ok(err.body.message.length > 0, `${JSON.stringify(q)}: message`);
      }
      // Plain HTTP for values that are not numbers.
      for (const qs of ["page=abc", "pageSize=abc", "page=NaN", "pageSize=Infinity", "page=-Infinity", "page=1x", "pageSize=20px", "page=1&pageSize=%20"]) {
        assertErrorResponse(await v.api("GET", `${B.path}/${enc(batchId)}?${qs}`), 400, `GET ?${qs}:`);
      }
      // Numbers written other ways are numbers.
      const ok = await v.api("GET", `${B.path}/${enc(batchId)}?page=1e0&pageSize=1000.999`);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json[B.list].length, 1);

      await expectSdkError(v.client.batch[B.get](uid("no-batch"), {}, NO_RETRY), 404, Flagright.NotFoundError);
      await expectSdkError(v.client.batch[nextBatch(B).get](batchId, {}, NO_RETRY), 404, Flagright.NotFoundError);
      await expectSdkError(v.otherClient.batch[B.get](batchId, {}, NO_RETRY), 404, Flagright.NotFoundError);
      await expectSdkError(v.otherClient.batch[B.get](batchId, { page: 1, pageSize: 20 }, NO_RETRY), 404, Flagright.NotFoundError);
      assertErrorResponse(await v.api("GET", `${B.path}/${enc(batchId)}`, { key: v.otherApiKey }), 404, "other tenant, plain HTTP:");
    });
  }

  // ---- limits -------------------------------------------------------------------------------

  it("consumer users: 10,000 records are one batch; 10,001 are 400 and nothing is written", async () => {
    const B = BATCHES.consumerUsers;
    const prefix = uid("b-10k");
    const batchId = uid("batch-10k");
    const data = Array.from({ length: 10_000 }, (_, i) => ({ userId: `${prefix}-${i}`, createdTimestamp: TS }));
    const res = await postBatch(B, { batchId, data }, { options: { ...NO_RETRY, timeoutInSeconds: 180 } });
    assert.deepEqual(res, { status: "SUCCESS", batchId, successful: 10_000, failed: 0, failedRecords: [] });
    // A page of 1,000 records, while the suite's other files load the same 2-core machine, can
    // take longer than the 15 s the other calls allow.
    const last = await readBatch(B, batchId, { page: 10, pageSize: 1000 }, v.client, { ...NO_RETRY, timeoutInSeconds: 120 });
    assert.equal(last.totalCount, 10_000);
    assert.equal(last.items.length, 1000);
    assert.equal(last.items[999].userId, `${prefix}-9999`);
    assert.equal((await getUser(B.K, `${prefix}-9999`)).userId, `${prefix}-9999`);

    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ userId: `${prefix}-x${i}`, createdTimestamp: TS }));
    const big = uid("batch-10k1");
    const err = await expectSdkError(v.client.batch[B.create]({ batchId: big, data: tooMany }, NO_RETRY), 400, Flagright.BadRequestError);
    assert.ok(err.body.message.length > 0);
    await noUser(B.K, `${prefix}-x0`);
    await noUser(B.K, `${prefix}-x10000`);
    await expectSdkError(v.client.batch[B.get](big, {}, NO_RETRY), 404, Flagright.NotFoundError);
  });

  /** A JSON batch body of exactly `size` bytes: one valid record, padded with an unknown top-level field. */
  function paddedBody(B, size, { data } = {}) {
    const record = B.events
      ? { userId: uid("pad-user"), eventId: uid("pad-ev"), timestamp: TS + 1000 }
      : B.K.minimal(uid("pad-user"));
    const head = `{"data":${JSON.stringify(data ?? [record])},"padding":"`;
    const tail = `"}`;
    return { text: head + "x".repeat(size - Buffer.byteLength(head) - tail.length) + tail, record };
  }

  for (const B of KINDS) {
    it(`${B.name}: a body over 32 MiB (Content-Length) is 413 before the body is read; nothing is written`, async () => {
      const { text, record } = paddedBody(B, 32 * MiB + 1);
      assert.equal(Buffer.byteLength(text), 32 * MiB + 1);
      const res = await v.rawRequest("POST", B.path, {
        headers: { ...JSON_CT, "content-length": Buffer.byteLength(text) },
        chunks: [text],
        waitBeforeBodyMs: 2000,
      });
      assertErrorResponse(res, 413, `${B.name} oversized body:`);
      assert.equal(res.bodyBytesSent, 0, "a Content-Length over the limit must be answered before the body is read");
      if (B.events) await noEvent(B.K, record.eventId);
      else await noUser(B.K, record.userId);
    });
  }

  it("consumer user events: a chunked body growing past 32 MiB is 413", async () => {
    const B = BATCHES.consumerEvents;
    const { text, record } = paddedBody(B, 33 * MiB);
    const chunks = [];
    for (let i = 0; i < text.length; i += MiB) chunks.push(text.slice(i, i + MiB));
    const res = await v.rawRequest("POST", B.path, { headers: JSON_CT, chunks });
    assertErrorResponse(res, 413, "chunked oversized body:");
    await noEvent(B.K, record.eventId);
  });

  it("consumer users: a body of exactly 32 MiB is read (400 for its invalid data, not 413)", async () => {
    const B = BATCHES.consumerUsers;
    const { text } = paddedBody(B, 32 * MiB, { data: "not an array" });
    assert.equal(Buffer.byteLength(text), 32 * MiB);
    const res = await v.api("POST", B.path, { rawBody: text, headers: JSON_CT });
    assertErrorResponse(res, 400, "32 MiB body with invalid data:");
  });

  for (const B of KINDS) {
    it(`${B.name}: a body without a data array is 400 and stores no batch`, async () => {
      for (const body of [{}, { data: "x" }, { data: { 0: {} } }, { data: null }]) {
        const batchId = uid("batch-nodata");
        assertErrorResponse(await v.api("POST", B.path, { body: { ...body, batchId } }), 400, `${JSON.stringify(body)}:`);
        await expectSdkError(v.client.batch[B.get](batchId, {}, NO_RETRY), 404, Flagright.NotFoundError);
      }
    });
  }
});
