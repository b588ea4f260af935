/**
 * One audit event → the guardian's view of one write to aws-auth (or "irrelevant", or "malformed"):
 * every recorded lab line, the public samples, and events derived from the lab for what it lacks
 * (shapes: shared reference "EKS audit events" §1, copied facts in test/fixtures/SOURCES.md).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  isTruncatedMessage,
  parseRequestUri,
  targetsAwsAuth,
  tookEffect,
  triageAuditEvent,
  triageTruncatedMessage,
} from "../../lambda/core/audit-event.js";
import {
  type AuditEventJson,
  applyEvent,
  backendTruncated,
  CLUSTER_ACCOUNT,
  createEvent,
  cutOff,
  deleteCollectionEvent,
  derivedAuditID,
  dryRun,
  EKS_ACCOUNT,
  goodData,
  IDENTITY,
  LAB_FILES,
  labEvent,
  labLines,
  refused,
  updateEvent,
  withRoles,
  writeOf,
} from "../support/events.js";

const PUBLIC = new URL("../fixtures/audit/public/", import.meta.url);

function publicEvent(file: string): unknown {
  return JSON.parse(readFileSync(new URL(file, PUBLIC), "utf8"));
}

function triageKind(event: unknown): string {
  return triageAuditEvent(event).kind;
}

describe("recorded lab lines", () => {
  it("sorts every recorded line: the writes to aws-auth are writes, every read is irrelevant", () => {
    const kinds = Object.values(LAB_FILES).flatMap((file) =>
      labLines(file).map((line) => {
        const event = JSON.parse(line) as AuditEventJson;
        return `${event.verb}:${triageKind(event)}`;
      }),
    );
    expect(kinds.filter((k) => k.endsWith(":write")).sort()).toEqual([
      "create:write",
      "delete:write",
      "patch:write",
      "patch:write",
      "patch:write",
      "patch:write",
      "update:write",
      "update:write",
    ]);
    expect(kinds.filter((k) => !k.endsWith(":write")).every((k) => k.endsWith(":irrelevant"))).toBe(true);
    expect(kinds).toHaveLength(18);
  });

  it("reads the EKS manager's update: content as stored, resourceVersion, object uid, the whole actor", () => {
    const write = writeOf(labEvent(LAB_FILES.nodeManagerUpdate, "update"));
    expect(write).toMatchObject({
      auditID: "f280e579-b421-4ae0-ab83-7de6e8ae7866",
      verb: "update",
      requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth?timeout=19s",
      time: "2026-11-22T13:03:51.693696Z",
      level: "RequestResponse",
      code: 200,
      decision: "allow",
      dryRun: false,
      truncated: false,
      resourceVersion: "202",
      objectUid: "fa8784fd-2f69-4405-bfa5-68eba918cf26",
    });
    expect(write.patchKind).toBeUndefined();
    // The stored object is the responseObject (rv 202), not the request (rv 201).
    expect(write.stored?.metadata.resourceVersion).toBe("202");
    expect(write.stored?.data?.mapRoles).not.toContain("my-fargate-profile-role");
    expect(write.actor).toEqual({
      username: "eks:node-manager",
      uid: "aws-iam-authenticator:782030699418:AROA3MWIK2NKVFR6XWNJA",
      groups: ["system:authenticated"],
      arn: "arn:aws:sts::782030699418:assumed-role/AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL/AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL",
      canonicalArn:
        "arn:aws:iam::782030699418:role/AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL",
      sessionName: "AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL",
      account: EKS_ACCOUNT,
      sourceIPs: ["127.0.0.1"],
      userAgent: "bootstrap/v0.0.0 (linux/amd64) kubernetes/$Format",
    });
    expect(tookEffect(write)).toBe(true);
  });

  it("tells the patch types apart: JSON patch is an array, kubectl edit/patch send an object", () => {
    const jsonPatch = writeOf(labEvent(LAB_FILES.terraformJsonPatch, "patch"));
    expect(jsonPatch.patchKind).toBe("json-patch");
    expect(jsonPatch.resourceVersion).toBe("204");
    const edit = writeOf(labEvent(LAB_FILES.ssoEditPatch, "patch"));
    expect(edit).toMatchObject({
      patchKind: "merge-or-strategic-merge",
      fieldManager: "kubectl-edit",
      resourceVersion: "206",
    });
    const smp = writeOf(labEvent(LAB_FILES.escalationPatch, "patch"));
    expect(smp).toMatchObject({ patchKind: "merge-or-strategic-merge", fieldManager: "kubectl-patch" });
  });

  it("reads a create logged at Metadata level: a write with no content", () => {
    const write = writeOf(labEvent(LAB_FILES.create, "create"));
    expect(write).toMatchObject({ verb: "create", code: 201, level: "Metadata", truncated: false });
    expect(write.stored).toBeUndefined();
    expect(write.resourceVersion).toBeUndefined();
    // The URI is the collection's; only objectRef.name says it is aws-auth.
    expect(write.requestURI).toBe("/api/v1/namespaces/kube-system/configmaps");
  });

  it("reads the delete: no content, the deleted object's uid from the Status details", () => {
    const write = writeOf(labEvent(LAB_FILES.delete, "delete"));
    expect(write).toMatchObject({
      verb: "delete",
      code: 200,
      objectUid: "fa8784fd-2f69-4405-bfa5-68eba918cf26",
    });
    expect(write.stored).toBeUndefined();
  });

  it("reads the refused patch: 403, decision forbid, the API server's message; it took no effect", () => {
    const write = writeOf(labEvent(LAB_FILES.forbiddenPatch, "patch"));
    expect(write).toMatchObject({ code: 403, decision: "forbid" });
    expect(write.statusMessage).toContain('cannot patch resource "configmaps"');
    expect(tookEffect(write)).toBe(false);
  });
});

describe("derived events (lab envelopes, one field changed)", () => {
  it("recognises server-side apply by its force parameter, also when it creates aws-auth (201)", () => {
    const write = writeOf(
      applyEvent({ auditID: derivedAuditID(101), data: goodData(), resourceVersion: "301", creates: true }),
    );
    expect(write).toMatchObject({ verb: "patch", patchKind: "apply", code: 201, resourceVersion: "301" });
    expect(write.fieldManager).toBe("kubectl");
  });

  it("flags a dry run (dryRun=All), which takes no effect", () => {
    const write = writeOf(
      dryRun(updateEvent({ auditID: derivedAuditID(102), data: goodData(), resourceVersion: "205" })),
    );
    expect(write.dryRun).toBe(true);
    expect(tookEffect(write)).toBe(false);
    // dryRun=None or another parameter is not a dry run.
    const notDry = updateEvent({ auditID: derivedAuditID(103), data: goodData(), resourceVersion: "205" });
    notDry.requestURI += "&dryRun=None";
    expect(writeOf(notDry).dryRun).toBe(false);
  });

  it("reads a 409 conflict: a write that took no effect and has no stored content", () => {
    const write = writeOf(
      refused(
        updateEvent({ auditID: derivedAuditID(104), data: goodData(), resourceVersion: "205" }),
        409,
        'Operation cannot be fulfilled on configmaps "aws-auth": the object has been modified',
      ),
    );
    expect(write.code).toBe(409);
    expect(write.stored).toBeUndefined();
    expect(tookEffect(write)).toBe(false);
  });

  it("reads deletecollection of configmaps in kube-system (no objectRef.name) as a write to aws-auth", () => {
    const write = writeOf(deleteCollectionEvent({ auditID: derivedAuditID(105) }));
    expect(write).toMatchObject({ verb: "deletecollection", code: 200, level: "Metadata" });
    const withSelector = writeOf(
      deleteCollectionEvent({ auditID: derivedAuditID(106), query: "labelSelector=app%3Ddemo" }),
    );
    expect(withSelector.verb).toBe("deletecollection");
  });

  it("flags an event whose bodies the audit backend dropped (audit.k8s.io/truncated)", () => {
    const write = writeOf(
      backendTruncated(
        updateEvent({ auditID: derivedAuditID(107), data: goodData(), resourceVersion: "205" }),
      ),
    );
    expect(write.truncated).toBe(true);
    expect(write.stored).toBeUndefined();
    expect(write.code).toBe(200);
  });

  it("does not trust a responseObject that is not a ConfigMap with string data", () => {
    const event = updateEvent({ auditID: derivedAuditID(108), data: goodData(), resourceVersion: "205" });
    (event.responseObject as { data: unknown }).data = { mapRoles: ["not", "a", "string"] };
    expect(writeOf(event).stored).toBeUndefined();
  });

  it("derives the canonical ARN from the STS ARN and the account from the uid when extra lacks them", () => {
    const event = labEvent(LAB_FILES.ssoEditPatch, "patch");
    delete event.user.extra?.canonicalArn;
    expect(writeOf(event).actor.canonicalArn).toBe(
      `arn:aws:iam::${CLUSTER_ACCOUNT}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`,
    );
    delete event.user.extra;
    expect(writeOf(event).actor).toMatchObject({ account: CLUSTER_ACCOUNT });
    expect(writeOf(event).actor.canonicalArn).toBeUndefined();
  });

  it("records impersonation: the real user stays the actor", () => {
    const event = labEvent(LAB_FILES.escalationPatch, "patch") as AuditEventJson & {
      impersonatedUser?: unknown;
    };
    event.impersonatedUser = { username: "eks:node-manager", groups: ["system:authenticated"] };
    const write = writeOf(event);
    expect(write.actor.username).toBe("sso-admin:jane.doe-example.com");
    expect(write.actor.impersonatedUser).toBe("eks:node-manager");
  });
});

describe("what is not a write to aws-auth", () => {
  const write = () => labEvent(LAB_FILES.escalationPatch, "patch");
  const cases: Array<[string, (e: AuditEventJson) => void]> = [
    ["a get of aws-auth", (e) => Object.assign(e, { verb: "get" })],
    ["a list with fieldSelector metadata.name=aws-auth", (e) => Object.assign(e, { verb: "list" })],
    ["a watch of aws-auth", (e) => Object.assign(e, { verb: "watch" })],
    ["another ConfigMap in kube-system", (e) => Object.assign(e.objectRef, { name: "coredns" })],
    ["a ConfigMap named aws-auth-backup", (e) => Object.assign(e.objectRef, { name: "aws-auth-backup" })],
    ["aws-auth in another namespace", (e) => Object.assign(e.objectRef, { namespace: "default" })],
    ["a Secret named aws-auth", (e) => Object.assign(e.objectRef, { resource: "secrets" })],
    [
      "a custom resource whose plural is configmaps (apiGroup example.com)",
      (e) => {
        Object.assign(e.objectRef, { apiGroup: "example.com" });
        e.requestURI = "/apis/example.com/v1/namespaces/kube-system/configmaps/aws-auth";
      },
    ],
    ["a subresource of aws-auth", (e) => Object.assign(e.objectRef, { subresource: "status" })],
    [
      "deletecollection in another namespace",
      (e) => {
        e.verb = "deletecollection";
        delete e.objectRef.name;
        e.objectRef.namespace = "default";
      },
    ],
    [
      "the RequestReceived stage (EKS omits it; it would double the event)",
      (e) => Object.assign(e, { stage: "RequestReceived" }),
    ],
    ["the ResponseStarted stage of a long request", (e) => Object.assign(e, { stage: "ResponseStarted" })],
  ];
  for (const [name, change] of cases) {
    it(`${name} is irrelevant`, () => {
      const event = write();
      change(event);
      expect(triageAuditEvent(event)).toEqual({ kind: "irrelevant" });
    });
  }

  it("every public sample of other requests is irrelevant (or malformed when shortened)", () => {
    for (const file of [
      "k01-k8s-minikube-configmap-create-requestresponse.json",
      "p01-panther-kubectl-get-pods-log-with-user-extra.json",
      "p02-panther-eks-addon-manager-get-deployments.json",
      "p03-panther-kubelet-create-serviceaccount-token.json",
      "r01-eks-configmap-create-metadata-level.json",
      "r02-eks-configmap-delete-metadata-level.json",
      "r03-eks-access-entry-list-namespaces.json",
      "r04-eks-kubelet-get-pv-forbidden-403.json",
      "r05-eks-certificate-controller-csr-approval-requestresponse.json",
    ]) {
      expect([file, triageKind(publicEvent(file))]).toEqual([file, "irrelevant"]);
    }
    // Panther's sample lacks auditID and verb.
    expect(triageAuditEvent(publicEvent("p04-panther-anonymous-elb-healthcheck.json"))).toEqual({
      kind: "malformed",
      reason: "audit event lacks auditID or verb",
    });
  });

  it("reports what is not an audit event at all", () => {
    expect(triageAuditEvent([1, 2])).toEqual({
      kind: "malformed",
      reason: "audit event is not a JSON object",
    });
    expect(triageAuditEvent({ auditID: "x" })).toEqual({
      kind: "malformed",
      reason: "audit event lacks auditID or verb",
      auditID: "x",
    });
  });
});

describe("messages CloudWatch cut off ([Truncated...])", () => {
  const update = () =>
    updateEvent({
      auditID: derivedAuditID(110),
      identity: IDENTITY.ssoAdmin(),
      data: withRoles(goodData(), "- rolearn: arn:aws:iam::012345678901:role/x\n  username: x\n"),
      resourceVersion: "205",
    });

  it("recovers auditID, verb, URI, status code and the whole actor from the envelope, flagged truncated", () => {
    const text = cutOff(update(), 2048);
    expect(() => JSON.parse(text)).toThrow();
    expect(isTruncatedMessage(text)).toBe(true);
    const triage = triageTruncatedMessage(text);
    if (triage.kind !== "write") throw new Error(JSON.stringify(triage));
    expect(triage.write).toMatchObject({
      auditID: derivedAuditID(110),
      verb: "update",
      requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth?timeout=19s",
      code: 200,
      dryRun: false,
      truncated: true,
      // The timestamps come after the bodies: lost.
      time: "",
    });
    expect(triage.write.stored).toBeUndefined();
    expect(triage.write.actor).toEqual(writeOf(update()).actor);
  });

  it("recovers a refusal (409) so that a cut-off conflict is not mistaken for a change", () => {
    const text = cutOff(refused(update(), 409, "the object has been modified"), 2200);
    const triage = triageTruncatedMessage(text);
    if (triage.kind !== "write") throw new Error(JSON.stringify(triage));
    expect(triage.write.code).toBe(409);
    expect(tookEffect(triage.write)).toBe(false);
  });

  it("still reads the essentials when the cut falls inside the user", () => {
    const full = JSON.stringify(update());
    const text = `${full.slice(0, full.indexOf('"groups"'))}[Truncated...]`;
    const triage = triageTruncatedMessage(text);
    if (triage.kind !== "write") throw new Error(JSON.stringify(triage));
    expect(triage.write.actor.username).toBe("sso-admin:jane.doe-example.com");
    expect(triage.write.code).toBeUndefined();
  });

  it("reports a message cut before the verb or the URI, with the auditID when it survived", () => {
    const full = JSON.stringify(update());
    expect(triageTruncatedMessage(`${full.slice(0, 80)}[Truncated...]`)).toEqual({
      kind: "malformed",
      reason: "truncated audit event: auditID, verb or requestURI could not be recovered",
    });
    const afterAuditID = full.indexOf('"stage"');
    expect(triageTruncatedMessage(`${full.slice(0, afterAuditID)}[Truncated...]`)).toEqual({
      kind: "malformed",
      reason: "truncated audit event: auditID, verb or requestURI could not be recovered",
      auditID: derivedAuditID(110),
    });
  });

  it("finds a cut-off write to another ConfigMap irrelevant", () => {
    const event = update();
    event.requestURI = "/api/v1/namespaces/kube-system/configmaps/coredns";
    expect(triageTruncatedMessage(cutOff(event, 2048))).toEqual({ kind: "irrelevant" });
  });

  it("knows a cut-off message only by its ending", () => {
    expect(isTruncatedMessage('{"kind":"Event" [Truncated...]\n')).toBe(true);
    expect(isTruncatedMessage('{"kind":"Event"')).toBe(false);
  });
});

describe("request URIs", () => {
  it("parses core-group object and collection URIs, and refuses subresources", () => {
    expect(parseRequestUri("/api/v1/namespaces/kube-system/configmaps/aws-auth?timeout=19s")).toEqual({
      namespace: "kube-system",
      resource: "configmaps",
      name: "aws-auth",
    });
    expect(parseRequestUri("/api/v1/namespaces/kube-system/configmaps")).toEqual({
      namespace: "kube-system",
      resource: "configmaps",
    });
    expect(parseRequestUri("/api/v1/namespaces/kube-system/configmaps/aws-auth/status")).toEqual({});
    expect(parseRequestUri("/apis/example.com/v1/namespaces/kube-system/configmaps/aws-auth")).toEqual({});
  });

  it("targets aws-auth with the write verbs, and with any deletecollection of kube-system configmaps", () => {
    for (const verb of ["update", "patch", "create", "delete"]) {
      expect(targetsAwsAuth(verb, "configmaps", "kube-system", "aws-auth")).toBe(true);
    }
    expect(targetsAwsAuth("deletecollection", "configmaps", "kube-system")).toBe(true);
    expect(targetsAwsAuth("get", "configmaps", "kube-system", "aws-auth")).toBe(false);
    expect(targetsAwsAuth("create", "configmaps", "kube-system")).toBe(false);
  });
});

describe("events EKS logs without content", () => {
  it("create, deletecollection and backend-truncated events carry no stored object", () => {
    for (const event of [
      createEvent({ auditID: derivedAuditID(120) }),
      deleteCollectionEvent({ auditID: derivedAuditID(121) }),
      backendTruncated(labEvent(LAB_FILES.fargateManagerUpdate, "update")),
    ]) {
      expect(writeOf(event).stored).toBeUndefined();
    }
  });
});
