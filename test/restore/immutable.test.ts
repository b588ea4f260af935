/**
 * A frozen aws-auth (`immutable: true`). The in-test API server refuses changes as kube-apiserver's
 * `ValidateConfigMapUpdate` does (422 Invalid, "field is immutable when `immutable` is set", and
 * immutable cannot be unset), and honours DeleteOptions preconditions. A restore over it deletes the
 * object (only while it is still the one planned against) and creates the version at once; the dry
 * run says so and why; a create that keeps failing after the delete surfaces the exact object to
 * create by hand.
 */
import { describe, expect, it } from "vitest";
import { ClusterApiError, ConflictError } from "../../lambda/core/ports.js";
import { executeRestore, type RestoreDeps } from "../../lambda/restore/restore.js";
import { awsAuth, CLUSTER, CONTRACTOR_ROLE, ESCALATED_DATA, GOOD_DATA, type Rig } from "./fixtures.js";
import { rigForEachTest } from "./rig-hooks.js";

const IMMUTABLE_MESSAGE = "Forbidden: field is immutable when `immutable` is set";
const SERVER_ERROR = {
  status: 500,
  body: {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "etcdserver: request timed out",
    reason: "InternalError",
    code: 500,
  },
};

describe("the in-test API server enforces immutable ConfigMaps as kube-apiserver does", () => {
  let rig: Rig;
  rigForEachTest((started) => {
    rig = started;
  });

  it("fails to replace the data of an immutable aws-auth: 422 with the API server's message", async () => {
    // Prepare
    const frozen = rig.server.seed({ ...awsAuth(ESCALATED_DATA), immutable: true });

    // Act
    const attempt = rig.client.replace({
      ...awsAuth(GOOD_DATA, { resourceVersion: frozen.metadata.resourceVersion }),
      immutable: true,
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ClusterApiError);
    await expect(attempt).rejects.toMatchObject({ status: 422 });
    await expect(attempt).rejects.toThrow(`ConfigMap "aws-auth" is invalid: data: ${IMMUTABLE_MESSAGE}`);
    expect(rig.server.object()?.data).toEqual(ESCALATED_DATA);
  });

  it("fails to unset immutable, and says both fields when both change", async () => {
    const frozen = rig.server.seed({ ...awsAuth(ESCALATED_DATA), immutable: true });
    const attempt = rig.client.replace(
      awsAuth(GOOD_DATA, { resourceVersion: frozen.metadata.resourceVersion }),
    );
    await expect(attempt).rejects.toThrow(
      `ConfigMap "aws-auth" is invalid: [immutable: ${IMMUTABLE_MESSAGE}, data: ${IMMUTABLE_MESSAGE}]`,
    );
  });

  it("still accepts a metadata-only change to an immutable aws-auth, which stays immutable", async () => {
    const frozen = rig.server.seed({ ...awsAuth(ESCALATED_DATA), immutable: true });
    const written = await rig.client.replace({
      ...awsAuth(ESCALATED_DATA, { resourceVersion: frozen.metadata.resourceVersion, labels: { team: "x" } }),
      immutable: true,
    });
    expect(written.immutable).toBe(true);
    expect((await rig.client.read())?.metadata.labels).toEqual({ team: "x" });
  });

  it("deletes only while uid and resourceVersion still match (409 otherwise), false when already gone", async () => {
    // Prepare
    const frozen = rig.server.seed({ ...awsAuth(ESCALATED_DATA), immutable: true });
    const uid = frozen.metadata.uid ?? "";
    const resourceVersion = frozen.metadata.resourceVersion ?? "";

    // Act / Assess
    await expect(rig.client.delete({ uid, resourceVersion: "999" })).rejects.toBeInstanceOf(ConflictError);
    await expect(rig.client.delete({ uid, resourceVersion: "999" })).rejects.toThrow(
      `Precondition failed: ResourceVersion in precondition: 999, ResourceVersion in object meta: ${resourceVersion}`,
    );
    await expect(rig.client.delete({ uid: "other", resourceVersion })).rejects.toThrow(
      "Precondition failed: UID in precondition: other",
    );
    expect(rig.server.object()).toBeDefined();
    expect(await rig.client.delete({ uid, resourceVersion })).toBe(true);
    expect(await rig.client.read()).toBeUndefined();
    expect(await rig.client.delete({ uid, resourceVersion })).toBe(false);
  });
});

describe("restoring over an immutable aws-auth", () => {
  let rig: Rig;
  rigForEachTest((started) => {
    rig = started;
  });

  function deps(overrides: Partial<RestoreDeps> = {}): RestoreDeps {
    return {
      client: rig.client,
      store: rig.store,
      notifier: rig.notifier,
      now: () => new Date(),
      sleep: async () => {},
      ...overrides,
    };
  }

  /** A good baseline captured, then an escalation frozen with immutable: true. */
  async function frozenEscalation() {
    rig.server.seed(awsAuth(GOOD_DATA));
    const good = await rig.capture("baseline");
    const frozen = rig.server.seed({ ...awsAuth(ESCALATED_DATA), immutable: true });
    return { good, frozen };
  }

  it("dry run: says it will delete and re-create, and why, and writes nothing", async () => {
    // Prepare
    const { frozen } = await frozenEscalation();

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, dryRun: true });

    // Assess
    expect(result.outcome).toBe("dry-run");
    expect(result.action).toBe("recreate");
    expect(result.recreate).toMatchObject({
      uid: frozen.metadata.uid,
      resourceVersion: frozen.metadata.resourceVersion,
    });
    expect(result.recreate?.reason).toContain("immutable");
    expect(result.recreate?.reason).toContain("deletes it, only while it is still resourceVersion");
    expect(result.body?.immutable).toBeUndefined();
    expect(result.body?.metadata.resourceVersion).toBeUndefined();
    expect(rig.server.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("deletes with the uid and resourceVersion as preconditions, creates at once, verifies the read-back", async () => {
    // Prepare
    const { good } = await frozenEscalation();
    const before = rig.server.requests.length;

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, reason: "frozen escalation" });

    // Assess
    expect(result).toMatchObject({
      outcome: "restored",
      action: "recreate",
      deletedLive: true,
      verification: { ok: true },
    });
    expect(result.diffLines).toContain(`- role ${CONTRACTOR_ROLE} (was "contractor" in system:masters)`);
    const live = rig.server.object();
    expect(live?.data).toEqual(good.configMap?.data);
    expect(live?.immutable).toBeUndefined();
    // GET (plan), DELETE, POST straight after it, GET (read-back): nothing in between.
    const calls = rig.server.requests.slice(before).map((r) => `${r.method} ${r.status}`);
    expect(calls).toEqual(["GET 200", "DELETE 200", "POST 201", "GET 200"]);
    expect(result.recovery).toBeUndefined();
  });

  it("does not delete when aws-auth changed after the dry run that was confirmed", async () => {
    // Prepare
    await frozenEscalation();
    const preview = await executeRestore(deps(), { cluster: CLUSTER, dryRun: true });
    rig.server.seed({ ...awsAuth(ESCALATED_DATA, { labels: { changed: "yes" } }), immutable: true });

    // Act
    const result = await executeRestore(deps(), {
      cluster: CLUSTER,
      to: preview.target,
      expectLiveResourceVersion: preview.liveResourceVersion ?? "",
    });

    // Assess
    expect(result.outcome).toBe("refused");
    expect(rig.server.requests.some((r) => r.method === "DELETE")).toBe(false);
    expect(rig.server.object()?.immutable).toBe(true);
  });

  it("retries a create that fails after the delete, and restores", async () => {
    // Prepare
    const { good } = await frozenEscalation();
    rig.server.respondToNextOf("POST", SERVER_ERROR, 2);

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("restored");
    expect(rig.server.object()?.data).toEqual(good.configMap?.data);
    expect(rig.server.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([
      500, 500, 201,
    ]);
  });

  it("fails when every create after the delete fails, and gives the exact object to create by hand", async () => {
    // Prepare
    const { good } = await frozenEscalation();
    rig.server.respondToNextOf("POST", SERVER_ERROR, 3);

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("failed");
    expect(result.deletedLive).toBe(true);
    expect(rig.server.object()).toBeUndefined();
    expect(result.error).toContain("DELETED");
    expect(result.error).toContain("etcdserver: request timed out");
    const manifest = JSON.parse(result.recovery ?? "") as {
      kind: string;
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(manifest).toMatchObject({
      kind: "ConfigMap",
      metadata: { name: "aws-auth", namespace: "kube-system" },
    });
    expect(manifest.data).toEqual(good.configMap?.data);
    // The notification says so loudly and carries the object.
    const alert = rig.notifier.alerts.at(-1);
    expect(alert?.subject).toContain("RESTORE FAILED, AWS-AUTH DELETED");
    expect(alert?.attributes.severity).toBe("critical");
    expect(alert?.email).toContain("kubectl create -f - <<'AWS_AUTH_GUARDIAN_EOF'");
    const restores = await rig.store.listRestores(CLUSTER);
    expect(restores.at(-1)).toMatchObject({
      outcome: "failed",
      deletedLive: true,
      recovery: result.recovery,
    });

    // The manifest really re-creates aws-auth as it was.
    await rig.client.create(JSON.parse(result.recovery ?? "{}"));
    expect(rig.server.object()?.data).toEqual(good.configMap?.data);
  });

  it("reports, without retrying, when someone else creates aws-auth between our delete and create", async () => {
    // Prepare
    await frozenEscalation();
    rig.server.afterNextDelete(() => {
      rig.server.seed(awsAuth(ESCALATED_DATA));
    });

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain("someone else created aws-auth before our create");
    expect(rig.server.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(rig.server.object()?.data).toEqual(ESCALATED_DATA);
  });

  it("plans again, deleting nothing, when the immutable object changes just before the delete", async () => {
    // Prepare
    await frozenEscalation();
    const real = rig.client;
    let first = true;
    const client = {
      ...real,
      target: real.target,
      read: () => real.read(),
      replace: (o: Parameters<typeof real.replace>[0]) => real.replace(o),
      create: (o: Parameters<typeof real.create>[0]) => real.create(o),
      delete: async (p: Parameters<typeof real.delete>[0]) => {
        if (first) {
          first = false;
          // A metadata write lands between our read and our delete.
          rig.server.seed({ ...awsAuth(ESCALATED_DATA, { labels: { late: "write" } }), immutable: true });
        }
        return real.delete(p);
      },
    };

    // Act
    const result = await executeRestore(deps({ client }), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("restored");
    expect(rig.server.requests.filter((r) => r.method === "DELETE").map((r) => r.status)).toEqual([409, 200]);
  });
});
