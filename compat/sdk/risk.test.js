// Risk scores and levels (behaviour.md §5) as a customer's integration sees them: riskScoreDetails
// on every write and read, the default model's ordering of profiles, overrides (kycRiskLevel /
// riskLevel in a body), locks (lockKycRiskLevel / lockCraRiskLevel) through the SDK, per-event
// risk, and Vigil's own extensions over plain HTTP: the risk explanation
// (GET /{consumer|business}/users/{userId}/risk) and the tenant's model (GET/PUT /risk/model).
import { describe, it, afterEach } from "node:test";
import assert from "node:assert/strict";

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
  validationLines,
  assertNo5xxSinceLastCheck,
  USER_KINDS,
  CLEAN_USER_DETAILS,
  cleanConsumerProfile,
  cleanBusinessProfile,
} from "./harness.js";

const enc = encodeURIComponent;

// ---- levels and bands (behaviour.md §5, default bands) ------------------------------------

const LEVELS = ["VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"];
const BAND_MIN = { VERY_LOW: 0, LOW: 20, MEDIUM: 40, HIGH: 60, VERY_HIGH: 80 };
const MIDDLE = { VERY_LOW: 10, LOW: 30, MEDIUM: 50, HIGH: 70, VERY_HIGH: 90 };
const rank = (level) => {
  const i = LEVELS.indexOf(level);
  assert.ok(i >= 0, `not a risk level: ${JSON.stringify(level)}`);
  return i;
};
const levelOf = (score) => [...LEVELS].reverse().find((l) => score >= BAND_MIN[l]);

/** The two scores a client can override and lock, and where each one shows up. */
const DIMS = {
  kyc: { name: "KRS", lockFlag: "lockKycRiskLevel", field: "kycRiskLevel", score: "kycRiskScore", level: "kycRiskLevel", key: "kyc", other: "cra" },
  cra: { name: "CRA", lockFlag: "lockCraRiskLevel", field: "riskLevel", score: "craRiskScore", level: "craRiskLevel", key: "cra", other: "kyc" },
};

// Events of every test are dated after the server's clock, so they sort after re-POST updates
// (which enter the history at server time) and after each other.
let clock = Date.now();
const nextTs = () => (clock += 1000);

function isJsonContentType(headers) {
  return /^application\/(.+\+)?json\b/i.test(headers.get("content-type") ?? "");
}

/** riskScoreDetails: all four fields, scores 0..100, each level the band of its score. */
function assertDetails(details, what) {
  const d = plain(details);
  assert.ok(d && typeof d === "object", `${what}: no riskScoreDetails (got ${JSON.stringify(d)})`);
  assert.deepEqual(
    Object.keys(d).sort(),
    ["craRiskLevel", "craRiskScore", "kycRiskLevel", "kycRiskScore"],
    `${what}: riskScoreDetails must carry the two scores and two levels: ${JSON.stringify(d)}`,
  );
  for (const dim of Object.values(DIMS)) {
    const score = d[dim.score];
    assert.equal(typeof score, "number", `${what}: ${dim.score} is not a number: ${JSON.stringify(d)}`);
    assert.ok(score >= 0 && score <= 100, `${what}: ${dim.score} ${score} is outside 0..100`);
    assert.equal(d[dim.level], levelOf(score), `${what}: ${dim.level} must be the band of ${dim.score} ${score}`);
  }
  return d;
}

/** A score as the explanation reports it: {score, level, source, locked?}. */
function assertScore(s, what, { computed = false } = {}) {
  assert.ok(s && typeof s === "object", `${what}: missing`);
  assert.equal(typeof s.score, "number", `${what}: score is not a number: ${JSON.stringify(s)}`);
  assert.ok(s.score >= 0 && s.score <= 100, `${what}: score ${s.score} is outside 0..100`);
  assert.equal(s.level, levelOf(s.score), `${what}: level must be the band of ${s.score}`);
  if (computed) {
    assert.equal(s.source, "COMPUTED", `${what}: source`);
    assert.ok(!s.locked, `${what}: a computed value is never locked`);
  } else {
    assert.ok(["COMPUTED", "OVERRIDE"].includes(s.source), `${what}: source ${JSON.stringify(s.source)}`);
    assert.ok(s.locked === undefined || typeof s.locked === "boolean", `${what}: locked ${JSON.stringify(s.locked)}`);
  }
}

/** The whole risk explanation body, checked for shape and internal consistency. */
function assertExplanation(x, userId, what) {
  assert.equal(x.userId, userId, `${what}: userId`);
  const d = assertDetails(x.riskScoreDetails, `${what} riskScoreDetails`);
  for (const dim of Object.values(DIMS)) {
    assertScore(x[dim.key], `${what} ${dim.key}`);
    assert.equal(x[dim.key].score, d[dim.score], `${what}: ${dim.key}.score must be the reported ${dim.score}`);
    assert.equal(x[dim.key].level, d[dim.level], `${what}: ${dim.key}.level must be the reported ${dim.level}`);
    assertScore(x.computed?.[dim.key], `${what} computed.${dim.key}`, { computed: true });
  }
  assert.equal(typeof x.activityRisk, "number", `${what}: activityRisk`);
  assert.ok(x.activityRisk >= 0 && x.activityRisk <= 100, `${what}: activityRisk ${x.activityRisk} outside 0..100`);
  assert.ok(Number.isInteger(x.activityAt), `${what}: activityAt ${JSON.stringify(x.activityAt)} is not epoch ms`);

  assert.ok(Array.isArray(x.factors) && x.factors.length > 0, `${what}: factors must be a non-empty array`);
  const ids = new Set();
  let sum = 0;
  for (const f of x.factors) {
    const fw = `${what} factor ${JSON.stringify(f.id)}`;
    assert.equal(typeof f.id, "string", `${fw}: id`);
    assert.ok(f.id.length > 0 && !ids.has(f.id), `${fw}: ids must be unique and non-empty`);
    ids.add(f.id);
    assert.equal(typeof f.name, "string", `${fw}: name`);
    assert.ok(f.score >= 0 && f.score <= 100, `${fw}: score ${f.score} outside 0..100`);
    assert.ok(f.weight > 0, `${fw}: weight ${f.weight} must be above 0`);
    assert.equal(typeof f.contribution, "number", `${fw}: contribution`);
    if (f.missing === true) assert.equal(f.value, undefined, `${fw}: a missing value has no value`);
    else assert.ok(f.missing === undefined || f.missing === false, `${fw}: missing ${JSON.stringify(f.missing)}`);
    if (f.missing !== true) assert.equal(typeof f.value, "string", `${fw}: a present value is shown (got ${JSON.stringify(f.value)})`);
    sum += f.contribution;
  }
  // KRS is the weighted mean of the factor scores (the contributions), raised by floors.
  assert.ok(Array.isArray(x.floors), `${what}: floors must be an array`);
  let floorMin = 0;
  for (const fl of x.floors) {
    const m = /^(.+): (VERY_LOW|LOW|MEDIUM|HIGH|VERY_HIGH)$/.exec(fl);
    assert.ok(m, `${what}: floor ${JSON.stringify(fl)} is not "factorId: LEVEL"`);
    assert.ok(ids.has(m[1]), `${what}: floor ${JSON.stringify(fl)} names no factor`);
    floorMin = Math.max(floorMin, BAND_MIN[m[2]]);
  }
  const expectedKrs = Math.max(sum, floorMin);
  assert.ok(
    Math.abs(x.computed.kyc.score - expectedKrs) <= 0.01 * x.factors.length + 0.01,
    `${what}: computed KRS ${x.computed.kyc.score} is not max(sum of contributions ${sum}, floor ${floorMin})`,
  );
  if (x.floors.length > 0) assert.ok(sum < floorMin, `${what}: a floor is listed (${x.floors}) that did not raise the KRS (${sum})`);

  assert.equal(typeof x.model?.name, "string", `${what}: model.name`);
  assert.ok(x.model.name.length > 0, `${what}: model.name is empty`);
  assert.equal(typeof x.model?.version, "string", `${what}: model.version`);
  return x;
}

/** A clean, active, KYC-successful domestic consumer (DE, born 1990, employed, salary). */
const cleanConsumer = cleanConsumerProfile;

/** A clean, active, KYB-successful German software company: a large one, registered in 2001, acquired offline. */
function cleanBusiness(userId, extra = {}) {
  const b = cleanBusinessProfile(userId);
  b.legalEntity.companyGeneralDetails.userSegment = "LARGE";
  b.legalEntity.companyRegistrationDetails.dateOfRegistration = "2001-03-01";
  return { ...b, acquisitionChannel: "OFFLINE", ...extra };
}

