/**
 * `aws-auth-guardian analyze`, run in-process through `main(argv, io)`, and once as the real binary in a
 * child process (what `npx aws-auth-guardian` runs). The "Done when" sequence is the committed fixture
 * test/fixtures/audit/derived/classify/done-when.jsonl (see its README), checked here to be exactly what
 * test/support/events.ts derives from the lab recordings.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import {
  asRole,
  CLUSTER_ACCOUNT,
  derivedAuditID,
  doneWhenBaseline,
  doneWhenSequence,
  editEvent,
  goodData,
  IDENTITY,
  jsonl,
  LAB_FILES,
  labLines,
  nodeManagerData,
  roleEntry,
  updateEvent,
  withRoles,
} from "../support/events.js";
import { runCli } from "./io.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLASSIFY = fileURLToPath(new URL("../fixtures/audit/derived/classify/", import.meta.url));
const SEQUENCE = join(CLASSIFY, "done-when.jsonl");
const BASELINE_YAML = join(CLASSIFY, "baseline-rv204.yaml");
const BASELINE_JSON = join(CLASSIFY, "baseline-rv204.json");
const LAB = fileURLToPath(new URL("../fixtures/audit/lab/", import.meta.url));
const CAPTURED = fileURLToPath(new URL("../fixtures/demo/captured-after-create.json", import.meta.url));

interface Run {
  code: number;
  out: string;
  err: string;
}

function run(argv: string[], stdin = ""): Promise<Run> {
  return runCli(argv, { stdin });
}

interface JsonLine {
  auditID: string;
  time: string;
  verb: string;
  code: number | null;
  actor: { username: string; arn: string | null };
  class: string;
  findings: Array<{ id: string; severity: string; message: string }>;
}

function jsonLines(out: string): JsonLine[] {
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as JsonLine);
}

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aws-auth-guardian-analyze-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the Done-when sequence (committed fixture)", () => {
  it("is exactly what test/support/events.ts derives from the lab recordings", async () => {
    const steps = doneWhenSequence();
    expect(await readFile(SEQUENCE, "utf8")).toBe(`${steps.map((s) => s.line).join("\n")}\n`);
    expect(JSON.parse(await readFile(BASELINE_JSON, "utf8"))).toEqual(doneWhenBaseline());
    const yaml = parseConfigMapManifest(await readFile(BASELINE_YAML, "utf8"));
    expect(yaml.ok && yaml.configMap).toEqual(doneWhenBaseline());
    const readme = await readFile(join(CLASSIFY, "README.md"), "utf8");
    for (const step of steps) expect(readme).toContain(`\`${step.name}\``);
  });

  it("classifies every line as the issue expects, in order, with the named finding", async () => {
    const result = await run([
      "analyze",
      SEQUENCE,
      "--baseline",
      BASELINE_YAML,
      "--account",
      CLUSTER_ACCOUNT,
      "--format",
      "json",
    ]);
    expect(result.code).toBe(0);
    expect(result.err).toBe(
      "read 15 audit events from 1 input: 14 writes to aws-auth (1 duplicate skipped), 0 unusable lines\n",
    );
    const lines = jsonLines(result.out);
    const expected = doneWhenSequence().filter((s) => s.expect !== undefined);
    expect(lines.map((l) => l.class)).toEqual(expected.map((s) => s.expect));
    expect(lines.map((l) => l.class)).toEqual([
      "routine",
      "dangerous",
      "dangerous",
      "rejected",
      "rejected",
      "dry-run",
      "routine",
      "cosmetic",
      "dangerous",
      "dangerous",
      "dangerous",
      "dangerous",
      "unverified",
      "unverified",
    ]);
    for (const [i, step] of expected.entries()) {
      if (step.finding)
        expect([step.name, lines[i]?.findings.map((f) => f.id)]).toEqual([
          step.name,
          expect.arrayContaining([step.finding]),
        ]);
    }
  });

  it("prints exactly the documented keys, one JSON object per write", async () => {
    const { out } = await run(["analyze", SEQUENCE, "--baseline", BASELINE_YAML, "--format", "json"]);
    const lines = jsonLines(out);
    expect(out.endsWith("\n")).toBe(true);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(["auditID", "time", "verb", "code", "actor", "class", "findings"]);
      expect(Object.keys(line.actor)).toEqual(["username", "arn"]);
      for (const f of line.findings) expect(Object.keys(f)).toEqual(["id", "severity", "message"]);
    }
    expect(lines[2]).toMatchObject({
      auditID: derivedAuditID(3),
      time: "2026-11-22T14:00:03.123456Z",
      verb: "update",
      code: 200,
      actor: { username: "eks:node-manager", arn: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/cluster-automation` },
      class: "dangerous",
    });
    // The cut-off event: its status survived (responseStatus precedes the bodies), its timestamps did not.
    expect(lines.at(-1)).toMatchObject({ verb: "update", code: 200, time: "", class: "unverified" });
  });

  it("gives the same answers with the baseline as YAML or JSON", async () => {
    const yaml = await run(["analyze", SEQUENCE, "--baseline", BASELINE_YAML, "--format", "json"]);
    const json = await run(["analyze", SEQUENCE, "--baseline", BASELINE_JSON, "--format", "json"]);
    expect(json.out).toBe(yaml.out);
    expect(yaml.code).toBe(0);
  });

  it("text format: a timeline, the diff of each non-cosmetic change, the undo command, a summary", async () => {
    const { code, out } = await run([
      "analyze",
      SEQUENCE,
      "--baseline",
      BASELINE_YAML,
      "--account",
      CLUSTER_ACCOUNT,
      "--cluster",
      "prod-eu",
    ]);
    expect(code).toBe(0);
    expect(out).toContain(
      "2026-11-22T14:00:09.123456Z  prod-eu  patch            200  dangerous     sso-admin:jane.doe-example.com",
    );
    expect(out).toContain(
      `    ~ role arn:aws:iam::${CLUSTER_ACCOUNT}:role/Developer: +system:masters, -view-only`,
    );
    expect(out).toMatch(/ {4}undo: aws-auth-guardian restore --cluster prod-eu --to 0{17}213-[0-9a-f]{24}\n/);
    expect(out).toContain(
      "14 writes to aws-auth: 2 routine, 6 dangerous, 2 rejected, 1 dry-run, 1 cosmetic, 2 unverified; 1 duplicate events skipped.",
    );
  });

  it("raw lines name no cluster: the undo command says where it goes instead of inventing one", async () => {
    const { out } = await run(["analyze", SEQUENCE, "--baseline", BASELINE_YAML]);
    expect(out).toContain("    undo: aws-auth-guardian restore --cluster <CLUSTER> --to 0");
    expect(out).not.toContain("--cluster cluster");
  });
});

describe("inputs", () => {
  it("judges two files given in reverse order exactly like one file in order (resourceVersion order, as the Lambda)", async () => {
    // Prepare: the recorded incident in one file, and split in two files given second-half first.
    const lines = Object.values(LAB_FILES).flatMap((f) => labLines(f));
    const whole = join(dir, "incident.jsonl");
    const early = join(dir, "incident-early.jsonl");
    const late = join(dir, "incident-late.jsonl");
    const cut = lines.findIndex((l) => l.includes('"verb":"patch"') && l.includes("contractor"));
    expect(cut).toBeGreaterThan(0);
    await writeFile(whole, `${lines.join("\n")}\n`);
    await writeFile(early, `${lines.slice(0, cut).join("\n")}\n`);
    await writeFile(late, `${lines.slice(cut).join("\n")}\n`);

    for (const format of ["json", "text"]) {
      // Act
      const inOrder = await run(["analyze", whole, "--account", CLUSTER_ACCOUNT, "--format", format]);
      const reversed = await run(["analyze", late, early, "--account", CLUSTER_ACCOUNT, "--format", format]);

      // Assess
      expect(reversed.code).toBe(inOrder.code);
      expect(reversed.out).toBe(inOrder.out);
    }
    const json = jsonLines((await run(["analyze", late, early, "--format", "json"])).out);
    // The escalation, read first, is judged against the edit before it, not as the first version.
    expect(json.find((l) => JSON.stringify(l).includes("contractor-debug"))?.class).toBe("dangerous");
  });

  it("reads stdin when no file is given", async () => {
    const stdin = labLines(LAB_FILES.delete).join("\n");
    const { code, out } = await run(["analyze", "--format", "json"], stdin);
    expect(code).toBe(0);
    expect(jsonLines(out).map((l) => [l.verb, l.class])).toEqual([["delete", "dangerous"]]);
  });

  it("reads several files as one stream, in the order given", async () => {
    const files = [
      LAB_FILES.nodeManagerUpdate,
      LAB_FILES.fargateManagerUpdate,
      LAB_FILES.terraformJsonPatch,
      LAB_FILES.ssoEditPatch,
      LAB_FILES.escalationPatch,
      LAB_FILES.delete,
      LAB_FILES.forbiddenPatch,
    ].map((f) => join(LAB, f));
    const { code, out } = await run([
      "analyze",
      ...files,
      "--baseline",
      CAPTURED,
      "--account",
      CLUSTER_ACCOUNT,
      "--format",
      "json",
    ]);
    expect(code).toBe(0);
    const lines = jsonLines(out);
    expect(lines.map((l) => l.class)).toEqual([
      "aws-internal",
      "aws-internal",
      "cosmetic",
      "routine",
      "dangerous",
      "dangerous",
      "rejected",
    ]);
    // The same files in the other order: the same history, in resourceVersion order, with the
    // same verdicts, as the Lambda would file them.
    const swapped = await run([
      "analyze",
      ...[...files].reverse(),
      "--baseline",
      CAPTURED,
      "--account",
      CLUSTER_ACCOUNT,
      "--format",
      "json",
    ]);
    expect(swapped.code).toBe(0);
    expect(swapped.out).toBe(out);
  });

  it("reads a CloudWatch Logs Lambda event and takes the cluster's account from its owner", async () => {
    const impostor = asRole(
      IDENTITY.nodeManager(),
      "AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL",
      CLUSTER_ACCOUNT,
    );
    const event = updateEvent({
      auditID: derivedAuditID(800),
      identity: impostor,
      data: nodeManagerData(),
      resourceVersion: "205",
    });
    const payload = {
      messageType: "DATA_MESSAGE",
      owner: CLUSTER_ACCOUNT,
      logGroup: "/aws/eks/prod-eu/cluster",
      logStream: "kube-apiserver-audit-0a1b2c3d4e5f67890a1b2c3d4e5f6789",
      subscriptionFilters: ["aws-auth-guardian"],
      logEvents: [{ id: "1", timestamp: 1795438800000, message: JSON.stringify(event) }],
    };
    await writeFile(
      file("invocation.json"),
      JSON.stringify({ awslogs: { data: gzipSync(JSON.stringify(payload)).toString("base64") } }),
    );
    await writeFile(file("raw.jsonl"), jsonl([event]));
    await writeFile(file("baseline.json"), JSON.stringify({ ...doneWhenBaseline() }));

    // From raw lines the account is unknown: EKS's role name is trusted, and the output says it could not check.
    const raw = jsonLines(
      (await run(["analyze", file("raw.jsonl"), "--baseline", file("baseline.json"), "--format", "json"]))
        .out,
    );
    expect(raw.map((l) => [l.class, l.findings.map((f) => f.id)])).toEqual([
      ["aws-internal", ["aws-internal-account-unverified", "aws-internal-node-mapping-dropped"]],
    ]);
    // --account or the CloudWatch owner unmask the impostor.
    for (const argv of [
      ["analyze", file("raw.jsonl"), "--account", CLUSTER_ACCOUNT],
      ["analyze", file("invocation.json")],
    ]) {
      const lines = jsonLines(
        (await run([...argv, "--baseline", file("baseline.json"), "--format", "json"])).out,
      );
      expect(lines.map((l) => l.class)).toEqual(["dangerous"]);
      expect(lines[0]?.findings.map((f) => f.id)).toContain("eks-identity-impersonation");
    }
    // The log group names the cluster in the text timeline.
    const text = await run(["analyze", file("invocation.json"), "--baseline", file("baseline.json")]);
    expect(text.out).toContain("  prod-eu  update");
  });

  it("reads gzip input", async () => {
    await writeFile(file("incident.jsonl.gz"), gzipSync(labLines(LAB_FILES.delete).join("\n")));
    const { out } = await run(["analyze", file("incident.jsonl.gz"), "--format", "json"]);
    expect(jsonLines(out)).toHaveLength(1);
  });

  it("warns about a bad line with its source and judges the rest (exit 0)", async () => {
    await writeFile(
      file("mixed.jsonl"),
      [labLines(LAB_FILES.delete)[0], "garbage", labLines(LAB_FILES.forbiddenPatch)[1]].join("\n"),
    );
    const { code, out, err } = await run(["analyze", file("mixed.jsonl"), "--format", "json"]);
    expect(code).toBe(0);
    expect(jsonLines(out).map((l) => l.class)).toEqual(["dangerous", "rejected"]);
    expect(err).toBe(
      `warning: ${file("mixed.jsonl")}:2: not JSON: "garbage"\nread 2 audit events from 1 input: 2 writes to aws-auth, 1 unusable line\n`,
    );
  });
});

describe("honest exits: what was read, and a gate that does not pass on what it could not read", () => {
  const lines = () => labLines(LAB_FILES.escalationPatch).concat(labLines(LAB_FILES.delete));

  it("reads `jq .` output (pretty-printed events one after another) as the same events: the dangerous write fails the gate", async () => {
    // Prepare
    await writeFile(file("events.jsonl"), `${lines().join("\n")}\n`);
    await writeFile(
      file("jq.json"),
      `${lines()
        .map((l) => JSON.stringify(JSON.parse(l), null, 2))
        .join("\n")}\n`,
    );

    // Act
    const pretty = await run(["analyze", file("jq.json"), "--fail-on", "dangerous", "--format", "json"]);
    const compact = await run([
      "analyze",
      file("events.jsonl"),
      "--fail-on",
      "dangerous",
      "--format",
      "json",
    ]);

    // Assess
    expect(pretty.code).toBe(2);
    expect(pretty.out).toBe(compact.out);
    expect(jsonLines(pretty.out).map((l) => l.class)).toContain("dangerous");
    expect(pretty.err).toBe(
      `read ${lines().length} audit events from 1 input: 2 writes to aws-auth, 0 unusable lines\n`,
    );
  });

  it("--fail-on fails (exit 1) on unusable lines even when nothing readable matched, unless --allow-unusable", async () => {
    // Prepare: one routine write and a line cut to garbage.
    await writeFile(
      file("partly.jsonl"),
      `${labLines(LAB_FILES.ssoEditPatch).join("\n")}\n{"kind":"Ev\u0000\n`,
    );

    // Act
    const gated = await run(["analyze", file("partly.jsonl"), "--fail-on", "dangerous"]);
    const allowed = await run([
      "analyze",
      file("partly.jsonl"),
      "--fail-on",
      "dangerous",
      "--allow-unusable",
    ]);
    const ungated = await run(["analyze", file("partly.jsonl")]);

    // Assess
    expect(gated.code).toBe(1);
    expect(gated.err).toContain(", 1 unusable line\n");
    expect(gated.err).toMatch(
      /error: --fail-on: 1 unusable line in the input; the writes in them were not judged \(--allow-unusable accepts this\)\n$/,
    );
    expect(allowed.code).toBe(0);
    expect(ungated.code).toBe(0);
  });

  it.each([
    [
      "an array of numbers",
      "[1,2,3]",
      1,
      /read 0 audit events from 1 input: 0 writes to aws-auth, 3 unusable lines\nerror: no usable audit event in the input\n$/,
    ],
    ["an empty file", "", 0, /^read 0 audit events from 1 input: 0 writes to aws-auth, 0 unusable lines\n$/],
  ])("%s is reported, never a silent pass", async (_label, content, code, message) => {
    await writeFile(file("odd.json"), content);
    const result = await run(["analyze", file("odd.json")]);
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message);
    const gated = await run(["analyze", file("odd.json"), "--fail-on", "dangerous"]);
    expect(gated.code).toBe(1);
  });
});

describe("options", () => {
  const edit = () =>
    editEvent({
      auditID: derivedAuditID(801),
      data: withRoles(
        goodData(),
        roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/developer`, "dev", ["view-only"]),
      ),
      before: goodData(),
      resourceVersion: "205",
    });

  it("--trusted-writer is repeatable and matched against the canonical role ARN", async () => {
    await writeFile(file("edit.jsonl"), jsonl([edit()]));
    const base = ["analyze", file("edit.jsonl"), "--baseline", BASELINE_YAML, "--format", "json"];
    const terraformOnly = ["--trusted-writer", `arn:aws:iam::${CLUSTER_ACCOUNT}:role/terraform-*`];
    const one = jsonLines((await run([...base, ...terraformOnly])).out);
    expect(one.map((l) => [l.class, l.findings.map((f) => f.id)])).toEqual([
      ["dangerous", ["untrusted-writer"]],
    ]);
    const two = jsonLines(
      (
        await run([
          ...base,
          ...terraformOnly,
          "--trusted-writer",
          `arn:aws:iam::${CLUSTER_ACCOUNT}:role/AWSReservedSSO_*`,
        ])
      ).out,
    );
    expect(two.map((l) => l.class)).toEqual(["routine"]);
  });

  it("--fail-on dangerous exits 2 when a write is dangerous, 0 otherwise; classes may be listed", async () => {
    expect(
      (await run(["analyze", SEQUENCE, "--baseline", BASELINE_YAML, "--fail-on", "dangerous"])).code,
    ).toBe(2);
    await writeFile(file("edit2.jsonl"), jsonl([edit()]));
    const routine = ["analyze", file("edit2.jsonl"), "--baseline", BASELINE_YAML];
    expect((await run([...routine, "--fail-on", "dangerous"])).code).toBe(0);
    expect((await run([...routine, "--fail-on", "dangerous,routine"])).code).toBe(2);
    expect((await run([...routine, "--fail-on", "dangerous", "--fail-on", "routine"])).code).toBe(2);
  });

  it("exit 0 with dangerous findings when --fail-on is not given", async () => {
    expect((await run(["analyze", SEQUENCE, "--baseline", BASELINE_YAML])).code).toBe(0);
  });
});

describe("unusable input and bad arguments: exit 1 with a clear message", () => {
  const cases: Array<[string, () => Promise<string[]>, RegExp]> = [
    [
      "input with no usable audit event",
      async () => {
        await writeFile(file("junk.txt"), "this is not an audit log\nnor is this\n");
        return ["analyze", file("junk.txt")];
      },
      /^warning: .*junk\.txt:1: not JSON.*\nwarning: .*junk\.txt:2: not JSON.*\nread 0 audit events from 1 input: 0 writes to aws-auth, 2 unusable lines\nerror: no usable audit event in the input\n$/,
    ],
    [
      "a file that does not exist",
      async () => ["analyze", file("missing.jsonl")],
      /^error: cannot read .*missing\.jsonl: ENOENT\n$/,
    ],
    [
      "an unknown option, with the closest one",
      async () => ["analyze", SEQUENCE, "--fail-one", "dangerous"],
      /^error: unknown option '--fail-one'\n\(Did you mean --fail-on\?\)\n$/,
    ],
    [
      "a bad --format",
      async () => ["analyze", SEQUENCE, "--format", "xml"],
      /^error: option '--format <format>' argument 'xml' is invalid\. Allowed choices are text, json\.\n$/,
    ],
    [
      "a bad --account",
      async () => ["analyze", SEQUENCE, "--account", "12345"],
      /^error: --account must be a 12-digit AWS account id/,
    ],
    [
      "a bad --fail-on class",
      async () => ["analyze", SEQUENCE, "--fail-on", "scary"],
      /^error: --fail-on: unknown class "scary"/,
    ],
    [
      "a baseline that is not a ConfigMap",
      async () => {
        await writeFile(file("not-cm.yaml"), "kind: Secret\nmetadata:\n  name: x\n");
        return ["analyze", SEQUENCE, "--baseline", file("not-cm.yaml")];
      },
      /^error: --baseline .*not-cm\.yaml: not a ConfigMap \(kind "Secret"\)\n$/,
    ],
    [
      "an unknown command, with the closest one",
      async () => ["analyse"],
      /^error: unknown command 'analyse'\n\(Did you mean analyze\?\)\n$/,
    ],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const result = await run(await argv());
      expect(result.code).toBe(1);
      expect(result.err).toMatch(message);
    });
  }

  it("an empty input is not an error: nothing to judge", async () => {
    const result = await run(["analyze"], "");
    expect(result.code).toBe(0);
    expect(result.out).toContain("0 writes to aws-auth: none.");
  });
});

describe("the real binary", () => {
  const execFileAsync = promisify(execFile);

  it("node bin/aws-auth-guardian.mjs analyze … runs from the repository root (what npx runs)", async () => {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [
        "bin/aws-auth-guardian.mjs",
        "analyze",
        SEQUENCE,
        "--baseline",
        BASELINE_YAML,
        "--account",
        CLUSTER_ACCOUNT,
        "--format",
        "json",
      ],
      { cwd: ROOT },
    );
    expect(stderr).toBe(
      "read 15 audit events from 1 input: 14 writes to aws-auth (1 duplicate skipped), 0 unusable lines\n",
    );
    expect(jsonLines(stdout).map((l) => l.class)).toEqual(
      doneWhenSequence().flatMap((s) => (s.expect ? [s.expect] : [])),
    );
    // --fail-on sets the process exit status.
    const failed = await execFileAsync(
      process.execPath,
      ["bin/aws-auth-guardian.mjs", "analyze", SEQUENCE, "--fail-on", "dangerous"],
      {
        cwd: ROOT,
      },
    ).catch((error: { code?: number }) => error);
    expect((failed as { code?: number }).code).toBe(2);
  });
});
