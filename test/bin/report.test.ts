/**
 * `aws-auth-guardian report`: the page from a local store and from an S3 one (moto), written where
 * -o says, with the history's classes, last good version and restore commands.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createS3Client } from "../../lambda/adapters/aws-clients.js";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import { type AccessRecord, AccessStore, accessRecordId } from "../../lambda/core/access-store.js";
import { createVersionedBucket, type MotoServer, startMoto } from "../support/moto.js";
import { hostileDemoStore, PAYLOADS, run } from "./report-fixture.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "guardian-report-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("report from a local store", () => {
  it("writes one page with every version, its class, the last good one and its restore command", async () => {
    // Prepare
    const store = join(dir, "store");
    const lastGood = await hostileDemoStore(store, dir);
    const page = join(dir, "demo.html");

    // Act
    const result = await run(["report", "--store", store, "--cluster", "demo", "-o", page]);
    const html = await readFile(page, "utf8");

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toContain(`wrote ${page}: 9 aws-auth records of cluster demo`);
    expect(html.match(/<article class="record /g)).toHaveLength(9);
    expect(html.match(/<article class="record cls-dangerous"/g)).toHaveLength(3);
    expect(html).toContain(`id="last-good"><a href="#v-`);
    expect(html).toMatch(new RegExp(`id="last-good"><a href="#v-[0-9a-f]{16}">${lastGood}</a>`));
    expect(html).toContain(
      `aws-auth-guardian restore --cluster demo --to ${lastGood} --direct --kubeconfig ~/.kube/config --store ${store}`,
    );
    expect(html).not.toContain(PAYLOADS.username);
    expect(html).toContain("&lt;img src=x onerror=&quot;document.title=&#39;PWNED-img&#39;&quot;&gt;");
    expect(html).not.toMatch(/<(script|img|iframe)/i);
  });

  it("writes the page to stdout with -o -, and refuses without -o or with an empty store", async () => {
    const store = join(dir, "store");
    await run(["demo", "--store", store]);
    const stdout = await run(["report", "--store", store, "-o", "-"]);
    const noOutput = await run(["report", "--store", store]);
    const empty = await run(["report", "--store", dir, "--cluster", "prod", "-o", join(dir, "x.html")]);
    expect(stdout.code).toBe(0);
    expect(stdout.out).toMatch(/^<!doctype html>\n[\s\S]*<\/html>\n$/);
    expect(noOutput.code).toBe(1);
    expect(noOutput.err).toContain("-o FILE.html is required");
    expect(empty.code).toBe(1);
    expect(empty.err).toContain(`holds no record of cluster prod`);
  });
});

describe("report with access-entry records", () => {
  it("adds the cluster's access-entry history from clusters/<c>/access/: classes, caller, changes, last good, restore", async () => {
    // Prepare: the demo's aws-auth history, and two access records beside it as the classifier files them.
    const store = join(dir, "store");
    await run(["demo", "--store", store]);
    const access = new AccessStore(new LocalBlobStore(store));
    const entry = {
      principalArn: "arn:aws:iam::012345678901:role/platform-admin",
      type: "STANDARD",
      kubernetesGroups: [],
      policies: [
        {
          policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
          accessScope: { type: "cluster" as const, namespaces: [] },
        },
      ],
    };
    const good: AccessRecord = {
      kind: "access",
      id: accessRecordId("2026-11-22T13:10:00.000Z", "capture"),
      cluster: "demo",
      time: "2026-11-22T13:10:00.000Z",
      state: "verified",
      picture: { authenticationMode: "API_AND_CONFIG_MAP", entries: [entry] },
      capture: { reason: "discovery", at: "2026-11-22T13:10:00.000Z" },
      class: "routine",
      findings: [],
      good: true,
    };
    const intruder = "arn:aws:iam::999999999999:role/<b>intruder</b>";
    const bad: AccessRecord = {
      ...good,
      id: accessRecordId("2026-11-22T13:20:00.000Z", "0f6b6d3e-1a2b-4c3d-8e9f-001122334455"),
      time: "2026-11-22T13:20:00.000Z",
      picture: {
        authenticationMode: "API_AND_CONFIG_MAP",
        entries: [entry, { ...entry, principalArn: intruder }],
      },
      event: {
        eventID: "0f6b6d3e-1a2b-4c3d-8e9f-001122334455",
        eventName: "AssociateAccessPolicy",
        eventTime: "2026-11-22T13:19:58Z",
        region: "eu-west-1",
        cluster: "demo",
        actor: {
          type: "AssumedRole",
          arn: "arn:aws:sts::012345678901:assumed-role/ci/session",
          principalArn: "arn:aws:iam::012345678901:role/ci",
          sourceIPAddress: "203.0.113.9",
          userAgent: "aws-cli/2.15 <script>",
        },
      },
      class: "dangerous",
      findings: [
        {
          id: "foreign-cluster-admin",
          severity: "critical",
          message: "a foreign account gets cluster admin",
        },
      ],
      good: false,
      predecessorId: good.id,
    };
    delete bad.capture;
    for (const record of [good, bad]) {
      await access.putRecord(record);
      await access.advancePointer("latest", record);
    }
    await access.advancePointer("last-good", good);
    const page = join(dir, "access.html");

    // Act
    const result = await run(["report", "--store", store, "--cluster", "demo", "-o", page]);
    const html = await readFile(page, "utf8");

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toContain("8 aws-auth records and 2 access-entry records of cluster demo");
    const section = html.slice(html.indexOf('<section id="access-entries">'));
    expect(section).toMatch(
      new RegExp(`id="access-last-good"><a href="#a-[0-9a-f]{16}">${good.id}</a> \\(routine`),
    );
    expect(section).toContain('<article class="record cls-dangerous"');
    expect(section).toContain("<tr><th>Source IP</th><td>203.0.113.9</td></tr>");
    expect(section).toContain("<tr><th>User agent</th><td>aws-cli/2.15 &lt;script&gt;</td></tr>");
    expect(section).toContain(
      "+ access entry arn:aws:iam::999999999999:role/&lt;b&gt;intruder&lt;/b&gt; (STANDARD)",
    );
    expect(section).toContain(
      `aws-auth-guardian restore --access-entries --direct --cluster demo --to ${good.id} --store ${store}`,
    );
    expect(section).not.toContain(`--to ${bad.id}`);
  });
});

describe("report from an S3 store", () => {
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto();
    await createVersionedBucket(createS3Client(moto.env), "guardian-history");
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it("reads s3://BUCKET/prefix in the region given", async () => {
    // Prepare: the demo files its history straight into the bucket.
    const store = "s3://guardian-history/team-a";
    const deps = { env: { ...moto.env, AWS_REGION: "" } };
    const demo = await run(["demo", "--store", store], { env: moto.env });
    const page = join(dir, "s3.html");

    // Act
    const result = await run(
      ["report", "--store", store, "--region", moto.env.AWS_REGION, "--cluster", "demo", "-o", page],
      deps,
    );

    // Assess
    expect(demo.code).toBe(0);
    expect(result.err).toBe(
      `wrote ${page}: 8 aws-auth records of cluster demo; open it in a browser (xdg-open ${page}, or open ${page} on macOS)\n`,
    );
    expect(result.code).toBe(0);
    const html = await readFile(page, "utf8");
    expect(html).toContain(`--store s3://guardian-history/team-a</pre>`);
    expect(html.match(/<article class="record /g)).toHaveLength(8);
  });
});