const SANCTIONED = { sanctionsStatus: true };
const PEP_HIT = { pepStatus: [{ isPepHit: true, pepRank: "LEVEL_1" }] };

/**
 * The helpers a test needs against one server: SDK writes that check what every write must carry,
 * and a read of the user's reported risk from all three places (SDK GET, raw GET, explanation).
 *
 * Rules may or may not hit (behaviour.md §6; none are assumed). `hits` remembers the users any of
 * whose writes hit a rule: until one does, CRA = KRS; afterwards rule hits only add to the CRA.
 */
function riskClient(getV) {
  const h = {
    hits: new Set(),
    /** Records the hitRules of a write answered for `userId` (`from`: the id it had before a rename). */
    noteHits(userId, hitRules, from) {
      if ((hitRules ?? []).length > 0 || (from !== undefined && h.hits.has(from))) h.hits.add(userId);
    },
    /** Whether no write of this user has hit a rule so far. */
    noHits: (userId) => !h.hits.has(userId),
    /** An unlocked, not overridden CRA against the KRS: equal without hits, never below with them. */
    assertCraFromKrs(userId, details, what) {
      const d = plain(details);
      if (h.noHits(userId)) assert.equal(d.craRiskScore, d.kycRiskScore, `${what}: no rule hits, so CRA must equal KRS (${JSON.stringify(d)})`);
      else assert.ok(d.craRiskScore >= d.kycRiskScore, `${what}: rule hits can only add to the CRA (${JSON.stringify(d)})`);
    },
    /** SDK create; 201 and riskScoreDetails required. Returns the parsed body. */
    async create(kind, body, flags = {}) {
      const v = getV();
      const res = await USER_KINDS[kind].users(v.client).create({ ...flags, body }, NO_RETRY).withRawResponse();
      assert.equal(res.rawResponse.status, 201, `${kind} create must answer 201`);
      assertRuleResults(res.data, { statusRequired: true });
      assertDetails(res.data.riskScoreDetails, `${kind} create ${body.userId} ${JSON.stringify(flags)}`);
      h.noteHits(body.userId, res.data.hitRules);
      return res.data;
    },
    /** SDK event; 201, riskScoreDetails, and the profile's levels are the reported ones. */
    async event(kind, userId, attributes, flags = {}) {
      const v = getV();
      const K = USER_KINDS[kind];
      const body = { userId, eventId: uid(`ev-risk-${kind}`), timestamp: nextTs() };
      if (attributes !== undefined) body[K.attributes] = attributes;
      const res = await K.events(v.client).create({ ...flags, body }, NO_RETRY).withRawResponse();
      assert.equal(res.rawResponse.status, 201, `${kind} event must answer 201`);
      const what = `${kind} event ${JSON.stringify(attributes)} ${JSON.stringify(flags)}`;
      assertRuleResults(res.data);
      h.noteHits(userId, res.data.hitRules);
      const d = assertDetails(res.data.riskScoreDetails, what);
      assert.equal(res.data.riskLevel, d.craRiskLevel, `${what}: the profile's riskLevel must be the CRA level`);
      assert.equal(res.data.kycRiskLevel, d.kycRiskLevel, `${what}: the profile's kycRiskLevel must be the KRS level`);
      return { ...res.data, eventId: body.eventId, eventTimestamp: body.timestamp };
    },
    /** GET /{kind}/users/{userId}/risk with the tenant's key. */
    async explain(kind, userId) {
      const res = await getV().api("GET", `${USER_KINDS[kind].usersPath}/${enc(userId)}/risk`);
      assert.equal(res.status, 200, `GET ${kind} risk of ${userId}: ${res.text}`);
      assert.ok(isJsonContentType(res.headers), `risk explanation content-type ${res.headers.get("content-type")}`);
      return assertExplanation(res.json, userId, `${kind} risk of ${userId}`);
    },
    /**
     * What the user's integration reads now: SDK GET, raw GET and the explanation must agree.
     * Returns {details, x} (x: the explanation).
     */
    async read(kind, userId) {
      const v = getV();
      const K = USER_KINDS[kind];
      const what = `GET ${kind} ${userId}`;
      const got = await K.users(v.client).get(userId, NO_RETRY);
      const details = assertDetails(got.riskScoreDetails, what);
      assert.equal(got.riskLevel, details.craRiskLevel, `${what}: riskLevel must be the current CRA level`);
      assert.equal(got.kycRiskLevel, details.kycRiskLevel, `${what}: kycRiskLevel must be the current KRS level`);
      const raw = await v.api("GET", `${K.usersPath}/${enc(userId)}`);
      assert.equal(raw.status, 200, raw.text);
      assert.deepEqual(raw.json.riskScoreDetails, details, `${what}: raw JSON riskScoreDetails`);
      assert.equal(raw.json.riskLevel, details.craRiskLevel, `${what} (raw): riskLevel`);
      assert.equal(raw.json.kycRiskLevel, details.kycRiskLevel, `${what} (raw): kycRiskLevel`);
      const x = await h.explain(kind, userId);
      assert.deepEqual(x.riskScoreDetails, details, `${what}: the explanation must report what GET reports`);
      if (h.noHits(userId)) assert.equal(x.activityRisk, 0, `${what}: no rule hits, so no activity risk`);
      return { details, x };
    },
  };
  return h;
}

/** `score`/`level` of one dimension in riskScoreDetails. */
const pickDim = (details, dim) => ({ score: details[dim.score], level: details[dim.level] });

// =============================================================================================

