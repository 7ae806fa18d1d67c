// The analyst console, end to end: a real headless Chromium signs in, searches, opens a user,
// reads the timeline and a point-in-time view, suspends the user with a reason and finds the
// change in the timeline, the API and a signed webhook, and signs out. A viewer is refused the
// action, and so is a post without the session's CSRF token. Every page is photographed.
//
// The steps share one server, one browser and one signed-in analyst, in order; after a step
// fails the rest are skipped (they would only fail for the same reason), and the page as it was
// is photographed as FAILED-... next to the others.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import {
  startVigil,
  startReceiver,
  signedWith,
  launchBrowser,
  newContext,
  Screenshots,
  waitFor,
  VIEWPORTS,
  NAV_TIMEOUT,
} from "./harness.js";

const TENANT = "e2e";
const ANALYST = { email: "ann.analyst@example.com", role: "analyst", password: "correct horse battery staple" };
const VIEWER = { email: "vic.viewer@example.com", role: "viewer", password: "viewer passphrase 2026" };
const ADMIN = { email: "ada.admin@example.com", role: "admin", password: "admin passphrase 2026" };

// The user the story follows, and others for the search to tell apart.
const ADA = "C-1001";
const ADA_PATH = `/console/users/consumer/${ADA}`;
const DAY = 86_400_000;
const T0 = Math.floor((Date.now() - 30 * DAY) / 60_000) * 60_000;
const SUSPEND_REASON = "Card testing pattern reported by the issuer; case AML-4711";

const consumer = (userId, firstName, lastName, email, extra = {}) => ({
  userId,
  createdTimestamp: T0,
  userDetails: { name: { firstName, lastName }, dateOfBirth: "1990-12-10", countryOfResidence: "GB", countryOfNationality: "GB" },
  contactDetails: { emailIds: [email] },
  userStateDetails: { state: "CREATED" },
  kycStatusDetails: { status: "IN_PROGRESS" },
  ...extra,
});

const USERS = [
  ["consumer", consumer(ADA, "Ada", "Lovelace", "ada@example.com")],
  ["consumer", consumer("C-1002", "Grace", "Hopper", "grace@example.com")],
  ["consumer", consumer("C-1003", "Alan", "Turing", "alan@example.org")],
  [
    "business",
    {
      userId: "B-2001",
      createdTimestamp: T0,
      legalEntity: { companyGeneralDetails: { legalName: "Lovelace Analytics Ltd" } },
    },
  ],
];

// Ada's story before the console: activated an hour after sign-up, KYC passed an hour later.
const ADA_EVENTS = [
  { eventId: "ev-ada-active", timestamp: T0 + 3_600_000, updatedConsumerUserAttributes: { userStateDetails: { state: "ACTIVE", reason: "Onboarding complete" } } },
  { eventId: "ev-ada-kyc", timestamp: T0 + 7_200_000, updatedConsumerUserAttributes: { kycStatusDetails: { status: "SUCCESSFUL", reason: "Documents verified" } } },
];

