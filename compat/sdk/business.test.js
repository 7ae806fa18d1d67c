// Business users and business user events through the Flagright Node SDK: create, get, the
// maximal fixture round trip, person-or-company items, merge patch, ordering, eventId
// idempotency, cross-type errors, user type conversion (both ways) and renames.
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
  readFixture,
  fixtureProfile,
  assertRuleResults,
  assertProfile,
  TAG_MERGE,
  assertEventAsReceived,
  assertEventStored,
  assertLateEventFoldsIn,
  sdkCreateUser,
  sdkPostEvent,
  assertErrorResponse,
  expectSdkError,
  validationLines,
  defineRenameTests,
  USER_KINDS,
  Flagright,
  FlagrightError,
} from "./harness.js";

const TS = 1700000000000;
const enc = encodeURIComponent;
const BIZ = USER_KINDS.business;
const CONSUMER = USER_KINDS.consumer;
const CREATE_RESPONSE_FIELDS = new Set(["userId", "executedRules", "hitRules", "status", "riskScoreDetails"]);

// Top-level profile fields by user type (flagright-api.md §3.1 / §3.2; the same split as SDK 1.8.53's
// User and Business). A conversion keeps the shared ones and drops those only the old type knows.
const SHARED_FIELDS = [
  "userId", "createdTimestamp", "activatedTimestamp", "userStateDetails", "kycStatusDetails", "eoddDate",
  "corporateEntities", "transactionLimits", "expectedTransactionCountries", "expectedTransactionCurrencies",
  "riskLevel", "kycRiskLevel", "acquisitionChannel", "linkedEntities", "savedPaymentDetails", "tags",
  "attachments", "metaData", "jurisdiction", "productsEnabled", "pepStatus", "sanctionsStatus",
  "adverseMediaStatus", "externalLinks",
];
const BUSINESS_ONLY = ["legalEntity", "shareHolders", "directors", "associatedParties", "businessPartners", "allowedPaymentMethods", "mccDetails"];
const CONSUMER_ONLY = [
  "userDetails", "employmentStatus", "occupation", "legalDocuments", "contactDetails", "employmentDetails",
  "expectedIncome", "reasonForAccountOpening", "sourceOfFunds", "userSegment",
];

const legalEntity = (legalName, extra = {}) => ({ companyGeneralDetails: { legalName }, ...extra });
const person = (firstName, extra = {}) => ({ generalDetails: { name: { firstName } }, ...extra });
const company = (legalName, extra = {}) => ({ companyGeneralDetails: { legalName }, ...extra });

const pick = (obj, keys) => Object.fromEntries(keys.filter((k) => k in obj).map((k) => [k, obj[k]]));
// What a GET adds to the stored profile (riskLevel and kycRiskLevel are profile fields too).
const EVALUATION_FIELDS = ["executedRules", "hitRules", "riskScoreDetails", "status", "message"];
const withoutEvaluation = (profile) => Object.fromEntries(Object.entries(plain(profile)).filter(([k]) => !EVALUATION_FIELDS.includes(k)));

/** Paths (dotted, [i] for items) present in `full` but not in `sent`. */
function droppedPaths(full, sent, prefix = "") {
  if (Array.isArray(full)) return full.flatMap((x, i) => droppedPaths(x, sent?.[i], `${prefix}[${i}]`));
  if (!full || typeof full !== "object") return [];
  return Object.entries(full).flatMap(([k, val]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return sent && typeof sent === "object" && k in sent ? droppedPaths(val, sent[k], p) : [p];
  });
}

/** The maximal business profile of the spec fixtures, in wire (JSON) form, ready to create. */
const richWireBusiness = (userId) => fixtureProfile("examples/retrieve-a-business-user-example-2.response-body.json", userId, TS);

/** Every field both user types know, set to clean (no sanctions, PEP or adverse media) values. */
function sharedProfile(userId) {
  return {
    userId,
    createdTimestamp: TS,
    activatedTimestamp: TS + 1000,
    userStateDetails: { state: "ACTIVE", reason: "onboarded" },
    kycStatusDetails: { status: "SUCCESSFUL", reason: "documents verified" },
    eoddDate: TS + 86_400_000,
    corporateEntities: [{ legalName: "Lovelace Group" }],
    transactionLimits: { maximumDailyTransactionLimit: { amountValue: 1000, amountCurrency: "GBP" } },
    expectedTransactionCountries: { incoming: [{ countryCode: "GB" }], outgoing: [{ countryCode: "DE" }] },
    expectedTransactionCurrencies: { incoming: [{ currencyCode: "GBP" }] },
    riskLevel: "MEDIUM",
    kycRiskLevel: "LOW",
    acquisitionChannel: "ORGANIC",
    linkedEntities: { parentUserId: "parent-1" },
    savedPaymentDetails: [{ method: "IBAN", IBAN: "GB82WEST12345698765432", BIC: "WESTGB2L" }],
    tags: [
      { key: "segment", value: "smb" },
      { key: "region", value: "eu" },
    ],
    attachments: [{ userId, comment: "certificate", files: [{ s3Key: "k1", filename: "c.pdf", size: 1024 }] }],
    metaData: { ipAddress: "192.0.2.10", deviceIdentifier: "dev-1" },
    jurisdiction: "GB",
    productsEnabled: [{ productName: "payments" }],
    pepStatus: [{ isPepHit: false }],
    sanctionsStatus: false,
    adverseMediaStatus: false,
    externalLinks: ["https://example.org/profile"],
  };
}

/** A business user with every shared field and every business-only field set (wire form). */
function convertibleBusiness(userId) {
  return {
    ...sharedProfile(userId),
    legalEntity: legalEntity("Lovelace Engines Ltd", { companyRegistrationDetails: { registrationCountry: "GB" } }),
    shareHolders: [person("Ada", { userId: "sh-1" })],
    directors: [company("Babbage Holdings")],
    associatedParties: [person("Charles", { role: "advisor" })],
    businessPartners: [legalEntity("Partner plc")],
    allowedPaymentMethods: ["ACH", "CARD"],
    mccDetails: { code: 7372, description: "computer programming" },
  };
}