describe("risk scores and levels via the SDK", () => {
  const v = useVigil();
  const r = riskClient(() => v);

  // ---- riskScoreDetails everywhere ------------------------------------------------------------

  for (const kind of ["consumer", "business"]) {
    it(`${kind}: create, re-POST, event, event GET and user GET all carry riskScoreDetails; GET is the latest write's; CRA follows KRS`, async () => {
      const K = USER_KINDS[kind];
      const userId = uid(`risk-every-${kind}`);
      const created = await r.create(kind, K.minimal(userId));
      let latest = plain(created.riskScoreDetails);
      r.assertCraFromKrs(userId, latest, "create");
      assert.deepEqual((await r.read(kind, userId)).details, latest, "GET after create returns the create's riskScoreDetails");

      // The same id again without validateUserId=false: nothing is written, the stored result comes back.
      const again = await K.users(v.client).create({ body: K.minimal(userId, { sanctionsStatus: true }) }, NO_RETRY);
      assert.deepEqual(assertDetails(again.riskScoreDetails, "create of an existing user"), latest);

      const ev = await r.event(kind, userId, { sanctionsStatus: true });
      latest = plain(ev.riskScoreDetails);
      r.assertCraFromKrs(userId, latest, "event");
      assert.ok(rank(latest.kycRiskLevel) >= rank("HIGH"), `a sanctioned ${kind} is at least HIGH, got ${JSON.stringify(latest)}`);
      const evGot = await K.events(v.client).get(ev.eventId, NO_RETRY);
      assert.deepEqual(assertDetails(evGot.riskScoreDetails, "event GET"), latest, "event GET returns the event's riskScoreDetails");
      assert.deepEqual((await r.read(kind, userId)).details, latest, "GET after the event returns the event's riskScoreDetails");

      const update = await r.create(kind, K.minimal(userId, { sanctionsStatus: false }), { validateUserId: "false" });
      latest = plain(update.riskScoreDetails);
      r.assertCraFromKrs(userId, latest, "re-POST");
      assert.ok(rank(latest.kycRiskLevel) < rank("HIGH"), `the re-POST cleared sanctions, got ${JSON.stringify(latest)}`);
      assert.deepEqual((await r.read(kind, userId)).details, latest, "GET after the re-POST returns its riskScoreDetails");
    });
  }

  // ---- the default model orders profiles --------------------------------------------------

  const consumerProfiles = [
    { name: "clean domestic (DE, 1990, employed, salary, KYC successful, active)", patch: {}, max: "LOW", floors: [] },
    { name: "sanctioned (sanctionsStatus true)", patch: SANCTIONED, min: "HIGH", floor: "sanctions: HIGH" },
    ...["KP", "IR", "MM"].map((c) => ({
      name: `resident in ${c} (FATF call for action)`,
      patch: { userDetails: { countryOfResidence: c } },
      min: "HIGH",
      floor: "residence-country: HIGH",
    })),
    { name: "PEP hit LEVEL_1", patch: PEP_HIT, min: "MEDIUM", floor: "pep: MEDIUM" },
  ];
  const merged = (userId, patch) =>
    cleanConsumer(userId, { ...patch, userDetails: { ...CLEAN_USER_DETAILS, ...(patch.userDetails ?? {}) } });

  for (const p of consumerProfiles) {
    it(`default model: a consumer ${p.name} scores ${p.max ? `at most ${p.max}` : `at least ${p.min}`}, by create and by event alike (KRS)`, async () => {
      const direct = uid("risk-profile");
      const created = plain((await r.create("consumer", merged(direct, p.patch))).riskScoreDetails);
      const { details, x } = await r.read("consumer", direct);
      assert.deepEqual(details, created);
      for (const got of [created.kycRiskLevel, created.craRiskLevel]) {
        if (p.max) assert.ok(rank(got) <= rank(p.max), `${p.name}: expected at most ${p.max}, got ${JSON.stringify(created)}`);
        if (p.min) assert.ok(rank(got) >= rank(p.min), `${p.name}: expected at least ${p.min}, got ${JSON.stringify(created)}`);
      }
      r.assertCraFromKrs(direct, created, p.name);
      if (p.floor) assert.ok(x.floors.includes(p.floor), `${p.name}: floors ${JSON.stringify(x.floors)} should include "${p.floor}"`);
      if (p.floors) assert.deepEqual(x.floors, p.floors, `${p.name}: no floor applies`);
      assert.equal(x.model.name, "vigil-default");

      // The same profile reached by an event gets the same KRS (the CRA also depends on rule hits).
      const viaEvent = uid("risk-profile-ev");
      await r.create("consumer", cleanConsumer(viaEvent));
      const ev = await r.event("consumer", viaEvent, p.patch);
      const d = plain(ev.riskScoreDetails);
      assert.deepEqual(pickDim(d, DIMS.kyc), pickDim(created, DIMS.kyc), `${p.name}: the same profile must get the same KRS after an event`);
      r.assertCraFromKrs(viaEvent, d, `${p.name} by event`);
    });
  }

  it("default model: a sanctioned PEP with Iranian nationality scores strictly above the clean user, and every risky profile above the clean one", async () => {
    const cleanId = uid("risk-clean");
    const clean = plain((await r.create("consumer", cleanConsumer(cleanId))).riskScoreDetails);
    const worstId = uid("risk-worst");
    const worst = plain(
      (
        await r.create(
          "consumer",
          cleanConsumer(worstId, { ...SANCTIONED, ...PEP_HIT, userDetails: { ...CLEAN_USER_DETAILS, countryOfNationality: "IR" } }),
        )
      ).riskScoreDetails,
    );
    assert.ok(worst.kycRiskScore > clean.kycRiskScore, `KRS: worst ${worst.kycRiskScore} must be above clean ${clean.kycRiskScore}`);
    assert.ok(worst.craRiskScore > clean.craRiskScore, `CRA: worst ${worst.craRiskScore} must be above clean ${clean.craRiskScore}`);
    assert.ok(rank(worst.kycRiskLevel) >= rank("HIGH"), `worst: ${JSON.stringify(worst)}`);
    // Adding each risk fact alone never lowers the clean score.
    for (const p of consumerProfiles.slice(1)) {
      const id = uid("risk-mono");
      const got = plain((await r.create("consumer", merged(id, p.patch))).riskScoreDetails);
      assert.ok(got.kycRiskScore > clean.kycRiskScore, `${p.name}: ${got.kycRiskScore} must be above clean ${clean.kycRiskScore}`);
      assert.ok(worst.kycRiskScore >= got.kycRiskScore, `worst ${worst.kycRiskScore} must not be below ${p.name} ${got.kycRiskScore}`);
    }
  });

  // ---- overrides ----------------------------------------------------------------------------

  // Each channel sets one dimension by hand on an existing clean consumer, or creates one with it.
  const overrideChannels = {
    create: async (dim, level) => {
      const userId = uid("risk-ovr-create");
      const res = await r.create("consumer", cleanConsumer(userId, { [dim.field]: level }));
      return { userId, details: plain(res.riskScoreDetails) };
    },
    event: async (dim, level, userId) => {
      const res = await r.event("consumer", userId, { [dim.field]: level });
      return { userId, details: plain(res.riskScoreDetails) };
    },
    "re-POST (validateUserId=false)": async (dim, level, userId) => {
      const res = await r.create("consumer", cleanConsumer(userId, { [dim.field]: level }), { validateUserId: "false" });
      return { userId, details: plain(res.riskScoreDetails) };
    },
  };

  for (const dim of Object.values(DIMS)) {
    for (const [channel, apply] of Object.entries(overrideChannels)) {
      it(`override: ${dim.field} in a ${channel} sets the ${dim.name} to the middle of its band for that write; the next write recomputes`, async () => {
        const existing = uid("risk-ovr");
        await r.create("consumer", cleanConsumer(existing));
        const baseline = (await r.read("consumer", existing)).details;
        for (const level of LEVELS) {
          const { userId, details } = await apply(dim, level, existing);
          const what = `${dim.field}=${level} via ${channel}`;
          assert.deepEqual(pickDim(details, dim), { score: MIDDLE[level], level }, `${what}: the write's response`);
          const { details: now, x } = await r.read("consumer", userId);
          assert.deepEqual(now, details, `${what}: GET must report the write's riskScoreDetails`);
          assert.equal(x[dim.key].source, "OVERRIDE", `${what}: source`);
          assert.ok(!x[dim.key].locked, `${what}: an override without the lock flag is not locked`);
          if (dim.key === "cra") assert.deepEqual(pickDim(now, DIMS.kyc), pickDim(baseline, DIMS.kyc), `${what}: the KRS is untouched`);
          else r.assertCraFromKrs(userId, now, `${what}: CRA from the overridden KRS`);
          assert.deepEqual(
            { score: x.computed[dim.key].score, level: x.computed[dim.key].level },
            pickDim(baseline, dim),
            `${what}: the model's own value is still computed and shown`,
          );

          // The next write without the field recomputes.
          const next = plain((await r.event("consumer", userId, { occupation: `after ${level}` })).riskScoreDetails);
          assert.deepEqual(pickDim(next, DIMS.kyc), pickDim(baseline, DIMS.kyc), `${what}: the next write must recompute the KRS`);
          if (r.noHits(userId)) assert.deepEqual(next, baseline, `${what}: the next write must recompute`);
          else r.assertCraFromKrs(userId, next, `${what}: the next write`);
          const after = (await r.read("consumer", userId)).x;
          assert.equal(after[dim.key].source, "COMPUTED", `${what}: source after the next write`);
          assert.deepEqual(after[dim.key], after.computed[dim.key], `${what}: reported = computed after the next write`);
        }
      });
    }
  }

  it("override: kycRiskLevel and riskLevel in one create set both, independently", async () => {
    const userId = uid("risk-ovr-both");
    const res = await r.create("consumer", cleanConsumer(userId, { kycRiskLevel: "HIGH", riskLevel: "VERY_LOW" }));
    assert.deepEqual(plain(res.riskScoreDetails), { kycRiskScore: 70, kycRiskLevel: "HIGH", craRiskScore: 10, craRiskLevel: "VERY_LOW" });
    const { details, x } = await r.read("consumer", userId);
    assert.deepEqual(details, plain(res.riskScoreDetails));
    assert.equal(x.kyc.source, "OVERRIDE");
    assert.equal(x.cra.source, "OVERRIDE");
  });

  it("explanation: computed values are the model's without overrides and locks (no hits: computed CRA = computed KRS)", async () => {
    const userId = uid("risk-computed");
    await r.create("consumer", cleanConsumer(userId));
    const baseline = (await r.read("consumer", userId)).x.computed;
    await r.create("consumer", cleanConsumer(userId, { kycRiskLevel: "VERY_HIGH", riskLevel: "HIGH" }), {
      validateUserId: "false",
      lockKycRiskLevel: "true",
    });
    const { details, x } = await r.read("consumer", userId);
    assert.equal(details.kycRiskScore, 90);
    assert.equal(details.craRiskScore, 70);
    assert.deepEqual(x.computed.kyc, baseline.kyc, "computed.kyc is the model's KRS");
    if (r.noHits(userId)) assert.deepEqual(x.computed.cra, baseline.cra, "computed.cra must not include the KRS override and lock");
    else assert.ok(x.computed.cra.score >= x.computed.kyc.score && x.computed.cra.score < 90, `computed.cra ${JSON.stringify(x.computed)} must come from the computed KRS, not the override`);
  });

  // ---- locks --------------------------------------------------------------------------------

  for (const dim of Object.values(DIMS)) {
    const other = DIMS[dim.other];
    it(`lock ${dim.name}: ${dim.lockFlag}=true with ${dim.field} freezes it; true alone keeps it, an override without the flag does not move it, true with a level re-locks, false recomputes at once`, async () => {
      const userId = uid(`risk-lock-${dim.key}`);
      const K = USER_KINDS.consumer;
      const step = async (what, want, res) => {
        const d = plain(res.riskScoreDetails);
        assert.deepEqual(pickDim(d, dim), want, `${what}: the write's response`);
        const { details, x } = await r.read("consumer", userId);
        assert.deepEqual(details, d, `${what}: GET must report the write's riskScoreDetails`);
        if (res.eventId) {
          const evGot = await K.events(v.client).get(res.eventId, NO_RETRY);
          assert.deepEqual(plain(evGot.riskScoreDetails), d, `${what}: event GET`);
        }
        return { details, x };
      };

      // 1. create with an override and the lock.
      let res = await r.create("consumer", cleanConsumer(userId, { [dim.field]: "MEDIUM" }), { [dim.lockFlag]: "true" });
      let { x } = await step("create with MEDIUM and the lock", { score: 50, level: "MEDIUM" }, res);
      assert.equal(x[dim.key].locked, true, "locked after the create");
      assert.equal(x[dim.key].source, "OVERRIDE");

      // 2. an event that makes the user sanctioned and resident in IR: the model says HIGH or more, the lock holds.
      res = await r.event("consumer", userId, { ...SANCTIONED, userDetails: { countryOfResidence: "IR" } });
      let s = await step("risky event without the flag", { score: 50, level: "MEDIUM" }, res);
      assert.equal(s.x[dim.key].locked, true);
      assert.ok(rank(s.x.computed[dim.key].level) >= rank("HIGH"), `the model's own ${dim.name} is at least HIGH: ${JSON.stringify(s.x.computed)}`);
      if (dim.key === "cra") {
        assert.ok(rank(s.details.kycRiskLevel) >= rank("HIGH"), "a CRA lock does not lock the KRS");
      } else {
        r.assertCraFromKrs(userId, s.details, "CRA from the locked KRS");
      }

      // 3. the flag true again without a level: nothing moves.
      res = await r.event("consumer", userId, { occupation: "still locked" }, { [dim.lockFlag]: "true" });
      s = await step(`${dim.lockFlag}=true without a level`, { score: 50, level: "MEDIUM" }, res);
      assert.equal(s.x[dim.key].locked, true);

      // 4. an override without the flag: nothing moves.
      res = await r.event("consumer", userId, { [dim.field]: "LOW" });
      s = await step(`${dim.field}=LOW without the flag`, { score: 50, level: "MEDIUM" }, res);
      assert.equal(s.x[dim.key].locked, true);

      // ... nor through a re-POST with a level but no flag.
      res = await r.create("consumer", cleanConsumer(userId, { ...SANCTIONED, [dim.field]: "VERY_LOW" }), { validateUserId: "false" });
      await step(`re-POST with ${dim.field}=VERY_LOW without the flag`, { score: 50, level: "MEDIUM" }, res);

      // 5. the flag with a new level re-locks at that level.
      res = await r.event("consumer", userId, { [dim.field]: "VERY_HIGH" }, { [dim.lockFlag]: "true" });
      s = await step(`${dim.lockFlag}=true with VERY_HIGH`, { score: 90, level: "VERY_HIGH" }, res);
      assert.equal(s.x[dim.key].locked, true);
      assert.equal(s.x[dim.key].source, "OVERRIDE");
      res = await r.event("consumer", userId, { sanctionsStatus: false, userDetails: { countryOfResidence: "DE" } });
      s = await step("clean event after the re-lock", { score: 90, level: "VERY_HIGH" }, res);
      assert.ok(rank(s.x.computed.kyc.level) <= rank("LOW"), `the model's own KRS is low again: ${JSON.stringify(s.x.computed)}`);

      // 6. false releases the lock and recomputes at once.
      res = await r.event("consumer", userId, { ...SANCTIONED }, { [dim.lockFlag]: "false" });
      const released = plain(res.riskScoreDetails);
      assert.ok(rank(released[dim.level]) >= rank("HIGH"), `released: a sanctioned user is at least HIGH, got ${JSON.stringify(released)}`);
      s = await step(`${dim.lockFlag}=false`, pickDim(released, dim), res);
      assert.ok(!s.x[dim.key].locked, "unlocked");
      assert.equal(s.x[dim.key].source, "COMPUTED");
      assert.deepEqual(s.x[dim.key], s.x.computed[dim.key], "released: reported = computed");
      r.assertCraFromKrs(userId, released, "nothing locked");

      // 7. unlocked: the next write recomputes as usual.
      res = await r.event("consumer", userId, { sanctionsStatus: false });
      const after = plain(res.riskScoreDetails);
      assert.ok(rank(after.kycRiskLevel) <= rank("LOW"), `unlocked and clean again: ${JSON.stringify(after)}`);
      if (r.noHits(userId)) assert.deepEqual(pickDim(after, other), pickDim(after, dim), "both dimensions agree again");
      r.assertCraFromKrs(userId, after, "unlocked and clean again");
      s = await step("next write after the release", pickDim(after, dim), res);
      assert.deepEqual(s.x[dim.key], s.x.computed[dim.key], "recomputed: reported = computed");
    });

    it(`lock ${dim.name}: ${dim.lockFlag}=true without a level freezes the computed value of that write`, async () => {
      const userId = uid(`risk-lockc-${dim.key}`);
      // A sanctioned user locked as computed.
      const created = plain(
        (await r.create("consumer", cleanConsumer(userId, SANCTIONED), { [dim.lockFlag]: "true" })).riskScoreDetails,
      );
      const frozen = pickDim(created, dim);
      assert.ok(rank(frozen.level) >= rank("HIGH"), `a sanctioned user is at least HIGH: ${JSON.stringify(created)}`);
      let { x } = await r.read("consumer", userId);
      assert.equal(x[dim.key].locked, true);
      assert.equal(x[dim.key].source, "COMPUTED");

      // Cleared by an event and by a re-POST: the reported value stays.
      let ev = await r.event("consumer", userId, { sanctionsStatus: false });
      assert.deepEqual(pickDim(plain(ev.riskScoreDetails), dim), frozen, "after a clean event");
      const upd = await r.create("consumer", cleanConsumer(userId), { validateUserId: "false" });
      assert.deepEqual(pickDim(plain(upd.riskScoreDetails), dim), frozen, "after a clean re-POST");
      ({ x } = await r.read("consumer", userId));
      assert.deepEqual(pickDim(x.riskScoreDetails, dim), frozen);
      assert.ok(rank(x.computed.kyc.level) <= rank("LOW"), `the model's own KRS is low: ${JSON.stringify(x.computed)}`);
      assert.equal(x[dim.key].locked, true);

      // Sending the flag again alone keeps the frozen value, also with a profile change.
      ev = await r.event("consumer", userId, { occupation: "teacher" }, { [dim.lockFlag]: "true" });
      assert.deepEqual(pickDim(plain(ev.riskScoreDetails), dim), frozen, "the flag true again alone keeps the frozen value");

      // Released: the clean profile's value at once.
      ev = await r.event("consumer", userId, undefined, { [dim.lockFlag]: "false" });
      const d = plain(ev.riskScoreDetails);
      assert.ok(rank(d.kycRiskLevel) <= rank("LOW"), `released on a clean profile: ${JSON.stringify(d)}`);
      r.assertCraFromKrs(userId, d, "released");
      ({ x } = await r.read("consumer", userId));
      assert.ok(!x[dim.key].locked);
      assert.deepEqual(x[dim.key], x.computed[dim.key], "released: reported = computed");
      assert.notDeepEqual(pickDim(d, dim), frozen, "released: the frozen value is gone");
    });
  }

  it("locks: both flags on one create lock both levels; each is released on its own", async () => {
    const userId = uid("risk-lock-both");
    await r.create("consumer", cleanConsumer(userId, { kycRiskLevel: "LOW", riskLevel: "HIGH" }), {
      lockKycRiskLevel: "true",
      lockCraRiskLevel: "true",
    });
    let ev = await r.event("consumer", userId, { ...SANCTIONED, ...PEP_HIT });
    assert.deepEqual(plain(ev.riskScoreDetails), { kycRiskScore: 30, kycRiskLevel: "LOW", craRiskScore: 70, craRiskLevel: "HIGH" });
    ev = await r.event("consumer", userId, undefined, { lockCraRiskLevel: "false" });
    assert.deepEqual(pickDim(plain(ev.riskScoreDetails), DIMS.kyc), { score: 30, level: "LOW" }, "the KRS stays locked");
    r.assertCraFromKrs(userId, ev.riskScoreDetails, "CRA released: recomputed from the (locked) KRS");
    ev = await r.event("consumer", userId, undefined, { lockKycRiskLevel: "false" });
    const d = plain(ev.riskScoreDetails);
    assert.ok(rank(d.kycRiskLevel) >= rank("HIGH"), `KRS released: sanctioned PEP is at least HIGH: ${JSON.stringify(d)}`);
    r.assertCraFromKrs(userId, d, "both released");
  });

  // Operations that must carry both locks along. Each gets a user (a consumer unless `start`
  // says otherwise) locked at KRS LOW / CRA MEDIUM, makes it sanctioned, and returns where the
  // user is now ({kind, userId, response}: response is the operation's riskScoreDetails).
  const survivors = [
    {
      name: "a re-POST update (validateUserId=false) with other levels and no flags",
      run: async (userId) => {
        const res = await r.create("consumer", cleanConsumer(userId, { ...SANCTIONED, kycRiskLevel: "VERY_HIGH", riskLevel: "VERY_HIGH" }), {
          validateUserId: "false",
        });
        return { kind: "consumer", userId, response: res.riskScoreDetails };
      },
    },
    {
      name: "a conversion to a business user (allowUserTypeConversion=true)",
      run: async (userId) => {
        const res = await r.event(
          "business",
          userId,
          { legalEntity: { companyGeneralDetails: { legalName: "Converted Ltd" } }, ...SANCTIONED },
          { allowUserTypeConversion: "true" },
        );
        return { kind: "business", userId, response: res.riskScoreDetails };
      },
    },
    {
      name: "a conversion of a business user to a consumer (allowUserTypeConversion=true)",
      start: "business",
      run: async (userId) => {
        const res = await r.event("consumer", userId, { ...SANCTIONED, userDetails: { ...CLEAN_USER_DETAILS } }, { allowUserTypeConversion: "true" });
        return { kind: "consumer", userId, response: res.riskScoreDetails };
      },
    },
    {
      name: "a rename (changeUserId=true, plain HTTP)",
      run: async (userId) => {
        const newUserId = uid("risk-renamed");
        const res = await v.api("POST", "/events/consumer/user?changeUserId=true", {
          body: { userId, eventId: uid("ev-rename"), timestamp: nextTs(), newUserId, updatedConsumerUserAttributes: { ...SANCTIONED } },
        });
        assert.equal(res.status, 201, res.text);
        r.noteHits(newUserId, res.json.hitRules, userId);
        const gone = await v.api("GET", `/consumer/users/${enc(userId)}/risk`);
        assertErrorResponse(gone, 404, "risk of the old id after a rename:");
        return { kind: "consumer", userId: newUserId, response: res.json.riskScoreDetails };
      },
    },
  ];
  for (const op of survivors) {
    it(`locks survive ${op.name}; false then recomputes`, async () => {
      const userId = uid("risk-survive");
      const locked = { kycRiskScore: 30, kycRiskLevel: "LOW", craRiskScore: 50, craRiskLevel: "MEDIUM" };
      const start = op.start ?? "consumer";
      const profile = start === "consumer" ? cleanConsumer : cleanBusiness;
      const created = await r.create(start, profile(userId, { kycRiskLevel: "LOW", riskLevel: "MEDIUM" }), {
        lockKycRiskLevel: "true",
        lockCraRiskLevel: "true",
      });
      assert.deepEqual(plain(created.riskScoreDetails), locked);
      const now = await op.run(userId);
      assert.deepEqual(assertDetails(now.response, op.name), locked, `${op.name}: response`);
      const { details, x } = await r.read(now.kind, now.userId);
      assert.deepEqual(details, locked, `${op.name}: GET`);
      assert.equal(x.kyc.locked, true, "KRS still locked");
      assert.equal(x.cra.locked, true, "CRA still locked");
      assert.ok(rank(x.computed.kyc.level) >= rank("HIGH"), `the model's own KRS reflects the sanctions hit: ${JSON.stringify(x.computed)}`);

      // Another write keeps them; releasing both recomputes.
      let ev = await r.event(now.kind, now.userId, { adverseMediaStatus: false });
      assert.deepEqual(plain(ev.riskScoreDetails), locked, `${op.name}: a later event`);
      ev = await r.event(now.kind, now.userId, undefined, { lockKycRiskLevel: "false", lockCraRiskLevel: "false" });
      const d = plain(ev.riskScoreDetails);
      assert.ok(rank(d.kycRiskLevel) >= rank("HIGH"), `released: sanctioned is at least HIGH: ${JSON.stringify(d)}`);
      r.assertCraFromKrs(now.userId, d, "released");
      const after = (await r.read(now.kind, now.userId)).x;
      assert.deepEqual([after.kyc, after.cra], [after.computed.kyc, after.computed.cra], "released: reported = computed");
    });
  }

  // ---- per-event risk -----------------------------------------------------------------------

  it("each event keeps the riskScoreDetails computed when it was applied, also after later (and late) events", async () => {
    const userId = uid("risk-history");
    const K = USER_KINDS.consumer;
    await r.create("consumer", cleanConsumer(userId));
    const first = await r.event("consumer", userId, { occupation: "baker" });
    const second = await r.event("consumer", userId, { ...SANCTIONED, userDetails: { countryOfResidence: "KP" } });
    const third = await r.event("consumer", userId, { riskLevel: "VERY_LOW" });
    const d1 = plain(first.riskScoreDetails);
    const d2 = plain(second.riskScoreDetails);
    const d3 = plain(third.riskScoreDetails);
    assert.ok(rank(d1.kycRiskLevel) <= rank("LOW"), `first: ${JSON.stringify(d1)}`);
    assert.ok(rank(d2.kycRiskLevel) >= rank("HIGH"), `second: ${JSON.stringify(d2)}`);
    assert.equal(d3.craRiskScore, 10, "third sets CRA by hand");
    assert.notDeepEqual(d1, d2);

    // A late event (dated between the first and the second): computed on the profile after the
    // refold, which is still sanctioned. It changes no earlier event's stored risk.
    const lateBody = {
      userId,
      eventId: uid("ev-late"),
      timestamp: first.eventTimestamp + 1,
      updatedConsumerUserAttributes: { occupation: "late" },
    };
    const late = await K.events(v.client).create({ body: lateBody }, NO_RETRY);
    const dl = assertDetails(late.riskScoreDetails, "late event");
    assert.ok(rank(dl.kycRiskLevel) >= rank("HIGH"), `the late event sees the current (sanctioned) profile: ${JSON.stringify(dl)}`);

    for (const [eventId, want, what] of [
      [first.eventId, d1, "first"],
      [second.eventId, d2, "second"],
      [third.eventId, d3, "third"],
      [lateBody.eventId, dl, "late"],
    ]) {
      const got = await K.events(v.client).get(eventId, NO_RETRY);
      assert.deepEqual(assertDetails(got.riskScoreDetails, `GET ${what} event`), want, `GET ${what} event`);
      const raw = await v.api("GET", `${K.eventsPath}/${enc(eventId)}`);
      assert.equal(raw.status, 200, raw.text);
      assert.deepEqual(raw.json.riskScoreDetails, want, `raw GET ${what} event`);
    }
    assert.deepEqual((await r.read("consumer", userId)).details, dl, "the user reports the latest write's risk");
  });

  it("a retried lock event replays its first riskScoreDetails; the same eventId with other lock flags is 409 and changes nothing", async () => {
    const userId = uid("risk-replay");
    const K = USER_KINDS.consumer;
    await r.create("consumer", cleanConsumer(userId));
    const body = { userId, eventId: uid("ev-replay"), timestamp: nextTs(), updatedConsumerUserAttributes: { kycRiskLevel: "HIGH" } };
    const first = await K.events(v.client).create({ lockKycRiskLevel: "true", body }, NO_RETRY);
    assert.deepEqual(pickDim(assertDetails(first.riskScoreDetails, "first"), DIMS.kyc), { score: 70, level: "HIGH" });
    // The lock is released later, so the user's risk moves on.
    const later = await r.event("consumer", userId, undefined, { lockKycRiskLevel: "false" });
    assert.ok(rank(later.riskScoreDetails.kycRiskLevel) <= rank("LOW"), JSON.stringify(later.riskScoreDetails));
    const replay = await K.events(v.client).create({ lockKycRiskLevel: "true", body: structuredClone(body) }, NO_RETRY);
    assert.deepEqual(plain(replay.riskScoreDetails), plain(first.riskScoreDetails), "an identical retry replays the first response");
    const before = plain(await K.users(v.client).get(userId, NO_RETRY));
    assert.deepEqual(plain(before.riskScoreDetails), plain(later.riskScoreDetails), "the replay applied nothing");
    for (const flags of [{}, { lockKycRiskLevel: "false" }, { lockKycRiskLevel: "true", lockCraRiskLevel: "true" }]) {
      await expectSdkError(K.events(v.client).create({ ...flags, body: structuredClone(body) }, NO_RETRY), 409);
      assert.deepEqual(plain(await K.users(v.client).get(userId, NO_RETRY)), before, `409 with ${JSON.stringify(flags)} changed the user`);
    }
    const x = await r.explain("consumer", userId);
    assert.ok(!x.kyc.locked, "a rejected request must not lock");
  });

  // ---- the risk explanation -----------------------------------------------------------------

  it("explanation: factors, floors, computed values and model of a consumer; missing values are marked", async () => {
    const cleanId = uid("risk-x-clean");
    await r.create("consumer", cleanConsumer(cleanId));
    const clean = (await r.read("consumer", cleanId)).x;
    assert.deepEqual(clean.floors, []);
    if (r.noHits(cleanId)) assert.equal(clean.activityRisk, 0, "no rule hits: no activity risk");
    assert.equal(clean.kyc.source, "COMPUTED");
    assert.deepEqual(clean.computed.kyc, { score: clean.kyc.score, level: clean.kyc.level, source: "COMPUTED" });
    const byId = Object.fromEntries(clean.factors.map((f) => [f.id, f]));
    assert.equal(byId.sanctions?.missing, undefined, "sanctionsStatus was sent");
    assert.equal(byId.sanctions?.score, 0, "sanctionsStatus false scores 0");

    const bareId = uid("risk-x-bare");
    await r.create("consumer", USER_KINDS.consumer.minimal(bareId));
    const bare = (await r.read("consumer", bareId)).x;
    assert.ok(bare.factors.some((f) => f.missing === true), "a bare user has missing factor values");
    assert.equal(bare.factors.find((f) => f.id === "sanctions")?.missing, true, "sanctionsStatus is missing for a bare user");

    const sanctionedId = uid("risk-x-sanctioned");
    await r.create("consumer", cleanConsumer(sanctionedId, SANCTIONED));
    const sanctioned = (await r.read("consumer", sanctionedId)).x;
    assert.ok(sanctioned.floors.includes("sanctions: HIGH"), `floors: ${JSON.stringify(sanctioned.floors)}`);
    const sf = sanctioned.factors.find((f) => f.id === "sanctions");
    assert.equal(sf?.value, "true");
    assert.equal(sf?.score, 100);
    assert.deepEqual(sanctioned.model, clean.model);
    assert.equal(sanctioned.model.name, "vigil-default");

    const model = await v.api("GET", "/risk/model");
    assert.equal(model.status, 200, model.text);
    assert.deepEqual(clean.model, { name: model.json.name, version: model.json.version }, "the explanation names the tenant's model");
  });

  it("explanation: a business user's factors come from the business model; a floor for a sanctioned company", async () => {
    const userId = uid("risk-x-biz");
    await r.create("business", cleanBusiness(userId));
    const clean = (await r.read("business", userId)).x;
    const ids = clean.factors.map((f) => f.id);
    assert.ok(ids.includes("registration-country"), `business factors: ${ids}`);
    assert.ok(!ids.includes("residence-country"), `business factors must not be the consumer ones: ${ids}`);
    assert.equal(clean.factors.find((f) => f.id === "registration-country").value, "DE");
    await r.event("business", userId, SANCTIONED);
    const s = (await r.read("business", userId)).x;
    assert.ok(s.floors.includes("sanctions: HIGH"), `floors: ${JSON.stringify(s.floors)}`);
    assert.ok(s.kyc.score > clean.kyc.score);
  });

  const explain404 = [
    { name: "an unknown consumer id", path: () => `/consumer/users/${enc(uid("nobody"))}/risk` },
    { name: "an unknown business id", path: () => `/business/users/${enc(uid("nobody"))}/risk` },
    { name: "a business user on the consumer path", make: "business", path: (id) => `/consumer/users/${enc(id)}/risk` },
    { name: "a consumer user on the business path", make: "consumer", path: (id) => `/business/users/${enc(id)}/risk` },
    { name: "another tenant's consumer user", make: "consumer", other: true, path: (id) => `/consumer/users/${enc(id)}/risk` },
    { name: "another tenant's business user", make: "business", other: true, path: (id) => `/business/users/${enc(id)}/risk` },
  ];
  for (const c of explain404) {
    it(`explanation of ${c.name} is 404`, async () => {
      const id = uid("risk-404");
      if (c.make) await r.create(c.make, USER_KINDS[c.make].minimal(id));
      const res = await v.api("GET", c.path(id), c.other ? { key: v.otherApiKey } : {});
      assertErrorResponse(res, 404, `risk of ${c.name}:`);
      if (c.make && !c.other) await r.explain(c.make, id); // the right path serves it
    });
  }

  it("explanation and model need an API key: 401 without one, 401 with an unknown one", async () => {
    const id = uid("risk-401");
    await r.create("consumer", USER_KINDS.consumer.minimal(id));
    for (const key of [null, "vgl_not-a-key"]) {
      assertErrorResponse(await v.api("GET", `/consumer/users/${enc(id)}/risk`, { key }), 401, `explanation, key ${key}:`);
      assertErrorResponse(await v.api("GET", "/risk/model", { key }), 401, `GET model, key ${key}:`);
      assertErrorResponse(await v.api("PUT", "/risk/model", { key, rawBody: "name: x" }), 401, `PUT model, key ${key}:`);
    }
  });

  // ---- business users: overrides and locks through the SDK ----------------------------------

  const businessProfiles = [
    { name: "clean (DE GmbH, software, KYB successful, active)", extra: {}, max: "LOW" },
    { name: "sanctioned", extra: SANCTIONED, min: "HIGH" },
    {
      name: "registered in KP (FATF call for action)",
      body: (id) => {
        const b = cleanBusiness(id);
        b.legalEntity.companyRegistrationDetails.registrationCountry = "KP";
        return b;
      },
      min: "HIGH",
    },
  ];
  for (const p of businessProfiles) {
    it(`default model: a business ${p.name} scores ${p.max ? `at most ${p.max}` : `at least ${p.min}`}`, async () => {
      const id = uid("risk-biz-profile");
      const body = p.body ? p.body(id) : cleanBusiness(id, p.extra);
      const d = plain((await r.create("business", body)).riskScoreDetails);
      for (const got of [d.kycRiskLevel, d.craRiskLevel]) {
        if (p.max) assert.ok(rank(got) <= rank(p.max), `expected at most ${p.max}: ${JSON.stringify(d)}`);
        if (p.min) assert.ok(rank(got) >= rank(p.min), `expected at least ${p.min}: ${JSON.stringify(d)}`);
      }
      assert.deepEqual((await r.read("business", id)).details, d);
    });
  }

  it("business: lockKycRiskLevel with kycRiskLevel on businessUsers.create holds through businessUserEvents; riskLevel overrides per write; false recomputes", async () => {
    const userId = uid("risk-biz-lock");
    const created = await r.create("business", cleanBusiness(userId, { kycRiskLevel: "LOW" }), { lockKycRiskLevel: "true" });
    assert.deepEqual(pickDim(plain(created.riskScoreDetails), DIMS.kyc), { score: 30, level: "LOW" });
    r.assertCraFromKrs(userId, created.riskScoreDetails, "create");

    let ev = await r.event("business", userId, SANCTIONED);
    assert.deepEqual(pickDim(plain(ev.riskScoreDetails), DIMS.kyc), { score: 30, level: "LOW" }, "locked KRS holds");
    let { x } = await r.read("business", userId);
    assert.equal(x.kyc.locked, true);
    assert.ok(rank(x.computed.kyc.level) >= rank("HIGH"), `the model's own KRS: ${JSON.stringify(x.computed)}`);
    const evGot = await v.client.businessUserEvents.get(ev.eventId, NO_RETRY);
    assert.deepEqual(plain(evGot.riskScoreDetails), plain(ev.riskScoreDetails), "business event GET keeps the event's risk");

    // A CRA override without a lock: this write only.
    ev = await r.event("business", userId, { riskLevel: "VERY_HIGH" });
    assert.deepEqual(plain(ev.riskScoreDetails), { kycRiskScore: 30, kycRiskLevel: "LOW", craRiskScore: 90, craRiskLevel: "VERY_HIGH" });
    ev = await r.event("business", userId, { adverseMediaStatus: false });
    assert.deepEqual(pickDim(plain(ev.riskScoreDetails), DIMS.kyc), { score: 30, level: "LOW" });
    r.assertCraFromKrs(userId, ev.riskScoreDetails, "CRA recomputed from the locked KRS");
    ({ x } = await r.read("business", userId));
    // The override lasted one write: the CRA is computed again, on the locked KRS (the model's own
    // computed.cra builds on the model's own KRS, so the two differ while the KRS is locked).
    assert.equal(x.cra.source, "COMPUTED", "CRA recomputed after the override");
    assert.ok(!x.cra.locked);

    // An override without the flag does not move the locked KRS; true alone keeps it.
    ev = await r.event("business", userId, { kycRiskLevel: "VERY_HIGH" });
    assert.equal(ev.riskScoreDetails.kycRiskScore, 30);
    ev = await r.event("business", userId, undefined, { lockKycRiskLevel: "true" });
    assert.equal(ev.riskScoreDetails.kycRiskScore, 30);
    const upd = await r.create("business", cleanBusiness(userId, { ...SANCTIONED, kycRiskLevel: "HIGH" }), { validateUserId: "false" });
    assert.equal(upd.riskScoreDetails.kycRiskScore, 30, "a business re-POST keeps the lock");

    // Released.
    ev = await r.event("business", userId, undefined, { lockKycRiskLevel: "false" });
    const d = plain(ev.riskScoreDetails);
    assert.ok(rank(d.kycRiskLevel) >= rank("HIGH"), `released: a sanctioned business is at least HIGH: ${JSON.stringify(d)}`);
    ({ x } = await r.read("business", userId));
    assert.ok(!x.kyc.locked);
    assert.deepEqual(x.kyc, x.computed.kyc);
  });

  it("business: lockCraRiskLevel=true on businessUserEvents.create freezes the computed CRA while the KRS moves", async () => {
    const userId = uid("risk-biz-cra");
    await r.create("business", cleanBusiness(userId, SANCTIONED));
    let ev = await r.event("business", userId, { adverseMediaStatus: true }, { lockCraRiskLevel: "true" });
    const frozen = pickDim(plain(ev.riskScoreDetails), DIMS.cra);
    assert.ok(rank(frozen.level) >= rank("HIGH"), `sanctioned: ${JSON.stringify(ev.riskScoreDetails)}`);
    ev = await r.event("business", userId, { sanctionsStatus: false, adverseMediaStatus: false });
    const d = plain(ev.riskScoreDetails);
    assert.deepEqual(pickDim(d, DIMS.cra), frozen, "the locked CRA holds");
    assert.ok(rank(d.kycRiskLevel) <= rank("LOW"), `the KRS is recomputed: ${JSON.stringify(d)}`);
    const { x } = await r.read("business", userId);
    assert.equal(x.cra.locked, true);
    assert.equal(x.cra.source, "COMPUTED");
    ev = await r.event("business", userId, undefined, { lockCraRiskLevel: "false" });
    r.assertCraFromKrs(userId, ev.riskScoreDetails, "released");
    const after = (await r.read("business", userId)).x;
    assert.ok(!after.cra.locked);
    assert.deepEqual(after.cra, after.computed.cra, "released: reported = computed");
  });
});

