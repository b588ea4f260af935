/**
 * `restore --direct` over a frozen (immutable) aws-auth: the dry run says it will delete and
 * re-create it and why, `--yes` confirms it, and a create that keeps failing after the delete prints
 * the exact object to create by hand.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { awsAuth, ESCALATED_DATA, GOOD_DATA } from "../restore/fixtures.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { runCli } from "./io.js";

const TOKEN = "operator-token";

describe("restore --direct over an immutable aws-auth", () => {
  let server: FakeApiServer;
  let dir: string;
  let kubeconfig: string;
  let store: string;

  beforeEach(async () => {
    server = await FakeApiServer.start({ tokens: { [TOKEN]: { user: "operator", allowed: true } } });
    dir = await mkdtemp(join(tmpdir(), "cli-immutable-"));
    kubeconfig = join(dir, "kubeconfig");
    store = join(dir, "store");
    await writeFile(kubeconfig, server.kubeconfig(TOKEN));
    server.seed(awsAuth(GOOD_DATA));
    const captured = await run([
      "capture",
      "--direct",
      "--kubeconfig",
      kubeconfig,
      "--store",
      store,
      "--cluster",
      "prod",
    ]);
    expect(captured.code).toBe(0);
    server.seed({ ...awsAuth(ESCALATED_DATA), immutable: true });
  });

  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (argv: string[], answer?: boolean) => runCli(argv, { answer });

  const restore = (args: string[], answer?: boolean) =>
    run(["restore", "--direct", "--kubeconfig", kubeconfig, "--store", store, ...args], answer);

  it("the dry run says delete and re-create, and why; --yes does it and verifies", async () => {
    // Act
    const dry = await restore(["--dry-run"]);

    // Assess
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("DELETE and re-create the live aws-auth (resourceVersion");
    expect(dry.out).toContain("it is immutable");
    expect(dry.out).toMatch(
      /Why delete and re-create:\n {2}The live aws-auth is immutable \(immutable: true\)/,
    );
    expect(server.requests.some((r) => r.method === "DELETE")).toBe(false);

    const done = await restore(["--yes"]);
    expect(done.code).toBe(0);
    expect(done.out).toContain("Verified: read back resourceVersion");
    expect(server.object()?.data).toEqual(GOOD_DATA);
    expect(server.object()?.immutable).toBeUndefined();
  });

  it("asks before deleting: a 'no' leaves the frozen aws-auth alone", async () => {
    const answered = await restore([], false);
    expect(answered.code).toBe(1);
    expect(answered.questions).toHaveLength(1);
    expect(server.object()?.immutable).toBe(true);
  });

  it("prints the object to create by hand when every create after the delete fails", async () => {
    // Prepare
    const failure = {
      status: 503,
      body: {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        message: "service unavailable",
        code: 503,
      },
    };
    server.respondToNextOf("POST", failure, 3);

    // Act
    const result = await restore(["--yes"]);

    // Assess
    expect(result.code).toBe(1);
    expect(server.object()).toBeUndefined();
    expect(result.err).toContain("was deleted (it was immutable) and could not be created again");
    const heredoc = /kubectl create -f - <<'AWS_AUTH_GUARDIAN_EOF'\n([\s\S]*?)\nAWS_AUTH_GUARDIAN_EOF/.exec(
      result.err,
    );
    const manifest = JSON.parse(heredoc?.[1] ?? "") as { data: Record<string, string> };
    expect(manifest.data).toEqual(GOOD_DATA);
  });
});