describe("the analyst console in Chromium", () => {
  let vigil, receiver, webhookSecret, browser, shots;
  let analyst; // {context, watch, page}
  let broken = null;

  before(async () => {
    vigil = await startVigil({ tenant: TENANT, analysts: [ANALYST, VIEWER, ADMIN] });
    for (const [kind, body] of USERS) {
      const res = await vigil.api("POST", `/${kind}/users`, body);
      assert.equal(res.status, 201, `create ${body.userId}: ${res.text}`);
    }
    for (const ev of ADA_EVENTS) {
      const res = await vigil.api("POST", "/events/consumer/user", { userId: ADA, ...ev });
      assert.equal(res.status, 201, `event ${ev.eventId}: ${res.text}`);
    }
    // Registered after the story so far: the receiver hears only what the console does.
    receiver = await startReceiver();
    const hook = await vigil.api("POST", "/webhooks", { url: receiver.url, events: ["USER_STATE_UPDATED", "KYC_STATUS_UPDATED"] });
    assert.equal(hook.status, 201, `register the webhook: ${hook.text}`);
    webhookSecret = hook.json.secret;
    assert.ok(webhookSecret, "the webhook's answer has no secret");

    shots = new Screenshots();
    browser = await launchBrowser();
    const { context, watch } = await newContext(browser, vigil.baseUrl);
    analyst = { context, watch, page: await context.newPage() };
  });

  after(async () => {
    await browser?.close();
    await receiver?.stop();
    const exit = await vigil?.stop();
    if (shots) console.log(`# screenshots (${shots.files.length}): ${shots.dir}`);
    if (broken && vigil) console.log(`# vigil serve's output:\n${vigil.output().slice(-20_000)}`);
    if (exit && exit.code !== 0 && exit.signal !== "SIGTERM") console.log(`# vigil serve exited ${JSON.stringify(exit)}`);
  });

  /** One step of the story: skipped after a failed one, photographed when it fails. */
  function step(name, fn) {
    it(name, { timeout: 300_000 }, async (t) => {
      if (broken) {
        t.skip(`an earlier step failed: ${broken}`);
        return;
      }
      try {
        await fn();
      } catch (err) {
        broken = name;
        const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 60);
        await analyst?.page
          .screenshot({ path: path.join(shots.dir, `FAILED-${slug}.png`), fullPage: true })
          .catch(() => {});
        throw err;
      }
    });
  }

  const url = (p) => vigil.baseUrl + p;
  const rows = (page) => page.locator("main table tbody tr");
  const timelineRows = (page) => page.locator("h2:text-is('Timeline') + div table tbody tr");
  const adaState = async () => (await vigil.api("GET", `/consumer/users/${ADA}`)).json?.userStateDetails;
  /** The CSRF token of the page's forms (the sign-out form has one on every signed-in page). */
  const csrfOf = (page) => page.locator("header form input[name=csrf]").inputValue();

  /** Signs in through the form; the browser lands on the users page. */
  async function signIn(page, who) {
    await page.goto(url("/console/"));
    await page.waitForURL(url("/console/signin"));
    await page.getByLabel("Email").fill(who.email);
    await page.getByLabel("Password").fill(who.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(url("/console/users"));
    await page.locator("header .who").filter({ hasText: `${who.email} (${who.role})` }).waitFor();
  }

  step("the sign-in page refuses a wrong password and lets the analyst in", async () => {
    const { page, watch } = analyst;
    await page.goto(url("/console/users"));
    await page.waitForURL(url("/console/signin")); // no session: sent to sign in
    await page.getByRole("heading", { name: "Sign in to Vigil" }).waitFor();
    await shots.take(page, "sign-in");

    await page.getByLabel("Email").fill(ANALYST.email);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "The email or password is not correct" }).waitFor();
    assert.equal(page.url(), url("/console/signin"));
    await shots.take(page, "sign-in wrong password");
    watch.check(["401 POST /console/signin"]);

    await signIn(page, ANALYST);
    await page.getByRole("heading", { name: "Users" }).waitFor();
    const cookies = await analyst.context.cookies(url("/console/"));
    const session = cookies.find((c) => c.name === "vigil_session");
    assert.ok(session, "no session cookie after signing in");
    assert.equal(session.httpOnly, true, "the session cookie must be HttpOnly");
    assert.equal(session.sameSite, "Strict", "the session cookie must be SameSite=Strict");
    // Every user is listed, newest first; the four were created at the same time.
    await waitFor(async () => (await rows(page).count()) === USERS.length, "every user on the users page", 10_000);
    await shots.take(page, "users");
    watch.check();
  });

  step("search by name finds both types; the type filter narrows it", async () => {
    const { page, watch } = analyst;
    await page.getByLabel("Search", { exact: true }).fill("lovelace");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "lovelace");
    const found = (await rows(page).locator("td:first-child").allTextContents()).sort();
    assert.deepEqual(found, ["B-2001", ADA], "searching 'lovelace' finds Ada and Lovelace Analytics, nobody else");
    await shots.take(page, "users search");

    await page.getByLabel("Type").selectOption("CONSUMER");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((u) => u.searchParams.get("type") === "CONSUMER" && u.searchParams.get("q") === "lovelace");
    assert.deepEqual(await rows(page).locator("td:first-child").allTextContents(), [ADA]);
    const ada = rows(page).first();
    assert.match(await ada.innerText(), /Ada Lovelace\s+CONSUMER\s+ACTIVE\s+SUCCESSFUL/);
    await shots.take(page, "users search consumers");

    await page.getByLabel("Search", { exact: true }).fill("nobody-by-this-name");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "nobody-by-this-name");
    assert.deepEqual(await rows(page).allInnerTexts(), ["No users match."]);
    watch.check();
  });

  step("a user's page shows the profile, risk, rule results and the timeline", async () => {
    const { page, watch } = analyst;
    await page.goto(url("/console/users?q=ada"));
    await page.getByRole("link", { name: ADA, exact: true }).click();
    await page.waitForURL(url(ADA_PATH));
    await page.getByRole("heading", { name: `consumer user ${ADA}` }).waitFor();

    const profile = JSON.parse(await page.locator("main pre").innerText());
    assert.equal(profile.userId, ADA);
    assert.equal(profile.userStateDetails.state, "ACTIVE");
    assert.equal(profile.kycStatusDetails.status, "SUCCESSFUL");
    await page.getByRole("heading", { name: "Risk" }).waitFor();
    assert.match(await page.locator("dt:text-is('CRA') + dd").innerText(), /^\d+(\.\d+)? \((VERY_LOW|LOW|MEDIUM|HIGH|VERY_HIGH), /);
    await page.getByRole("heading", { name: /^Latest rule results: (ALLOW|FLAG|SUSPEND|BLOCK)$/ }).waitFor();

    // The timeline, newest first: the KYC event, the activation, ..., the creation last.
    const entries = await timelineRows(page).allInnerTexts();
    assert.ok(entries.length >= 3, `the timeline has ${entries.length} entries`);
    assert.match(entries[0], /ev-ada-kyc/);
    assert.match(entries[0], /kycStatusDetails\.status: "IN_PROGRESS" → "SUCCESSFUL"/);
    assert.match(entries[0], /Documents verified/);
    assert.match(entries[1], /ev-ada-active/);
    assert.match(entries[1], /userStateDetails\.state: "CREATED" → "ACTIVE"/);
    assert.match(entries.at(-1), /^\S+ \S+ UTC\tCREATE\b/);
    assert.match(entries.at(-1), /userStateDetails: — → \{"state":"CREATED"\}/);
    await shots.take(page, "user");
    watch.check();
  });

  step("'as of then' on the first entry shows the profile as it was at creation", async () => {
    const { page, watch } = analyst;
    await timelineRows(page).last().getByRole("link", { name: "as of then" }).click();
    await page.waitForURL((u) => u.pathname === ADA_PATH && u.searchParams.get("asOf") === String(T0));
    await page.getByRole("heading", { name: /^Profile right after entry / }).waitFor();
    const then = JSON.parse(await page.locator("main pre").innerText());
    assert.equal(then.userStateDetails.state, "CREATED");
    assert.equal(then.kycStatusDetails.status, "IN_PROGRESS");
    assert.equal(await page.getByRole("heading", { name: "Actions" }).count(), 0, "no actions on a past view");
    assert.equal(await page.getByLabel("Point in time (epoch ms)").inputValue(), String(T0));
    await shots.take(page, "user point in time");

    // A time typed in: between the activation and the KYC event.
    await page.getByLabel("Point in time (epoch ms)").fill(String(ADA_EVENTS[0].timestamp + 1000));
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((u) => u.searchParams.get("asOf") === String(ADA_EVENTS[0].timestamp + 1000));
    const between = JSON.parse(await page.locator("main pre").innerText());
    assert.equal(between.userStateDetails.state, "ACTIVE");
    assert.equal(between.kycStatusDetails.status, "IN_PROGRESS");

    await page.getByRole("link", { name: "Back to now" }).click();
    await page.waitForURL(url(ADA_PATH));
    assert.equal(JSON.parse(await page.locator("main pre").innerText()).kycStatusDetails.status, "SUCCESSFUL");
    watch.check();
  });

  /** The form of one action on the user page, found by its button. */
  const actionForm = (page, button) => page.locator("form").filter({ has: page.getByRole("button", { name: button }) });

  /**
   * Submits an action's form and returns the status of its POST once the page it leads to has
   * loaded (the user page again after a redirect, the same URL: so the wait is for the next
   * document's load event, not for a URL).
   */
  async function submitAction(page, button) {
    const posted = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith(ADA_PATH + "/"));
    const loaded = page.waitForEvent("load", { timeout: NAV_TIMEOUT });
    await actionForm(page, button).getByRole("button", { name: button }).click();
    const res = await posted;
    await loaded;
    return res.status();
  }

  step("an action whose reason is blank is refused and changes nothing", async () => {
    const { page, watch } = analyst;
    const form = actionForm(page, "Set state");
    await form.getByLabel("State").selectOption("SUSPENDED");
    await form.getByLabel("Reason").fill("   "); // passes the browser's `required`, not the server
    assert.equal(await submitAction(page, "Set state"), 400);
    await page.getByRole("alert").filter({ hasText: "A reason is required" }).waitFor();
    await shots.take(page, "action without a reason");
    watch.check([`400 POST ${ADA_PATH}/state`]);
    assert.equal((await adaState()).state, "ACTIVE", "a refused action changed the state");
  });

  step("suspending with a reason shows in the timeline, the API and a signed webhook", async () => {
    const { page, watch } = analyst;
    await page.goto(url(ADA_PATH));
    const form = actionForm(page, "Set state");
    await form.getByLabel("State").selectOption("SUSPENDED");
    await form.getByLabel("Reason").fill(SUSPEND_REASON);
    assert.equal(await submitAction(page, "Set state"), 303, "the action answers with a redirect to the user");
    await page.waitForURL(url(ADA_PATH));

    // The page: the new state in the profile and the action on top of the timeline.
    assert.equal(JSON.parse(await page.locator("main pre").innerText()).userStateDetails.state, "SUSPENDED");
    const top = await timelineRows(page).first().innerText();
    assert.match(top, /console-/);
    assert.match(top, /CONSOLE · analyst:ann\.analyst@example\.com/);
    assert.ok(top.includes(SUSPEND_REASON), `the reason is not in the timeline's top entry: ${top}`);
    assert.match(top, /userStateDetails\.state: "ACTIVE" → "SUSPENDED"/);
    await shots.take(page, "user after suspending");
    if (process.env.VIGIL_E2E_README_IMAGE) {
      // README's picture: from the risk down to the end of the timeline, the action on top.
      const from = await page.getByRole("heading", { name: "Risk" }).boundingBox();
      const to = await page.locator("main").boundingBox();
      await page.screenshot({
        path: process.env.VIGIL_E2E_README_IMAGE,
        fullPage: true,
        clip: { x: 0, y: from.y - 16, width: VIEWPORTS[0].width, height: to.y + to.height - from.y + 16 },
      });
    }

    // The entry before it still shows the user active.
    await timelineRows(page).nth(1).getByRole("link", { name: "as of then" }).click();
    await page.waitForURL((u) => u.searchParams.has("asOf"));
    assert.equal(JSON.parse(await page.locator("main pre").innerText()).userStateDetails.state, "ACTIVE");
    await page.getByRole("link", { name: "Back to now" }).click();
    await page.waitForURL(url(ADA_PATH));
    watch.check();

    // The API: the profile and the timeline say the same.
    assert.deepEqual(await adaState(), { state: "SUSPENDED", reason: SUSPEND_REASON });
    const timeline = await vigil.api("GET", `/consumer/users/${ADA}/timeline`);
    assert.equal(timeline.status, 200, timeline.text);
    const entry = timeline.json.entries[0];
    assert.equal(entry.origin, "CONSOLE");
    assert.equal(entry.actor, `analyst:${ANALYST.email}`);
    assert.equal(entry.reason, SUSPEND_REASON);
    assert.deepEqual(
      entry.changes.find((c) => c.path === "userStateDetails.state"),
      { path: "userStateDetails.state", before: "ACTIVE", after: "SUSPENDED" },
    );

    // The webhook: signed with the endpoint's secret, saying what happened and why.
    const hook = await waitFor(() => receiver.received.find((r) => JSON.parse(r.body).type === "USER_STATE_UPDATED"), "the USER_STATE_UPDATED webhook");
    assert.ok(signedWith(hook.body, hook.headers["x-flagright-signature"], webhookSecret), "the webhook's signature does not verify");
    assert.ok(!signedWith(hook.body, hook.headers["x-flagright-signature"], webhookSecret + "x"), "any secret verifies");
    assert.deepEqual(JSON.parse(hook.body).data, { userId: ADA, state: "SUSPENDED", reason: SUSPEND_REASON });
  });

  step("a post without the CSRF token, with the session's cookie, is refused", async () => {
    const { page, context } = analyst;
    // The request context shares the browser's cookies: the session is sent and valid.
    const signedIn = await context.request.get(url(ADA_PATH), { maxRedirects: 0 });
    assert.equal(signedIn.status(), 200, "the session cookie is not sent with the context's requests");
    const token = await csrfOf(page);
    assert.ok(token.length >= 20, "no CSRF token on the page");

    for (const [what, form] of [
      ["without a token", { value: "BLOCKED", reason: "no token" }],
      ["with an empty token", { csrf: "", value: "BLOCKED", reason: "empty token" }],
      ["with another token", { csrf: token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"), value: "BLOCKED", reason: "wrong token" }],
    ]) {
      const res = await context.request.post(url(`${ADA_PATH}/state`), { form, maxRedirects: 0 });
      assert.equal(res.status(), 403, `a post ${what} answered ${res.status()}`);
      assert.match(await res.text(), /security token is missing or wrong/);
    }
    assert.equal((await adaState()).state, "SUSPENDED", "a post without the token changed the state");
  });

  step("a viewer sees no actions and is refused one", async () => {
    const { context, watch } = await newContext(browser, vigil.baseUrl);
    try {
      const page = await context.newPage();
      await signIn(page, VIEWER);
      await page.goto(url(ADA_PATH));
      await page.getByRole("heading", { name: `consumer user ${ADA}` }).waitFor();
      await page.getByRole("heading", { name: "Timeline" }).waitFor();
      assert.equal(await page.getByRole("heading", { name: "Actions" }).count(), 0, "a viewer is shown the actions");
      assert.equal(await page.getByRole("button", { name: "Set state" }).count(), 0);
      await shots.take(page, "user as viewer");
      watch.check();

      // The viewer's own session and token: only the role is missing.
      const res = await context.request.post(url(`${ADA_PATH}/state`), {
        form: { csrf: await csrfOf(page), value: "BLOCKED", reason: "a viewer tries" },
        maxRedirects: 0,
      });
      assert.equal(res.status(), 403, `a viewer's action answered ${res.status()}`);
      assert.match(await res.text(), /Your role \(viewer\) may not do this/);
      assert.equal((await adaState()).state, "SUSPENDED", "a viewer's action changed the state");
    } finally {
      await context.close();
    }
  });

  step("with the session's token the same kind of post goes through; refused ones sent no webhook", async () => {
    const { page, context } = analyst;
    const res = await context.request.post(url(`${ADA_PATH}/kyc`), {
      form: { csrf: await csrfOf(page), value: "MANUAL_REVIEW", reason: "Second look after the suspension" },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 303, `a post with the token answered ${res.status()}: ${await res.text()}`);
    assert.equal(res.headers().location, ADA_PATH);
    // One endpoint's deliveries for one user arrive in the order they were recorded, so once
    // this one is in, anything a refused action had recorded would be in too.
    await waitFor(() => receiver.received.some((r) => JSON.parse(r.body).type === "KYC_STATUS_UPDATED"), "the KYC_STATUS_UPDATED webhook");
    const got = receiver.received.map((r) => JSON.parse(r.body)).map((e) => [e.type, e.data.userId, e.data.state ?? e.data.status]);
    assert.deepEqual(got, [
      ["USER_STATE_UPDATED", ADA, "SUSPENDED"],
      ["KYC_STATUS_UPDATED", ADA, "MANUAL_REVIEW"],
    ]);
  });

  /**
   * Opens every link of the page's navigation: each answers 200 inside the console, shows the
   * signed-in analyst and no error. With `photo`, each page is photographed, so a page added to
   * the navigation is photographed without a change here.
   */
  async function visitNavigation(page, watch, who, photo) {
    await page.goto(url("/console/users"));
    const links = await page
      .locator("header nav a")
      .evaluateAll((as) => as.map((a) => ({ name: a.textContent.trim(), href: a.getAttribute("href") })));
    assert.ok(links.some((l) => l.name === "Users"), `no Users link in the ${who.role}'s navigation: ${JSON.stringify(links)}`);
    for (const link of links) {
      const what = `${link.name} (${link.href}) for the ${who.role}`;
      const res = await page.goto(new URL(link.href, page.url()).href);
      assert.equal(res.status(), 200, `${what} answered ${res.status()}`);
      assert.ok(new URL(page.url()).pathname.startsWith("/console/"), `${what} left the console: ${page.url()}`);
      assert.equal(await page.locator("header .who").innerText(), `${who.email} (${who.role}) · tenant ${TENANT}`, `${what}: not signed in`);
      assert.deepEqual(await page.getByRole("alert").allInnerTexts(), [], `${what} shows an error`);
      if (photo) await shots.take(page, `nav ${link.name}`);
    }
    watch.check();
    return links;
  }

  step("every page of the navigation opens for every role; the admin's are photographed", async () => {
    await visitNavigation(analyst.page, analyst.watch, ANALYST, false);
    for (const [who, photo] of [
      [ADMIN, true],
      [VIEWER, false],
    ]) {
      const { context, watch } = await newContext(browser, vigil.baseUrl);
      try {
        const page = await context.newPage();
        await signIn(page, who);
        await visitNavigation(page, watch, who, photo);
      } finally {
        await context.close();
      }
    }
  });

  step("signing out ends the session, also for a copy of its cookie", async () => {
    const { page, context, watch } = analyst;
    await page.goto(url(ADA_PATH));
    const cookie = (await context.cookies(url("/console/"))).find((c) => c.name === "vigil_session");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(url("/console/signin"));
    await page.getByRole("heading", { name: "Sign in to Vigil" }).waitFor();
    await shots.take(page, "signed out");
    assert.equal((await context.cookies(url("/console/"))).find((c) => c.name === "vigil_session"), undefined, "the session cookie was kept");

    await page.goto(url(ADA_PATH));
    await page.waitForURL(url("/console/signin"));
    // The old cookie, sent by hand, no longer opens anything.
    const replay = await fetch(url(ADA_PATH), { headers: { cookie: `vigil_session=${cookie.value}` }, redirect: "manual" });
    assert.equal(replay.status, 303);
    assert.equal(replay.headers.get("location"), "/console/signin");
    watch.check();
  });

  step("the server logged no error, and every screenshot is there", async () => {
    const errors = vigil.output().split("\n").filter((l) => /\blevel=ERROR\b/.test(l));
    assert.deepEqual(errors, [], "vigil serve logged errors");
    for (const f of shots.files) assert.ok(fs.statSync(f).size > 1000, `${f} is empty`);
    assert.ok(shots.files.length >= 2 * 10, `only ${shots.files.length} screenshots`);
  });
});