/** A consumer user with every shared field and every consumer-only field set (wire form). */
function convertibleConsumer(userId) {
  return {
    ...sharedProfile(userId),
    userDetails: { name: { firstName: "Grace", lastName: "Hopper" }, dateOfBirth: "1906-12-09", countryOfResidence: "US" },
    employmentStatus: "EMPLOYED",
    occupation: "engineer",
    legalDocuments: [{ documentType: "passport", documentNumber: "X1234", documentIssuedCountry: "US" }],
    contactDetails: { emailIds: ["grace@example.org"] },
    employmentDetails: { employerName: "US Navy" },
    expectedIncome: { monthlyExpectedIncome: { amountValue: 5000, amountCurrency: "USD" } },
    reasonForAccountOpening: ["savings"],
    sourceOfFunds: ["Earnings"],
    userSegment: "RETAIL",
  };
}

describe("business users via the SDK", () => {
  const v = useVigil();

  // SDK writes that must answer 201.
  const createBusiness = (body, flags) => sdkCreateUser(v.client, "business", body, flags);
  const createConsumer = (body, flags) => sdkCreateUser(v.client, "consumer", body, flags);

  /** Creates a user from a wire-form body through the SDK (the SDK's own JS shape, every key known to it). */
  async function createFromWire(kind, wire, flags = {}) {
    const schema = kind === "business" ? serialization.Business : serialization.User;
    return sdkCreateUser(v.client, kind, schema.parseOrThrow(wire, { unrecognizedObjectKeys: "fail" }), flags);
  }

  const postBizEvent = (body, flags) => sdkPostEvent(v.client, "business", body, flags);

  async function rawProfile(kind, userId) {
    const res = await v.api("GET", `${USER_KINDS[kind].usersPath}/${enc(userId)}`);
    assert.equal(res.status, 200, `GET ${kind} ${userId}: ${res.text}`);
    return res.json;
  }

  async function assertNoUser(kind, userId) {
    await expectSdkError(USER_KINDS[kind].users(v.client).get(userId, NO_RETRY), 404);
  }

  /** Lines of a 400 whose path (before ": ") ends with `suffix`. */
  function linesEndingWith(body, suffix) {
    return validationLines(body).filter((l) => l.slice(0, l.indexOf(": ")).endsWith(suffix));
  }

  /** Creates the `kind` user of convertibleBusiness / convertibleConsumer (every shared and `kind`-only field set) with both levels locked. */
  async function createConvertible(kind, userId) {
    const [wire, only] = kind === "business" ? [convertibleBusiness(userId), BUSINESS_ONLY] : [convertibleConsumer(userId), CONSUMER_ONLY];
    assert.deepEqual(SHARED_FIELDS.filter((k) => !(k in wire)), [], "the test profile must set every shared field");
    assert.deepEqual(only.filter((k) => !(k in wire)), [], `the test profile must set every ${kind}-only field`);
    // Locked levels stick (behaviour.md §5), so riskLevel / kycRiskLevel are comparable across the conversion.
    await createFromWire(kind, wire, { lockCraRiskLevel: "true", lockKycRiskLevel: "true" });
  }

  /**
   * Posts a `kind` event (query `flags`; `attributes` as its patch unless undefined) for a user of the other type; it must
   * be refused with 400 BadRequestError and change nothing: the user as it was, no `kind` user, no event. Returns the error.
   */
  async function expectConversionRefused(kind, userId, attributes, flags = {}) {
    const K = USER_KINDS[kind];
    const O = USER_KINDS[K.other];
    const before = plain(await O.users(v.client).get(userId, NO_RETRY));
    const eventId = uid("ev-conv-no");
    const body = { userId, eventId, timestamp: TS + 1000 };
    if (attributes !== undefined) body[K.attributes] = attributes;
    const err = await expectSdkError(K.events(v.client).create({ ...flags, body }, NO_RETRY), 400, Flagright.BadRequestError);
    assert.deepEqual(plain(await O.users(v.client).get(userId, NO_RETRY)), before);
    await assertNoUser(kind, userId);
    await expectSdkError(K.events(v.client).get(eventId, NO_RETRY), 404);
    return err;
  }

  /**
   * Checks a user converted to `kind` by `event` (answered `response`) after `earlier` of the old type, all on a
   * sharedProfile locked at CRA MEDIUM / KYC LOW: raw and through the SDK it is the shared fields of `beforeWire` with
   * the patch over them (its region tag replacing sharedProfile's), has none of the old type's fields, keeps both locked
   * levels and exists only as `kind`; both events stay readable. Returns the expected profile (wire form).
   */
  async function assertConverted(kind, { userId, beforeWire, patch, response, earlier, event }) {
    const K = USER_KINDS[kind];
    const old = USER_KINDS[K.other];
    const [schema, oldOnly] = kind === "consumer" ? [serialization.User, BUSINESS_ONLY] : [serialization.Business, CONSUMER_ONLY];
    const want = {
      ...pick(beforeWire, SHARED_FIELDS),
      ...patch,
      tags: [
        { key: "segment", value: "smb" },
        { key: "region", value: "us" },
      ],
    };
    const afterWire = await rawProfile(kind, userId);
    assertProfile(afterWire, want, `${kind} GET after conversion (raw JSON)`);
    assert.deepEqual(oldOnly.filter((k) => k in afterWire), [], `${old.name}-only fields must be gone`);
    assert.equal(afterWire.riskLevel, "MEDIUM", "a locked CRA level survives the conversion");
    assert.equal(afterWire.kycRiskLevel, "LOW", "a locked KYC level survives the conversion");
    if (afterWire.riskScoreDetails?.kycRiskLevel !== undefined) assert.equal(afterWire.riskScoreDetails.kycRiskLevel, "LOW");
    if (afterWire.riskScoreDetails?.craRiskLevel !== undefined) assert.equal(afterWire.riskScoreDetails.craRiskLevel, "MEDIUM");
    assertRuleResults(response);
    const sdkWant = schema.parseOrThrow(want, { unrecognizedObjectKeys: "fail" });
    assertProfile(response, sdkWant, "conversion event response (SDK)");
    assertProfile(await K.users(v.client).get(userId, NO_RETRY), sdkWant, `${kind} GET after conversion (SDK)`);
    await assertNoUser(old.name, userId);

    // Events stay readable by eventId on the endpoint they were posted to.
    await assertEventStored(v.client, old.name, earlier, `pre-conversion ${old.name} event`);
    await assertEventStored(v.client, kind, event, "conversion event");
    return want;
  }

  // ---- create and get -------------------------------------------------------

  it("creates a minimal business user: 201 {userId, executedRules, hitRules, status: ALLOW}, GET returns it", async () => {
    const userId = uid("biz-min");
    const body = BIZ.minimal(userId);
    const { data, rawResponse } = await v.client.businessUsers.create({ body }, NO_RETRY).withRawResponse();
    assert.equal(rawResponse.status, 201);
    assert.equal(data.userId, userId);
    assertRuleResults(data, { statusRequired: true });
    assert.equal(data.status, "ALLOW", "a clean new business hits nothing");
    const extra = Object.keys(plain(data)).filter((k) => !CREATE_RESPONSE_FIELDS.has(k));
    assert.deepEqual(extra, [], "unexpected fields in the create response");

    const got = await v.client.businessUsers.get(userId, NO_RETRY).withRawResponse();
    assert.equal(got.rawResponse.status, 200);
    assertProfile(got.data, body, "GET minimal business");
    assertRuleResults(got.data);
  });

  const requiredCases = [
    { name: "userId missing", via: "raw", body: (id) => ({ createdTimestamp: TS, legalEntity: legalEntity(id) }), path: "userId" },
    { name: "createdTimestamp missing", via: "raw", body: (id) => ({ userId: id, legalEntity: legalEntity("L") }), path: "createdTimestamp" },
    { name: "createdTimestamp below the range", body: (id) => BIZ.minimal(id, { createdTimestamp: MIN_TS - 1 }), path: "createdTimestamp" },
    { name: "createdTimestamp above the range", body: (id) => BIZ.minimal(id, { createdTimestamp: MAX_TS + 1 }), path: "createdTimestamp" },
    { name: "createdTimestamp 1.1 (the SDK's placeholder)", body: (id) => BIZ.minimal(id, { createdTimestamp: 1.1 }), path: "createdTimestamp" },
    { name: "createdTimestamp in seconds", body: (id) => BIZ.minimal(id, { createdTimestamp: 1700000000 }), path: "createdTimestamp" },
    { name: "activatedTimestamp above the range", body: (id) => BIZ.minimal(id, { activatedTimestamp: MAX_TS + 1 }), path: "activatedTimestamp" },
    { name: "legalEntity missing", via: "raw", body: (id) => ({ userId: id, createdTimestamp: TS }), path: "legalEntity" },
    { name: "legalEntity null", via: "raw", body: (id) => ({ userId: id, createdTimestamp: TS, legalEntity: null }), path: "legalEntity" },
    {
      name: "companyGeneralDetails missing",
      via: "raw",
      body: (id) => BIZ.minimal(id, { legalEntity: { companyRegistrationDetails: { registrationCountry: "DE" } } }),
      path: "legalEntity.companyGeneralDetails",
    },
    {
      name: "legalName missing",
      body: (id) => BIZ.minimal(id, { legalEntity: { companyGeneralDetails: { businessIndustry: ["Farming"] } } }),
      path: "legalEntity.companyGeneralDetails.legalName",
    },
    {
      name: "legalName null",
      body: (id) => BIZ.minimal(id, { legalEntity: { companyGeneralDetails: { legalName: null } } }),
      path: "legalEntity.companyGeneralDetails.legalName",
    },
  ];
  for (const c of requiredCases) {
    it(`business create with ${c.name} is 400 naming ${c.path}; nothing is written`, async () => {
      const userId = uid("biz-req");
      const body = c.body(userId);
      let errBody;
      if (c.via === "raw") {
        // The SDK refuses to send these (legalEntity and companyGeneralDetails are required in its schema).
        const res = await v.api("POST", BIZ.usersPath, { body });
        assertErrorResponse(res, 400, `${c.name}:`);
        errBody = res.json;
      } else {
        // The SDK checks neither bounds nor legalName, so the server's 400 reaches the caller.
        const err = await expectSdkError(v.client.businessUsers.create({ body }, NO_RETRY), 400, Flagright.BadRequestError);
        errBody = err.body;
      }
      const lines = validationLines(errBody);
      assert.ok(lines.some((l) => l.startsWith(`${c.path}: `)), `no "${c.path}: ..." line in ${JSON.stringify(lines)}`);
      assert.equal(errBody.message, lines[0], "message is the first validation line");
      await assertNoUser("business", userId);
      await assertNoUser("consumer", userId);
    });
  }

  for (const [field, value] of [
    ["createdTimestamp", MIN_TS],
    ["createdTimestamp", MAX_TS],
    ["activatedTimestamp", MIN_TS],
  ]) {
    it(`business ${field} = ${value} is accepted`, async () => {
      const userId = uid("biz-ts");
      await createBusiness(BIZ.minimal(userId, { [field]: value }));
      assert.equal((await v.client.businessUsers.get(userId, NO_RETRY))[field], value);
    });
  }

  it("round-trips the maximal business fixture through the SDK (which strips the keys it does not know)", async () => {
    const userId = uid("biz-rich-sdk");
    const wire = richWireBusiness(userId);
    // What a customer writes with SDK 1.8.53: its own JS shape (paymentMethodLimits.ach, "3DsDone", ...).
    const sdkBiz = serialization.Business.parseOrThrow(wire, { unrecognizedObjectKeys: "strip" });
    const sentWire = serialization.Business.jsonOrThrow(sdkBiz, { unrecognizedObjectKeys: "strip" });
    assert.ok(sdkBiz.transactionLimits.paymentMethodLimits.ach && sdkBiz.savedPaymentDetails[0]["3DsDone"] === true);
    assert.ok(sentWire.transactionLimits.paymentMethodLimits.ACH && sentWire.savedPaymentDetails[0]["3dsDone"] === true);
    // The fixture's fields that SDK 1.8.53 does not know (GO-SDK-only, flagright-api.md §8.2) never reach the server.
    assert.deepEqual(droppedPaths(wire, sentWire).sort(), [
      "associatedParties[0].generalDetails.secondaryCountryOfNationality",
      "businessPartners[0].companyGeneralDetails.secondaryBusinessIndustry",
      "businessPartners[0].companyRegistrationDetails.secondaryRegistrationCountry",
      "businessPartners[0].companyRegistrationDetails.secondaryTaxIdentifications",
      "legalEntity.companyGeneralDetails.secondaryBusinessIndustry",
      "legalEntity.companyRegistrationDetails.secondaryRegistrationCountry",
      "legalEntity.companyRegistrationDetails.secondaryTaxIdentifications",
    ]);

    const created = await createBusiness(sdkBiz);
    assert.equal(created.userId, userId);
    assertRuleResults(created, { statusRequired: true });

    const got = await v.client.businessUsers.get(userId, NO_RETRY);
    assertProfile(got, sdkBiz, "GET rich business (SDK objects)");
    assertRuleResults(got);
    assertProfile(await rawProfile("business", userId), sentWire, "GET rich business (raw JSON)");
  });

  it("round-trips the full business fixture over raw HTTP, incl. GO-only and unknown fields", async () => {
    const userId = uid("biz-rich-raw");
    const wire = richWireBusiness(userId);
    wire.vigilCompatUnknown = { nested: [1, "two", { three: true }] };
    wire.legalEntity.companyGeneralDetails.vigilCompatUnknownNested = "kept";
    wire.directors[0].vigilCompatUnknownInItem = { x: 1 };
    const created = await v.api("POST", BIZ.usersPath, { body: wire });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.userId, userId);
    assertRuleResults(created.json, { statusRequired: true });

    assertProfile(await rawProfile("business", userId), wire, "GET full business fixture (raw JSON)");

    // The SDK passes unknown response keys through, so a customer of SDK 1.8.53 still reads them.
    const got = await v.client.businessUsers.get(userId, NO_RETRY);
    assert.deepEqual(got.legalEntity.companyGeneralDetails.secondaryBusinessIndustry, ["Food Processing"]);
    assert.deepEqual(got.associatedParties[0].generalDetails.secondaryCountryOfNationality, ["US", "GB"]);
    assert.deepEqual(got.vigilCompatUnknown, wire.vigilCompatUnknown);
    assert.deepEqual(got.directors[0].vigilCompatUnknownInItem, { x: 1 });
    assert.equal(got.transactionLimits.paymentMethodLimits.ach.transactionAmountLimit.day.amountValue, 800);
  });

  it("the SDK example request (sdk-requests/create-a-business-user-example-1): 400 for its placeholder timestamp, 201 once fixed", async () => {
    const req = readFixture("sdk-requests/create-a-business-user-example-1.request.json");
    assert.equal(req.path, BIZ.usersPath);
    const flags = Object.fromEntries(Object.entries(req.query).map(([k, [val]]) => [k, val]));
    const query = new URLSearchParams(flags).toString();
    assert.ok(query.includes("validateUserId=true"), `fixture flags changed: ${query}`);

    // As generated: createdTimestamp 1.1.
    const asIs = { ...structuredClone(req.body), userId: uid("biz-ex1-asis") };
    assert.equal(asIs.createdTimestamp, 1.1);
    const err = await expectSdkError(v.client.businessUsers.create({ ...flags, body: asIs }, NO_RETRY), 400, Flagright.BadRequestError);
    assert.ok(validationLines(err.body).some((l) => l.startsWith("createdTimestamp: ")));
    await assertNoUser("business", asIs.userId);

    // Fixed, through the SDK (it strips secondaryBusinessIndustry, which it does not know) ...
    const fixed = { ...structuredClone(req.body), userId: uid("biz-ex1-sdk"), createdTimestamp: TS };
    const res = await createBusiness(fixed, flags);
    assert.equal(res.userId, fixed.userId);
    assertRuleResults(res, { statusRequired: true });
    const sent = serialization.Business.jsonOrThrow(
      serialization.Business.parseOrThrow(fixed, { unrecognizedObjectKeys: "strip" }),
      { unrecognizedObjectKeys: "strip" },
    );
    assert.equal(sent.legalEntity.companyGeneralDetails.secondaryBusinessIndustry, undefined);
    assertProfile(await rawProfile("business", fixed.userId), sent, "GET example-1 (SDK)");

    // ... and exactly as the Go SDK sends it, over raw HTTP.
    const rawBody = { ...structuredClone(req.body), userId: uid("biz-ex1-raw"), createdTimestamp: TS };
    const raw = await v.api("POST", `${req.path}?${query}`, { body: rawBody });
    assert.equal(raw.status, 201, raw.text);
    assert.equal(raw.json.userId, rawBody.userId);
    assertProfile(await rawProfile("business", rawBody.userId), rawBody, "GET example-1 (raw)");
  });

  for (const flags of [{}, { validateUserId: "true" }]) {
    it(`business re-POST of an existing userId with ${JSON.stringify(flags)} answers 201 + message and changes nothing`, async () => {
      const userId = uid("biz-exists");
      const original = BIZ.minimal(userId, { legalEntity: legalEntity("Original Ltd"), jurisdiction: "DE" });
      await createBusiness(original);
      const again = BIZ.minimal(userId, { legalEntity: legalEntity("Changed Ltd"), mccDetails: { code: 1 } });
      const first = await v.client.businessUsers.create({ ...flags, body: again }, NO_RETRY).withRawResponse();
      assert.equal(first.rawResponse.status, 201);
      assert.equal(first.data.userId, userId);
      assert.match(first.data.message ?? "", /exist/i, "re-POST must carry a message saying the user exists");
      assertRuleResults(first.data, { statusRequired: true });
      const retry = await v.client.businessUsers.create({ ...flags, body: again }, NO_RETRY);
      assert.deepEqual(plain(retry), plain(first.data), "an identical retry gets the same answer");
      assertProfile(await v.client.businessUsers.get(userId, NO_RETRY), original, "GET after rejected re-POST");
    });
  }

  it('business re-POST with validateUserId "false" replaces the top-level fields sent and keeps the others', async () => {
    const userId = uid("biz-update");
    const original = BIZ.minimal(userId, {
      legalEntity: legalEntity("Original Ltd", { companyRegistrationDetails: { registrationCountry: "DE" } }),
      jurisdiction: "DE",
      tags: [{ key: "segment", value: "gold" }],
    });
    await createBusiness(original);
    const update = BIZ.minimal(userId, { legalEntity: legalEntity("Renamed Ltd"), mccDetails: { code: 5734 } });
    const res = await v.client.businessUsers.create({ validateUserId: "false", body: update }, NO_RETRY).withRawResponse();
    assert.equal(res.rawResponse.status, 201);
    assertRuleResults(res.data, { statusRequired: true });
    assertProfile(
      await v.client.businessUsers.get(userId, NO_RETRY),
      { ...original, legalEntity: legalEntity("Renamed Ltd"), mccDetails: { code: 5734 } },
      "GET after validateUserId=false update",
    );
  });

  // ---- directors, shareholders, associated parties: person or company by shape ----

  const partyFields = [
    { field: "shareHolders", person: person("Sam"), company: company("Holding AG") },
    { field: "directors", person: person("Dora"), company: company("Corporate Director Ltd") },
    { field: "associatedParties", person: person("Ann", { role: "UBO" }), company: company("Partner SA", { role: "partner" }) },
  ];
  const badShapes = [
    { shape: "both generalDetails and companyGeneralDetails", item: (p) => ({ ...p.person, ...p.company }) },
    { shape: "neither generalDetails nor companyGeneralDetails", item: (p) => ({ userId: "party-1", role: p.person.role }) },
    { shape: "generalDetails and companyGeneralDetails both null", item: (p) => ({ ...p.person, generalDetails: null, companyGeneralDetails: null }) },
  ];
  for (const p of partyFields) {
    it(`${p.field}: person and company items (told apart by shape) are accepted and returned as sent`, async () => {
      const userId = uid("biz-party");
      const body = BIZ.minimal(userId, { [p.field]: [p.person, p.company] });
      const res = await v.api("POST", BIZ.usersPath, { body });
      assert.equal(res.status, 201, res.text);
      assertProfile(await rawProfile("business", userId), body, `GET ${p.field}`);
      // The SDK reads both kinds of item back.
      const got = plain(await v.client.businessUsers.get(userId, NO_RETRY));
      assert.deepEqual(got[p.field], body[p.field]);
    });

    it(`${p.field}: null for the other shape's key counts as absent (a person with companyGeneralDetails: null is a person)`, async () => {
      const userId = uid("biz-party-null");
      const items = [
        { ...p.person, companyGeneralDetails: null },
        { ...p.company, generalDetails: null },
      ];
      const res = await v.api("POST", BIZ.usersPath, { body: BIZ.minimal(userId, { [p.field]: items }) });
      assert.equal(res.status, 201, res.text);
      const got = await rawProfile("business", userId);
      assert.deepEqual(got[p.field][0].generalDetails, p.person.generalDetails);
      assert.equal(got[p.field][0].companyGeneralDetails ?? null, null);
      assert.deepEqual(got[p.field][1].companyGeneralDetails, p.company.companyGeneralDetails);
      assert.equal(got[p.field][1].generalDetails ?? null, null);
    });

    for (const bad of badShapes) {
      it(`${p.field}: an item with ${bad.shape} is 400 naming ${p.field}[1]; nothing is written`, async () => {
        const userId = uid("biz-badparty");
        const res = await v.api("POST", BIZ.usersPath, { body: BIZ.minimal(userId, { [p.field]: [p.person, bad.item(p)] }) });
        assertErrorResponse(res, 400, `${p.field} ${bad.shape}:`);
        const lines = validationLines(res.json);
        assert.ok(lines.some((l) => l.startsWith(`${p.field}[1]`)), `no "${p.field}[1]..." line in ${JSON.stringify(lines)}`);
        assert.ok(!lines.some((l) => l.startsWith(`${p.field}[0]`)), `the valid item ${p.field}[0] was reported: ${JSON.stringify(lines)}`);
        await assertNoUser("business", userId);
      });
    }
  }

  it("a both-shaped director in an event patch is 400 naming updatedBusinessUserAttributes.directors[0]; nothing changes", async () => {
    const userId = uid("biz-badparty-ev");
    const body = BIZ.minimal(userId, { directors: [person("Kept")] });
    await createBusiness(body);
    const eventId = uid("ev-badparty");
    const res = await v.api("POST", BIZ.eventsPath, {
      body: { userId, eventId, timestamp: TS + 1000, updatedBusinessUserAttributes: { directors: [{ ...person("X"), ...company("Y") }] } },
    });
    assertErrorResponse(res, 400, "both-shaped director in a patch:");
    const lines = validationLines(res.json);
    assert.ok(
      lines.some((l) => l.startsWith("updatedBusinessUserAttributes.directors[0]")),
      `no "updatedBusinessUserAttributes.directors[0]..." line in ${JSON.stringify(lines)}`,
    );
    assertProfile(await v.client.businessUsers.get(userId, NO_RETRY), body, "GET after rejected patch");
    await expectSdkError(v.client.businessUserEvents.get(eventId, NO_RETRY), 404);
  });

  it("SDK 1.8.53 cannot send a bad party shape: both becomes a person, neither throws before any request", async () => {
    // Both: the SDK tries Person first and strips companyGeneralDetails, so the server sees a person.
    const userId = uid("biz-sdk-both");
    await createBusiness(BIZ.minimal(userId, { directors: [{ ...person("Both"), ...company("Both Ltd") }] }));
    assert.deepEqual((await rawProfile("business", userId)).directors, [person("Both")]);

    // Neither: no union variant matches, the SDK throws a serialization error and sends nothing.
    const neitherId = uid("biz-sdk-neither");
    await assert.rejects(
      v.client.businessUsers.create({ body: BIZ.minimal(neitherId, { shareHolders: [{ userId: "p" }] }) }, NO_RETRY),
      (e) => !(e instanceof FlagrightError) && /generalDetails/.test(e.message),
    );
    await assertNoUser("business", neitherId);
  });

  // ---- business user events -----------------------------------------------

  it("applies updatedBusinessUserAttributes as a merge patch: nested objects merge, arrays replace, null removes", async () => {
    const userId = uid("biz-merge");
    const user = BIZ.minimal(userId, {
      userStateDetails: { state: "ACTIVE" },
      legalEntity: {
        companyGeneralDetails: { legalName: "Acme GmbH", businessIndustry: ["Software"], mainProductsServicesSold: ["SaaS"] },
        companyRegistrationDetails: { registrationIdentifier: "HRB 12345", registrationCountry: "DE", taxIdentifier: "DE123" },
        contactDetails: { emailIds: ["ops@acme.example"], websites: ["acme.example"] },
      },
      directors: [person("Ada"), company("Acme Holding")],
      acquisitionChannel: "ORGANIC",
      mccDetails: { code: 5734, description: "software" },
      tags: TAG_MERGE.stored,
    });
    await createBusiness(user);

    // Through the SDK (it sends null as null).
    const eventId = uid("ev-biz-merge");
    const { data, location } = await postBizEvent({
      userId,
      eventId,
      timestamp: TS + 1000,
      updatedBusinessUserAttributes: {
        legalEntity: {
          companyGeneralDetails: { businessIndustry: ["Fintech", "Software"] },
          companyRegistrationDetails: { registrationCountry: "AT", taxIdentifier: null },
          companyFinancialDetails: { expectedTurnoverPerMonth: { amountValue: 5000, amountCurrency: "EUR" } },
        },
        directors: [person("Grace")],
        acquisitionChannel: null,
        tags: TAG_MERGE.patch,
      },
    });
    assert.equal(location, `${BIZ.eventsPath}/${enc(eventId)}`, "Location header");
    const want = {
      ...user,
      legalEntity: {
        companyGeneralDetails: { legalName: "Acme GmbH", businessIndustry: ["Fintech", "Software"], mainProductsServicesSold: ["SaaS"] },
        companyRegistrationDetails: { registrationIdentifier: "HRB 12345", registrationCountry: "AT" },
        contactDetails: { emailIds: ["ops@acme.example"], websites: ["acme.example"] },
        companyFinancialDetails: { expectedTurnoverPerMonth: { amountValue: 5000, amountCurrency: "EUR" } },
      },
      directors: [person("Grace")],
      acquisitionChannel: undefined, // removed by null
      tags: TAG_MERGE.merged,
    };
    assertProfile(data, want, "event response");
    assertRuleResults(data);
    assertProfile(await v.client.businessUsers.get(userId, NO_RETRY), want, "GET after SDK event");

    // Over raw HTTP: a partial object the SDK would refuse (mccDetails without its required code) merges too.
    const rawEvent = {
      userId,
      eventId: uid("ev-biz-merge-raw"),
      timestamp: TS + 2000,
      updatedBusinessUserAttributes: {
        mccDetails: { description: "software publishers" },
        legalEntity: { contactDetails: { websites: null } },
        directors: null,
      },
    };
    const res = await v.api("POST", BIZ.eventsPath, { body: rawEvent });
    assert.equal(res.status, 201, res.text);
    const afterRaw = {
      ...want,
      mccDetails: { code: 5734, description: "software publishers" },
      legalEntity: { ...want.legalEntity, contactDetails: { emailIds: ["ops@acme.example"] } },
      directors: undefined, // removed by null
    };
    assertProfile(res.json, afterRaw, "raw event response");
    assertProfile(await rawProfile("business", userId), afterRaw, "raw GET after null patches");
    const gotEvent = await v.api("GET", `${BIZ.eventsPath}/${enc(rawEvent.eventId)}`);
    assert.equal(gotEvent.status, 200, gotEvent.text);
    assert.deepEqual(gotEvent.json.updatedBusinessUserAttributes, rawEvent.updatedBusinessUserAttributes, "the patch as received, nulls included");
  });

  const invalidResults = [
    {
      name: "legalName patched to null",
      patch: { legalEntity: { companyGeneralDetails: { legalName: null } } },
      suffix: "legalEntity.companyGeneralDetails.legalName",
    },
    { name: "legalEntity patched to null", patch: { legalEntity: null }, suffix: "legalEntity" },
  ];
  for (const c of invalidResults) {
    it(`a business event that leaves no legal name (${c.name}) is 400 and changes nothing`, async () => {
      const userId = uid("biz-nolegal");
      const body = BIZ.minimal(userId, { jurisdiction: "kept" });
      await createBusiness(body);
      const eventId = uid("ev-nolegal");
      const err = await expectSdkError(
        v.client.businessUserEvents.create({ body: { userId, eventId, timestamp: TS + 1000, updatedBusinessUserAttributes: c.patch } }, NO_RETRY),
        400,
        Flagright.BadRequestError,
      );
      assert.ok(linesEndingWith(err.body, c.suffix).length > 0, `no line for ...${c.suffix} in ${err.body.validationErrors}`);
      assertProfile(await v.client.businessUsers.get(userId, NO_RETRY), body, "GET after rejected event");
      await expectSdkError(v.client.businessUserEvents.get(eventId, NO_RETRY), 404);
    });
  }

  it("folds a late business event in at its timestamp: BLOCKED at t2 then ACTIVE at t1 < t2 leaves it BLOCKED", async () => {
    const userId = uid("biz-order");
    const user = BIZ.minimal(userId, { userStateDetails: { state: "ACTIVE" } });
    await createBusiness(user);
    const want = {
      ...user,
      userStateDetails: { state: "BLOCKED", reason: "fraud" },
      legalEntity: { companyGeneralDetails: { ...user.legalEntity.companyGeneralDetails, businessIndustry: ["from the late event"] } },
    };
    await assertLateEventFoldsIn(v.client, "business", userId, { legalEntity: { companyGeneralDetails: { businessIndustry: ["from the late event"] } } }, want);
  });

  it("GET /events/business/user/{eventId} returns the event as received plus rule results", async () => {
    const userId = uid("biz-evget");
    const eventId = uid("ev-biz-get");
    await createBusiness(BIZ.minimal(userId));
    const event = {
      userId,
      eventId,
      timestamp: TS + 5000,
      reason: "annual review",
      eventDescription: "registration data refreshed",
      externalLinks: ["https://example.org/case/7"],
      updatedBusinessUserAttributes: {
        legalEntity: { companyGeneralDetails: { legalName: "Reviewed Ltd" }, companyRegistrationDetails: { registrationCountry: "FR" } },
        kycStatusDetails: { status: "SUCCESSFUL", reason: "documents verified" },
        shareHolders: [person("Owner"), company("Owner Holding")],
      },
    };
    await postBizEvent(event);

    await assertEventAsReceived(v.client, "business", event);
    // Event ids are per user type: the consumer endpoint does not know it.
    await expectSdkError(v.client.consumerUserEvents.get(eventId, NO_RETRY), 404);
  });

  it("assigns a UUID to a business event sent without eventId and reports it in Location", async () => {
    const userId = uid("biz-noid");
    await createBusiness(BIZ.minimal(userId));
    const { location } = await postBizEvent({ userId, timestamp: TS + 1000, updatedBusinessUserAttributes: { jurisdiction: "x" } });
    const prefix = `${BIZ.eventsPath}/`;
    assert.ok(location?.startsWith(prefix), `Location ${location}`);
    const eventId = decodeURIComponent(location.slice(prefix.length));
    assert.match(eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    const got = await v.client.businessUserEvents.get(eventId, NO_RETRY);
    assert.equal(got.userId, userId);
    assert.deepEqual(plain(got.updatedBusinessUserAttributes), { jurisdiction: "x" });
  });

  const replays = [
    { name: "identical", flags: {} },
    { name: "identical except allowUserTypeConversion=false sent explicitly (same effective flags)", flags: { allowUserTypeConversion: "false" } },
  ];
  for (const { name, flags } of replays) {
    it(`replays a repeated business event (${name}) with the first response and Location`, async () => {
      const userId = uid("biz-replay");
      await createBusiness(BIZ.minimal(userId, { jurisdiction: "initial" }));
      const first = { userId, eventId: uid("ev-biz-replay"), timestamp: TS + 1000, updatedBusinessUserAttributes: { jurisdiction: "first" } };
      const r1 = await postBizEvent(first);
      assert.equal(r1.location, `${BIZ.eventsPath}/${enc(first.eventId)}`);
      await postBizEvent({ userId, eventId: uid("ev-biz-second"), timestamp: TS + 2000, updatedBusinessUserAttributes: { jurisdiction: "second" } });
      const r2 = await postBizEvent(structuredClone(first), flags);
      assert.deepEqual(plain(r2.data), plain(r1.data), "a replay answers with the stored first response");
      assert.equal(r2.location, r1.location, "a replay gets the same Location");
      assert.equal(r2.data.jurisdiction, "first");
      assert.equal((await v.client.businessUsers.get(userId, NO_RETRY)).jurisdiction, "second");
    });
  }

  const conflicts = [
    { name: "a different patch", change: (e) => ({ ...e, updatedBusinessUserAttributes: { jurisdiction: "other" } }) },
    { name: "a different timestamp", change: (e) => ({ ...e, timestamp: e.timestamp + 1 }) },
    { name: "another userId", change: (e, otherUserId) => ({ ...e, userId: otherUserId }) },
    { name: "an added field", change: (e) => ({ ...e, reason: "added" }) },
    { name: "different flags (lockKycRiskLevel=true)", change: (e) => e, flags: { lockKycRiskLevel: "true" } },
  ];
  for (const { name, change, flags = {} } of conflicts) {
    it(`answers 409 ConflictError for a reused business eventId with ${name}, and changes nothing`, async () => {
      const userId = uid("biz-conflict");
      const otherUserId = uid("biz-conflict-other");
      await createBusiness(BIZ.minimal(userId, { jurisdiction: "initial" }));
      await createBusiness(BIZ.minimal(otherUserId, { jurisdiction: "initial" }));
      const event = { userId, eventId: uid("ev-biz-conflict"), timestamp: TS + 1000, updatedBusinessUserAttributes: { jurisdiction: "first" } };
      await postBizEvent(event);
      await expectSdkError(
        v.client.businessUserEvents.create({ ...flags, body: change(structuredClone(event), otherUserId) }, NO_RETRY),
        409,
        Flagright.ConflictError,
      );
      assert.equal((await v.client.businessUsers.get(userId, NO_RETRY)).jurisdiction, "first");
      assert.equal((await v.client.businessUsers.get(otherUserId, NO_RETRY)).jurisdiction, "initial");
      await assertEventStored(v.client, "business", event, "stored event field");
    });
  }

  it("event ids are per user type: the same eventId can name a consumer event and a business event", async () => {
    const consumerId = uid("ns-consumer");
    const businessId = uid("ns-business");
    const eventId = uid("ev-shared");
    await createConsumer(CONSUMER.minimal(consumerId));
    await createBusiness(BIZ.minimal(businessId));
    const c = await v.client.consumerUserEvents.create(
      { body: { userId: consumerId, eventId, timestamp: TS + 1000, updatedConsumerUserAttributes: { jurisdiction: "consumer" } } },
      NO_RETRY,
    );
    assert.equal(c.jurisdiction, "consumer");
    const b = await postBizEvent({ userId: businessId, eventId, timestamp: TS + 1000, updatedBusinessUserAttributes: { jurisdiction: "business" } });
    assert.equal(b.data.jurisdiction, "business");
    assert.equal((await v.client.consumerUserEvents.get(eventId, NO_RETRY)).userId, consumerId);
    assert.equal((await v.client.businessUserEvents.get(eventId, NO_RETRY)).userId, businessId);
  });

  // ---- errors across user types -------------------------------------------

  it("a business event for an unknown user is 404 and creates nothing", async () => {
    const userId = uid("biz-ghost");
    const eventId = uid("ev-biz-ghost");
    await expectSdkError(
      v.client.businessUserEvents.create(
        { body: { userId, eventId, timestamp: TS, updatedBusinessUserAttributes: { legalEntity: legalEntity("Ghost Ltd") } } },
        NO_RETRY,
      ),
      404,
    );
    await assertNoUser("business", userId);
    await assertNoUser("consumer", userId);
    await expectSdkError(v.client.businessUserEvents.get(eventId, NO_RETRY), 404);
  });

  it("GET of a user on the other type's endpoint is 404 (consumer GET of a business id and vice versa)", async () => {
    const businessId = uid("xget-business");
    const consumerId = uid("xget-consumer");
    await createBusiness(BIZ.minimal(businessId));
    await createConsumer(CONSUMER.minimal(consumerId));
    await assertNoUser("consumer", businessId);
    await assertNoUser("business", consumerId);
    assertErrorResponse(await v.api("GET", `${CONSUMER.usersPath}/${enc(businessId)}`), 404, "raw consumer GET of a business id:");
    assertErrorResponse(await v.api("GET", `${BIZ.usersPath}/${enc(consumerId)}`), 404, "raw business GET of a consumer id:");
  });

  for (const existing of [BIZ, CONSUMER]) {
    const creating = USER_KINDS[existing.other];
    for (const flags of [{}, { validateUserId: "false" }]) {
      it(`creating a ${creating.name} user with the userId of a ${existing.name} user (${JSON.stringify(flags)}) is 400; nothing changes`, async () => {
        const userId = uid(`x-${existing.name}`);
        const original = existing.minimal(userId, { jurisdiction: "original" });
        await existing.users(v.client).create({ body: original }, NO_RETRY);
        const before = plain(await existing.users(v.client).get(userId, NO_RETRY));
        await expectSdkError(
          creating.users(v.client).create({ ...flags, body: creating.minimal(userId, { jurisdiction: "other" }) }, NO_RETRY),
          400,
          Flagright.BadRequestError,
        );
        assert.deepEqual(plain(await existing.users(v.client).get(userId, NO_RETRY)), before);
        await assertNoUser(creating.name, userId);
      });
    }
  }

  // ---- user type conversion (behaviour.md §4) ----------------------------------

  for (const flags of [{}, { allowUserTypeConversion: "false" }]) {
    it(`a consumer event for a business user without allowUserTypeConversion=true (${JSON.stringify(flags)}) is 400; nothing changes`, async () => {
      const userId = uid("conv-no");
      await createBusiness(BIZ.minimal(userId, { jurisdiction: "kept" }));
      await expectConversionRefused("consumer", userId, { occupation: "x" }, flags);
    });

    it(`a business event for a consumer user without allowUserTypeConversion=true (${JSON.stringify(flags)}) is 400; nothing changes`, async () => {
      const userId = uid("conv-no-b");
      await createConsumer(CONSUMER.minimal(userId, { occupation: "kept" }));
      await expectConversionRefused("business", userId, { legalEntity: legalEntity("New Ltd") }, flags);
    });
  }

  it("allowUserTypeConversion=true on a consumer event converts a business user: shared fields stay, business-only go, then the patch applies", async () => {
    const userId = uid("conv-b2c");
    await createConvertible("business", userId);
    const earlier = {
      userId,
      eventId: uid("ev-b2c-before"),
      timestamp: TS + 2000,
      updatedBusinessUserAttributes: { legalEntity: { companyGeneralDetails: { businessIndustry: ["Engines"] } } },
    };
    await postBizEvent(earlier);
    const beforeWire = withoutEvaluation(await rawProfile("business", userId));
    assert.equal(beforeWire.riskLevel, "MEDIUM");
    assert.equal(beforeWire.kycRiskLevel, "LOW");

    const patch = {
      userDetails: { name: { firstName: "Ada", lastName: "Lovelace" }, countryOfResidence: "GB" },
      occupation: "founder",
      jurisdiction: "US",
      tags: [{ key: "region", value: "us" }],
    };
    const event = { userId, eventId: uid("ev-b2c"), timestamp: TS + 3000, updatedConsumerUserAttributes: patch };
    const res = await v.client.consumerUserEvents.create({ allowUserTypeConversion: "true", body: event }, NO_RETRY).withRawResponse();
    assert.equal(res.rawResponse.status, 201);
    assert.equal(res.rawResponse.headers.get("location"), `${CONSUMER.eventsPath}/${enc(event.eventId)}`);

    const want = await assertConverted("consumer", { userId, beforeWire, patch, response: res.data, earlier, event });

    // An identical retry of the converting event replays it; the user is now an ordinary consumer.
    const replay = await v.client.consumerUserEvents.create({ allowUserTypeConversion: "true", body: structuredClone(event) }, NO_RETRY);
    assert.deepEqual(plain(replay), plain(res.data), "a retried conversion replays its first response");
    const next = await v.client.consumerUserEvents.create(
      { body: { userId, eventId: uid("ev-b2c-next"), timestamp: TS + 4000, updatedConsumerUserAttributes: { occupation: "investor" } } },
      NO_RETRY,
    );
    assertProfile(next, serialization.User.parseOrThrow({ ...want, occupation: "investor" }, { unrecognizedObjectKeys: "fail" }), "next consumer event");
    // A business event without the flag is now the type mismatch.
    await expectSdkError(
      v.client.businessUserEvents.create(
        { body: { userId, eventId: uid("ev-b2c-biz"), timestamp: TS + 5000, updatedBusinessUserAttributes: { jurisdiction: "x" } } },
        NO_RETRY,
      ),
      400,
      Flagright.BadRequestError,
    );
  });

  const missingLegal = [
    { name: "no patch at all", patch: undefined, suffix: "legalEntity" },
    { name: "a patch without legalEntity", patch: { jurisdiction: "US" }, suffix: "legalEntity" },
    {
      name: "a legalEntity without legalName",
      patch: { legalEntity: { companyGeneralDetails: { businessIndustry: ["Compilers"] } } },
      suffix: "legalEntity.companyGeneralDetails.legalName",
    },
  ];
  for (const c of missingLegal) {
    it(`converting a consumer with a business event carrying ${c.name} is 400 (a business needs a legal name); nothing changes`, async () => {
      const userId = uid("conv-nolegal");
      await createConsumer(CONSUMER.minimal(userId, { occupation: "kept" }));
      const err = await expectConversionRefused("business", userId, c.patch, { allowUserTypeConversion: "true" });
      assert.ok(linesEndingWith(err.body, c.suffix).length > 0, `no line for ...${c.suffix} in ${err.body.validationErrors}`);
    });
  }

  it("allowUserTypeConversion=true on a business event with legalEntity converts a consumer: shared fields stay, consumer-only go", async () => {
    const userId = uid("conv-c2b");
    await createConvertible("consumer", userId);
    const earlier = { userId, eventId: uid("ev-c2b-before"), timestamp: TS + 2000, updatedConsumerUserAttributes: { occupation: "admiral" } };
    await v.client.consumerUserEvents.create({ body: earlier }, NO_RETRY);
    const beforeWire = withoutEvaluation(await rawProfile("consumer", userId));
    assert.equal(beforeWire.occupation, "admiral");

    const patch = {
      legalEntity: legalEntity("Hopper Compilers Inc", { companyRegistrationDetails: { registrationCountry: "US" } }),
      directors: [person("Grace")],
      jurisdiction: "US",
      tags: [{ key: "region", value: "us" }],
    };
    const event = { userId, eventId: uid("ev-c2b"), timestamp: TS + 3000, updatedBusinessUserAttributes: patch };
    const { data, location } = await postBizEvent(event, { allowUserTypeConversion: "true" });
    assert.equal(location, `${BIZ.eventsPath}/${enc(event.eventId)}`);

    await assertConverted("business", { userId, beforeWire, patch, response: data, earlier, event });
  });

  // ---- renames (changeUserId) ---------------------------------------------

  defineRenameTests(() => v, "business");
});
