/**
 * The report as a reader sees it: rendered by headless Chromium (Debian's `chromium`, driven by
 * playwright-core), from a store holding the demo's history and a hostile write. Asserts on what is
 * visible, that nothing a writer put in the store ran as script or made the page fetch anything (with
 * the page's Content-Security-Policy, and again without it, so that escaping alone is proven), and
 * keeps a screenshot in test-artifacts/.
 *
 * Never skipped: without Chromium the test fails and says how to install it (.ci/run does).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostileDemoStore, PAYLOADS, run } from "./report-fixture.js";

const CHROMIUM = process.env.AWS_AUTH_GUARDIAN_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

let dir: string;
let browser: Browser | undefined;
let lastGood: string;
let reportFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "guardian-report-browser-"));
  const store = join(dir, "store");
  lastGood = await hostileDemoStore(store, dir);
  reportFile = join(dir, "demo.html");
  const result = await run(["report", "--store", store, "--cluster", "demo", "-o", reportFile]);
  if (result.code !== 0) throw new Error(`report failed: ${result.err}`);
  if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Visit {
  page: Page;
  requests: string[];
  dialogs: string[];
  errors: string[];
}

/** Opens `file` as a reader would (file://), recording every request, dialog and page error. */
async function open(file: string): Promise<Visit> {
  expect(
    existsSync(CHROMIUM),
    `Chromium is not installed at ${CHROMIUM}: apt-get install chromium (.ci/run installs it), or set AWS_AUTH_GUARDIAN_CHROMIUM`,
  ).toBe(true);
  if (!browser) throw new Error("Chromium did not start");
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
  const visit: Visit = { page, requests: [], dialogs: [], errors: [] };
  page.on("request", (request) => {
    visit.requests.push(request.url());
  });
  page.on("dialog", (dialog) => {
    visit.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => {
    visit.errors.push(error.message);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return visit;
}

describe("report in Chromium", () => {
  it("shows the classes, the last good version and its restore command, and runs nothing a writer wrote", async () => {
    // Act
    const visit = await open(reportFile);
    const { page } = visit;
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: false });

    // Assess: what a reader sees.
    expect(await page.title()).toBe("aws-auth history of demo");
    await expect(page.locator("h1").innerText()).resolves.toBe("aws-auth history of demo");
    await expect(page.locator("#last-good").innerText()).resolves.toContain(lastGood);
    const timeline = page.locator('ol.timeline[aria-label="aws-auth versions"] li a');
    await expect(timeline.count()).resolves.toBe(9);
    await expect(timeline.allInnerTexts()).resolves.toEqual([
      "1 unverified",
      "2 routine",
      "3 aws-internal",
      "4 aws-internal",
      "5 cosmetic",
      "6 routine",
      "7 dangerous",
      "8 dangerous",
      "9 dangerous",
    ]);
    // Coloured by class: the page's stylesheet applied (the CSP admits it by hash).
    await expect(
      page.evaluate(
        "getComputedStyle(document.querySelector('ol.timeline a.cls-dangerous')).backgroundColor",
      ),
    ).resolves.toBe("rgb(207, 34, 46)");
    await expect(
      page.evaluate("getComputedStyle(document.querySelector('ol.timeline a.cls-routine')).backgroundColor"),
    ).resolves.toBe("rgb(191, 135, 0)");
    const restore = page.locator("#aws-auth > .restore pre");
    await expect(restore.isVisible()).resolves.toBe(true);
    await expect(restore.innerText()).resolves.toBe(
      `aws-auth-guardian restore --cluster demo --to ${lastGood}\naws-auth-guardian restore --cluster demo --to ${lastGood} --direct --kubeconfig ~/.kube/config --store ${join(dir, "store")}`,
    );
    // The hostile write: its values are shown as the text they are.
    const hostile = page.locator("article.record").first();
    await expect(hostile.getAttribute("data-class")).resolves.toBe("dangerous");
    const card = await hostile.innerText();
    expect(card).toContain(PAYLOADS.username);
    expect(card).toContain(PAYLOADS.userAgent);
    expect(card).toContain(PAYLOADS.session);
    expect(card).toContain("admin\\u202egnp.exe");
    expect(card).toContain(
      `+ role arn:aws:iam::012345678901:role/contractor as ${JSON.stringify(PAYLOADS.mapped)}`,
    );

    // Assess: nothing ran, nothing was fetched, nothing was added to the page.
    expect(await page.title()).not.toContain("PWNED");
    expect(visit.dialogs).toEqual([]);
    expect(visit.errors).toEqual([]);
    expect(visit.requests).toEqual([pathToFileURL(reportFile).href]);
    await expect(
      page.locator("script, img, iframe, object, embed, svg, form, base, link").count(),
    ).resolves.toBe(0);
    await expect(page.locator('a[href]:not([href^="#"])').count()).resolves.toBe(0);
    await page.close();
  });

  it("runs nothing a writer wrote even without its Content-Security-Policy: the escaping alone holds", async () => {
    // Prepare: the same page with its CSP removed.
    const html = await readFile(reportFile, "utf8");
    const bare = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "");
    expect(bare).not.toBe(html);
    const file = join(dir, "no-csp.html");
    await writeFile(file, bare);

    // Act
    const visit = await open(file);

    // Assess
    expect(await visit.page.title()).toBe("aws-auth history of demo");
    expect(visit.dialogs).toEqual([]);
    expect(visit.errors).toEqual([]);
    expect(visit.requests).toEqual([pathToFileURL(file).href]);
    await expect(visit.page.locator("script, img, iframe, object, embed, svg, form").count()).resolves.toBe(
      0,
    );
    await visit.page.close();
  });

  it("would notice a script that ran, a request that went out and an element that was injected", async () => {
    // The checks above, on a page that does what the hostile values must not do.
    const file = join(dir, "control.html");
    await writeFile(
      file,
      `<!doctype html><title>t</title><img src="http://127.0.0.1:9/x.png"><script>document.title='PWNED'</script>`,
    );
    const visit = await open(file);
    expect(await visit.page.title()).toBe("PWNED");
    expect(visit.requests).toContain("http://127.0.0.1:9/x.png");
    await expect(visit.page.locator("script, img").count()).resolves.toBe(2);
    await visit.page.close();
  });
});
