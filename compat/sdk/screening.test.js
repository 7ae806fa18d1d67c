// Vigil's own sanctions and PEP screening as an SDK client sees it (docs/screening.md): a user
// created through the SDK whose name is on a list gets a hit of R-U15 whose ruleHitMeta carries
// Flagright's sanctionsDetails, read from the SDK's parsed response unchanged, and the search
// behind it is there over plain HTTP (GET /screening/searches/{searchId}).
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { useVigil, NO_RETRY, uid, assertRuleResults } from "./harness.js";

const TS = 1700000000000;

describe("screening via the SDK", () => {
  const v = useVigil();

  it("reads sanctionsDetails from a hit on a user create", async () => {
    const list = await v.api("PUT", "/screening/lists/sdk-watch", {
      body: { kind: "SANCTIONS", entries: [{ id: "w1", name: "Boris Grebenshchikov", dateOfBirth: "1953", country: "RU" }] },
    });
    assert.equal(list.status, 200, list.text);

    const userId = uid("screened");
    const { data, rawResponse } = await v.client.consumerUsers
      .create(
        {
          body: {
            userId,
            createdTimestamp: TS,
            userDetails: { name: { firstName: "Boris", lastName: "Grebenshchikov" }, dateOfBirth: "1953-11-27", countryOfNationality: "RU" },
          },
        },
        NO_RETRY,
      )
      .withRawResponse();
    assert.equal(rawResponse.status, 201);
    assertRuleResults(data, { statusRequired: true });
    const hit = data.hitRules.find((h) => h.ruleInstanceId === "R-U15.1");
    assert.ok(hit, `no screening hit: ${JSON.stringify(data.hitRules)}`);
    assert.equal(hit.nature, "SCREENING");
    const meta = hit.ruleHitMeta;
    assert.equal(meta.isOngoingScreeningHit, false);
    assert.equal(meta.sanctionsDetails.length, 1);
    const d = meta.sanctionsDetails[0];
    assert.equal(d.name, "Boris Grebenshchikov");
    assert.equal(d.entityType, "CONSUMER_NAME");
    assert.equal(typeof d.searchId, "string");
    assert.equal(d.sanctionHitIds.length, 1);
    assert.match(d.sanctionHitIds[0], /:sdk-watch:w1$/);
    assert.equal(d.hitContext.entity, "USER");
    assert.equal(d.hitContext.userId, userId);
    assert.equal(d.hitContext.yearOfBirth, 1953);
    const executed = data.executedRules.find((r) => r.ruleInstanceId === "R-U15.1");
    assert.equal(executed.ruleHit, true);
    assert.deepEqual(executed.ruleHitMeta, hit.ruleHitMeta);

    // The same through a GET, and the search behind the hit.
    const got = await v.client.consumerUsers.get(userId, NO_RETRY);
    assert.deepEqual(got.hitRules.find((h) => h.ruleInstanceId === "R-U15.1").ruleHitMeta, meta);
    const search = await v.api("GET", `/screening/searches/${encodeURIComponent(d.searchId)}`);
    assert.equal(search.status, 200, search.text);
    assert.equal(search.json.hits[0].hitId, d.sanctionHitIds[0]);
    assert.ok(search.json.hits[0].score >= 0.86);
  });
});
