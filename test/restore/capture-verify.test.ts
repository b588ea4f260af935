import { describe, expect, it } from "vitest";
import { captureLive, verifyLive } from "../../lambda/restore/capture-verify.js";
import {
  awsAuth,
  CLUSTER,
  CONTRACTOR_ROLE,
  ESCALATED_DATA,
  GOOD_DATA,
  GOOD_REWRITTEN,
  type Rig,
} from "./fixtures.js";
import { rigForEachTest } from "./rig-hooks.js";

describe("capture and verify against an in-test API server", () => {
  let rig: Rig;
  rigForEachTest((started) => {
    rig = started;
  });

  const live = () => ({ client: rig.client, pipeline: rig.pipeline });

  describe("captureLive", () => {
    it("stores the live aws-auth as the baseline version, then does not store the same resourceVersion twice", async () => {
      // Prepare
      const seeded = rig.server.seed(awsAuth(GOOD_DATA));

      // Act
      const first = await captureLive(live(), CLUSTER, "baseline");
      const second = await captureLive(live(), CLUSTER, "baseline again");

      // Assess
      expect(first).toMatchObject({
        operation: "capture",
        outcome: "stored",
        class: "routine",
        drift: false,
      });
      expect(second).toMatchObject({
        outcome: "already-stored",
        recordId: first.recordId,
        drift: false,
        alerted: false,
      });
      const record = await rig.store.getRecord(CLUSTER, first.recordId ?? "");
      expect(record?.configMap?.data).toStrictEqual(GOOD_DATA);
      expect(record?.resourceVersion).toBe(seeded.metadata.resourceVersion);
      expect(record?.capture?.reason).toBe("baseline");
      expect((await rig.store.getPointer(CLUSTER, "last-good"))?.id).toBe(first.recordId);
    });

    it("reports that there is nothing to capture when aws-auth does not exist and nothing is known", async () => {
      // Act
      const result = await captureLive(live(), CLUSTER, "baseline");

      // Assess
      expect(result).toMatchObject({ outcome: "missing", drift: false, alerted: false });
      expect(result.detail).toContain("aws-auth does not exist on https://127.0.0.1:");
      expect(await rig.store.listIds(CLUSTER)).toEqual([]);
    });

    it("alerts when aws-auth is gone while the latest record is a version", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));
      await rig.capture("baseline");
      rig.server.remove();

      // Act
      const result = await captureLive(live(), CLUSTER, "scheduled");

      // Assess
      expect(result).toMatchObject({ outcome: "missing", drift: true, alerted: true, class: "dangerous" });
      expect(rig.notifier.alerts[0]?.subject).toMatch(
        /^\[aws-auth DANGEROUS\] prod: aws-auth does not exist in the cluster/,
      );
    });
  });

  describe("verifyLive", () => {
    it("is in sync, stores nothing and alerts nobody when the live object is the latest record", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));
      const baseline = await rig.capture("baseline");

      // Act
      const result = await verifyLive(live(), CLUSTER);

      // Assess
      expect(result).toMatchObject({
        outcome: "in-sync",
        blindSpot: false,
        alerted: false,
        latestId: baseline.id,
      });
      expect(await rig.store.listIds(CLUSTER)).toEqual([baseline.id]);
      expect(rig.notifier.alerts).toEqual([]);
    });

    it("is in sync when aws-auth was rewritten without changing anyone's access", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));
      await rig.capture("baseline");
      rig.server.seed(awsAuth(GOOD_REWRITTEN));

      // Act
      const result = await verifyLive(live(), CLUSTER);

      // Assess
      expect(result).toMatchObject({ outcome: "in-sync", blindSpot: false });
      expect(rig.notifier.alerts).toEqual([]);
    });

    it("alerts a blind spot when the live aws-auth changed without an audit event", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));
      const baseline = await rig.capture("baseline");
      rig.server.seed(awsAuth(ESCALATED_DATA));

      // Act
      const result = await verifyLive(live(), CLUSTER);

      // Assess
      expect(result).toMatchObject({
        outcome: "drift",
        blindSpot: true,
        alerted: true,
        latestId: baseline.id,
      });
      expect(result.detail).toMatch(
        /^BLIND SPOT: the live aws-auth \(resourceVersion \d+\) differs from the latest record/,
      );
      const filed = await rig.store.getRecord(CLUSTER, result.recordId ?? "");
      expect(filed?.class).toBe("dangerous");
      expect(filed?.findings.map((f) => f.id)).toEqual(
        expect.arrayContaining(["unrecorded-change", "masters-granted"]),
      );
      const [alert] = rig.notifier.alerts;
      expect(alert?.email).toContain("no audit event explains it");
      expect(alert?.email).toContain(`+ role ${CONTRACTOR_ROLE}`);
      expect(alert?.email).toContain(`aws-auth-guardian restore --cluster prod --to ${baseline.id}`);
    });

    it("alerts once, with a tombstone and the restore command, when aws-auth vanished without an audit event", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));
      const baseline = await rig.capture("baseline");
      rig.server.remove();

      // Act
      const first = await verifyLive(live(), CLUSTER);
      const second = await verifyLive(live(), CLUSTER);

      // Assess
      expect(first).toMatchObject({
        outcome: "missing",
        blindSpot: true,
        alerted: true,
        latestId: baseline.id,
      });
      const tombstone = await rig.store.getRecord(CLUSTER, first.recordId ?? "");
      expect(tombstone).toMatchObject({ kind: "tombstone", class: "dangerous", predecessorId: baseline.id });
      expect((await rig.store.getPointer(CLUSTER, "latest"))?.id).toBe(first.recordId);
      expect((await rig.store.getPointer(CLUSTER, "last-good"))?.id).toBe(baseline.id);
      expect(rig.notifier.alerts).toHaveLength(1);
      expect(rig.notifier.alerts[0]?.email).toContain("no audit event of its deletion reached the guardian");
      expect(rig.notifier.alerts[0]?.email).toContain(
        `--to ${baseline.id} --direct --kubeconfig ~/.kube/config --store ${rig.dir}`,
      );
      expect(second).toMatchObject({ outcome: "absent", blindSpot: false, alerted: false });
    });

    it("alerts a blind spot when aws-auth reappears after a recorded deletion", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));
      await rig.capture("baseline");
      rig.server.remove();
      await verifyLive(live(), CLUSTER);
      rig.notifier.alerts.length = 0;
      rig.server.seed(awsAuth(ESCALATED_DATA));

      // Act
      const result = await verifyLive(live(), CLUSTER);

      // Assess
      expect(result).toMatchObject({ outcome: "drift", blindSpot: true, alerted: true });
      expect(rig.notifier.alerts.some((a) => a.email.includes("unrecorded-recreation"))).toBe(true);
    });

    it("takes the baseline when the store knows nothing of the cluster", async () => {
      // Prepare
      rig.server.seed(awsAuth(GOOD_DATA));

      // Act
      const result = await verifyLive(live(), CLUSTER);

      // Assess
      expect(result).toMatchObject({ outcome: "baseline", blindSpot: false });
      expect(await rig.store.listIds(CLUSTER)).toEqual([result.recordId]);
    });
  });
});