// =============================================================================================
// The tenant's risk model. PUT changes tenant-wide state, so every test here starts its own
// server with tenants no other test uses (with VIGIL_SDK_DB all servers share one database).

describe("risk model endpoints (GET/PUT /risk/model)", () => {
  afterEach(() => assertNo5xxSinceLastCheck());

  async function ownServer(t) {
    const v = await startVigil({ tenant: uniqueTenant("risk-model"), otherTenant: uniqueTenant("risk-other") });
    t.after(() => v.stop());
    return v;
  }

  async function getModel(v, key = v.apiKey) {
    const res = await v.api("GET", "/risk/model", { key });
    assert.equal(res.status, 200, res.text);
    assert.ok(isJsonContentType(res.headers), `GET /risk/model content-type ${res.headers.get("content-type")}`);
    return res.json;
  }

  async function putModel(v, rawBody, contentType) {
    const headers = contentType ? { "content-type": contentType } : {};
    return v.api("PUT", "/risk/model", { rawBody, headers });
  }

  /** A complete model whose only consumer factor scores a missing sanctionsStatus 95 (YAML). */
  const SANCTIONS_ONLY_YAML = (consumerWeight = "1") => `# Only sanctions screening counts for consumers.
name: sdk-sanctions-only
version: "test-1"
bands:
  - {level: VERY_LOW, min: 0}
  - {level: LOW, min: 20}
  - {level: MEDIUM, min: 40}
  - {level: HIGH, min: 60}
  - {level: VERY_HIGH, min: 80}
activity:
  points: {FLAG: 10, SUSPEND: 25, BLOCK: 50}
  halfLifeDays: 90
consumerFactors:
  - id: sanctions-only
    name: Sanctions screening
    type: boolean
    weight: ${consumerWeight}
    paths: [sanctionsStatus]
    scores: {"true": 100, "false": 0}
    default: 0
    missing: 95
businessFactors:
  - id: sanctions
    name: Sanctions screening
    type: boolean
    weight: 1
    paths: [sanctionsStatus]
    scores: {"true": 100, "false": 0}
    default: 0
    missing: 20
`;

  it("GET /risk/model returns the default model for each tenant; the explanation names it", async (t) => {
    const v = await ownServer(t);
    const model = await getModel(v);
    assert.equal(model.name, "vigil-default");
    assert.equal(typeof model.version, "string");
    assert.deepEqual(
      model.bands.map((b) => [b.level, b.min]),
      LEVELS.map((l) => [l, BAND_MIN[l]]),
      "default bands",
    );
    assert.ok(Array.isArray(model.consumerFactors) && model.consumerFactors.length > 0);
    assert.ok(Array.isArray(model.businessFactors) && model.businessFactors.length > 0);
    assert.deepEqual(await getModel(v, v.otherApiKey), model, "another tenant has the same default");
    const r = riskClient(() => v);
    const id = uid("risk-model-default");
    await r.create("consumer", USER_KINDS.consumer.minimal(id));
    assert.deepEqual((await r.read("consumer", id)).x.model, { name: model.name, version: model.version });
  });

  it("PUT /risk/model (YAML) answers the stored model; later writes use it; stored risk changes on the next write; locks hold; the other tenant keeps the default", async (t) => {
    const v = await ownServer(t);
    const r = riskClient(() => v);
    const defaultModel = await getModel(v);

    // Before: a bare user and a locked user under the default model.
    const oldId = uid("risk-old");
    const oldDetails = plain((await r.create("consumer", USER_KINDS.consumer.minimal(oldId))).riskScoreDetails);
    assert.ok(oldDetails.kycRiskScore < 95 && oldDetails.kycRiskLevel !== "VERY_HIGH", `the default model does not make a bare user VERY_HIGH: ${JSON.stringify(oldDetails)}`);
    const lockedId = uid("risk-locked");
    await r.create("consumer", USER_KINDS.consumer.minimal(lockedId, { kycRiskLevel: "LOW" }), { lockKycRiskLevel: "true" });

    const put = await putModel(v, SANCTIONS_ONLY_YAML(), "application/yaml");
    assert.equal(put.status, 200, put.text);
    assert.ok(isJsonContentType(put.headers), `PUT /risk/model content-type ${put.headers.get("content-type")}`);
    assert.equal(put.json.name, "sdk-sanctions-only");
    assert.equal(put.json.version, "test-1");
    assert.equal(put.json.consumerFactors.length, 1);
    assert.deepEqual(
      pickKeys(put.json.consumerFactors[0], ["id", "type", "weight", "paths", "default", "missing"]),
      { id: "sanctions-only", type: "boolean", weight: 1, paths: ["sanctionsStatus"], default: 0, missing: 95 },
    );
    assert.deepEqual(await getModel(v), put.json, "GET returns the stored model");

    // A bare new user: VERY_HIGH (95) by the only factor.
    const newId = uid("risk-new");
    const created = plain((await r.create("consumer", USER_KINDS.consumer.minimal(newId))).riskScoreDetails);
    assert.deepEqual(pickDim(created, DIMS.kyc), { score: 95, level: "VERY_HIGH" });
    assert.equal(created.craRiskLevel, "VERY_HIGH");
    r.assertCraFromKrs(newId, created, "bare user under the new model");
    const { x } = await r.read("consumer", newId);
    assert.deepEqual(x.model, { name: "sdk-sanctions-only", version: "test-1" });
    assert.deepEqual(x.factors.map((f) => [f.id, f.missing, f.score, f.weight, f.contribution]), [["sanctions-only", true, 95, 1, 95]]);
    // ... and sanctionsStatus false scores 0 under it.
    const clearId = uid("risk-clear");
    const clear = plain((await r.create("consumer", USER_KINDS.consumer.minimal(clearId, { sanctionsStatus: false }))).riskScoreDetails);
    assert.deepEqual(pickDim(clear, DIMS.kyc), { score: 0, level: "VERY_LOW" });
    r.assertCraFromKrs(clearId, clear, "sanctionsStatus false under the new model");

    // An existing user keeps its stored risk until its next write.
    assert.deepEqual((await r.read("consumer", oldId)).details, oldDetails, "GET does not recompute");
    const ev = await r.event("consumer", oldId, { occupation: "rescored" });
    assert.deepEqual(pickDim(plain(ev.riskScoreDetails), DIMS.kyc), { score: 95, level: "VERY_HIGH" }, "the next write scores with the new model");
    r.assertCraFromKrs(oldId, ev.riskScoreDetails, "rescored");

    // A locked level holds under the new model.
    const lockedEv = await r.event("consumer", lockedId, { occupation: "still locked" });
    assert.deepEqual(pickDim(plain(lockedEv.riskScoreDetails), DIMS.kyc), { score: 30, level: "LOW" });
    assert.equal((await r.read("consumer", lockedId)).x.computed.kyc.score, 95);

    // The other tenant: default model, default scores.
    assert.deepEqual(await getModel(v, v.otherApiKey), defaultModel, "another tenant keeps the default model");
    const otherId = uid("risk-other");
    const other = await v.otherClient.consumerUsers.create({ body: USER_KINDS.consumer.minimal(otherId) }, NO_RETRY);
    assert.deepEqual(plain(other.riskScoreDetails), oldDetails, "another tenant scores a bare user with the default model");
    const ox = await v.api("GET", `/consumer/users/${enc(otherId)}/risk`, { key: v.otherApiKey });
    assert.equal(ox.status, 200, ox.text);
    assert.equal(ox.json.model.name, "vigil-default");
  });

  it("PUT /risk/model (JSON): a customer edits the GET result; the change takes effect; PUTting the original back restores the default scoring", async (t) => {
    const v = await ownServer(t);
    const r = riskClient(() => v);
    const original = await getModel(v);
    const edited = structuredClone(original);
    edited.name = "sdk-germany-is-risky";
    const residence = edited.consumerFactors.find((f) => f.id === "residence-country");
    assert.ok(residence, "the default model has a residence-country factor");
    residence.default = 100; // every country not on a list, DE included, now scores 100 (and its floor applies)

    const put = await putModel(v, JSON.stringify(edited), "application/json");
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.name, "sdk-germany-is-risky");
    assert.equal(put.json.consumerFactors.find((f) => f.id === "residence-country").default, 100);
    assert.deepEqual(await getModel(v), put.json);

    const id1 = uid("risk-de");
    const d1 = plain((await r.create("consumer", cleanConsumer(id1))).riskScoreDetails);
    assert.ok(rank(d1.kycRiskLevel) >= rank("HIGH"), `DE residence now floors at HIGH: ${JSON.stringify(d1)}`);
    assert.ok((await r.read("consumer", id1)).x.floors.includes("residence-country: HIGH"));

    const back = await putModel(v, JSON.stringify(original), "application/json");
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(back.json, original, "PUT of the default answers the default");
    assert.deepEqual(await getModel(v), original);
    const id2 = uid("risk-de-again");
    const d2 = plain((await r.create("consumer", cleanConsumer(id2))).riskScoreDetails);
    assert.ok(rank(d2.kycRiskLevel) <= rank("LOW"), `back to the default: ${JSON.stringify(d2)}`);
    assert.equal((await r.read("consumer", id2)).x.model.name, "vigil-default");
  });

  it("levels follow the bands at their edges (VERY_LOW <20 <= LOW <40 <= MEDIUM <60 <= HIGH <80 <= VERY_HIGH)", async (t) => {
    const v = await ownServer(t);
    const r = riskClient(() => v);
    const edges = [0, 19.99, 20, 39.99, 40, 59.99, 60, 79.99, 80, 100];
    const want = ["VERY_LOW", "VERY_LOW", "LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "VERY_HIGH", "VERY_HIGH"];
    // One consumer factor that reads `occupation` and scores it as named.
    const scores = edges.map((e) => `"score-${e}": ${e}`).join(", ");
    const probe = SANCTIONS_ONLY_YAML().replace(
      /  - id: sanctions-only[\s\S]*?missing: 95\n/,
      `  - id: band-probe\n    name: Band probe\n    type: value\n    weight: 1\n    paths: [occupation]\n    scores: {${scores}}\n    default: 50\n    missing: 50\n`,
    );
    const put = await putModel(v, probe, "application/yaml");
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.consumerFactors[0].id, "band-probe");
    for (const [i, score] of edges.entries()) {
      const id = uid("risk-edge");
      const d = plain((await r.create("consumer", USER_KINDS.consumer.minimal(id, { occupation: `score-${score}` }))).riskScoreDetails);
      assert.deepEqual(pickDim(d, DIMS.kyc), { score, level: want[i] }, `KRS ${score}`);
      r.assertCraFromKrs(id, d, `score ${score}`);
      if (r.noHits(id)) assert.equal(d.craRiskLevel, want[i], `CRA ${score}`);
    }
  });

  const invalidModels = [
    {
      name: "a consumer factor with weight 0",
      body: () => SANCTIONS_ONLY_YAML("0"),
      line: "consumerFactors[0].weight: must be above 0",
    },
    { name: "a consumer factor with a negative weight", body: () => SANCTIONS_ONLY_YAML("-2"), prefix: "consumerFactors[0].weight: " },
    {
      name: "a missing score above 100",
      body: () => SANCTIONS_ONLY_YAML().replace("missing: 95", "missing: 150"),
      prefix: "consumerFactors[0].missing: ",
    },
    {
      name: "an unknown factor type",
      body: () => SANCTIONS_ONLY_YAML().replace("type: boolean", "type: astrology"),
      prefix: "consumerFactors[0].type: ",
    },
    {
      name: "bands out of order",
      body: () => SANCTIONS_ONLY_YAML().replace("{level: HIGH, min: 60}", "{level: HIGH, min: 30}"),
      prefix: "bands",
    },
    {
      name: "no consumer factors",
      body: () => SANCTIONS_ONLY_YAML().replace(/consumerFactors:[\s\S]*?businessFactors:/, "consumerFactors: []\nbusinessFactors:"),
      prefix: "consumerFactors: ",
    },
    { name: "malformed YAML", body: () => "name: [unclosed" },
    { name: "a JSON array", body: () => "[1, 2]", contentType: "application/json" },
    { name: "an empty body", body: () => "" },
  ];
  it("PUT /risk/model with an invalid model is 400 naming the problem's path; the stored model stays in use", async (t) => {
    const v = await ownServer(t);
    const r = riskClient(() => v);
    const good = await putModel(v, SANCTIONS_ONLY_YAML(), "application/yaml");
    assert.equal(good.status, 200, good.text);
    for (const c of invalidModels) {
      const res = await putModel(v, c.body(), c.contentType);
      assertErrorResponse(res, 400, `PUT ${c.name}:`);
      if (c.line || c.prefix) {
        const lines = validationLines(res.json);
        if (c.line) assert.ok(lines.includes(c.line), `${c.name}: no line "${c.line}" in ${JSON.stringify(lines)}`);
        else assert.ok(lines.some((l) => l.startsWith(c.prefix)), `${c.name}: no line starting "${c.prefix}" in ${JSON.stringify(lines)}`);
        assert.equal(res.json.message, lines[0], `${c.name}: message is the first line`);
      }
      assert.deepEqual(await getModel(v), good.json, `${c.name}: the stored model must stay`);
      const id = uid("risk-after-invalid");
      const d = plain((await r.create("consumer", USER_KINDS.consumer.minimal(id))).riskScoreDetails);
      assert.equal(d.kycRiskScore, 95, `${c.name}: writes still use the stored model`);
    }
    // The other tenant never saw any of it.
    assert.equal((await getModel(v, v.otherApiKey)).name, "vigil-default");
  });

  it("PUT /risk/model of another tenant's key changes only that tenant", async (t) => {
    const v = await ownServer(t);
    const put = await v.api("PUT", "/risk/model", { key: v.otherApiKey, rawBody: SANCTIONS_ONLY_YAML() });
    assert.equal(put.status, 200, put.text);
    assert.equal((await getModel(v, v.otherApiKey)).name, "sdk-sanctions-only");
    assert.equal((await getModel(v)).name, "vigil-default");
    const id = uid("risk-tenant");
    const mine = plain((await v.client.consumerUsers.create({ body: USER_KINDS.consumer.minimal(id) }, NO_RETRY)).riskScoreDetails);
    const theirs = plain((await v.otherClient.consumerUsers.create({ body: USER_KINDS.consumer.minimal(id) }, NO_RETRY)).riskScoreDetails);
    assert.notEqual(mine.kycRiskScore, 95, `my tenant keeps the default: ${JSON.stringify(mine)}`);
    assert.equal(theirs.kycRiskScore, 95, "the other tenant's model applies to its own users (same userId, separate tenants)");
  });
});

function pickKeys(obj, keys) {
  return Object.fromEntries(keys.map((k) => [k, obj?.[k]]));
}
