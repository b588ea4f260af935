/**
 * Every way audit events reach the guardian, decoded into one shape (shared reference §2): raw lines,
 * one pretty-printed event, an EventList, the CloudWatch Logs Lambda event (built here for real:
 * base64 of gzip of the payload), its decoded payload, `aws logs filter-log-events` output, gzip of
 * any of these. A bad line is reported with its source and never stops the rest.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  clusterFromLogGroup,
  decodeAuditInput,
  decodeAwsLogsEvent,
  decodeSubscriptionPayload,
} from "../../lambda/core/audit-input.js";
import {
  type AuditEventJson,
  createEvent,
  cutOff,
  deleteCollectionEvent,
  derivedAuditID,
  goodData,
  IDENTITY,
  jsonl,
  LAB_FILES,
  labEvent,
  labLines,
  updateEvent,
} from "../support/events.js";

const CLUSTER = "prod-eu";
const LOG_GROUP = `/aws/eks/${CLUSTER}/cluster`;
const LOG_STREAM = "kube-apiserver-audit-0a1b2c3d4e5f67890a1b2c3d4e5f6789";

/** The recorded lines of the incident, in order: 8 writes among 18 lines. */
function incidentLines(): string[] {
  return Object.values(LAB_FILES).flatMap((file) => labLines(file));
}

function logEvent(message: string, index: number) {
  return {
    id: `3759823761234567890123456789012345678901234567890123${String(index).padStart(4, "0")}`,
    timestamp: Date.parse("2026-11-22T13:03:49.000Z") + index * 1000,
    message,
  };
}

function dataMessage(messages: string[]) {
  return {
    messageType: "DATA_MESSAGE",
    owner: "012345678901",
    logGroup: LOG_GROUP,
    logStream: LOG_STREAM,
    subscriptionFilters: ["aws-auth-guardian"],
    logEvents: messages.map(logEvent),
  };
}

const CONTROL_MESSAGE = {
  messageType: "CONTROL_MESSAGE",
  owner: "CloudwatchLogs",
  logGroup: "",
  logStream: "",
  subscriptionFilters: [],
  logEvents: [
    {
      id: "",
      timestamp: 1732280629000,
      message: "CWL CONTROL MESSAGE: Checking health of destination Firehose.",
    },
  ],
};

/** What CloudWatch Logs hands the Lambda: `{"awslogs":{"data": base64(gzip(JSON))}}`. */
function awslogsEvent(payload: unknown) {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

function auditIDs(decoded: ReturnType<typeof decodeAuditInput>): string[] {
  return decoded.writes.map((w) => w.write.auditID);
}

const INCIDENT_WRITE_IDS = [
  "762cbfa1-9db5-4ab9-b7e3-9446ae04d446",
  "f280e579-b421-4ae0-ab83-7de6e8ae7866",
  "aa95291a-6d55-4ccf-9fed-acef4da728de",
  "3eb7446f-bab7-408c-bb41-6d05378e017a",
  "87691861-29d8-445f-8ad0-dfa1466ae69d",
  "90c0884f-20cc-4868-b16e-ad065f767827",
  "2f278804-b428-46ea-97c4-572dfef9c42e",
  "744e291d-8a7e-48ba-a062-766bc10044b7",
];

describe("raw audit events", () => {
  it("reads one event per line, keeps the order, counts the reads as irrelevant", () => {
    const decoded = decodeAuditInput(incidentLines().join("\n"), "incident.jsonl");
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.irrelevant).toBe(10);
    expect(decoded.problems).toEqual([]);
    expect(decoded.writes[0]?.source).toBe("incident.jsonl:1");
    // Raw lines name neither the cluster nor its account.
    expect(decoded.writes[0]?.cluster).toBeUndefined();
    expect(decoded.writes[0]?.owner).toBeUndefined();
  });

  it("reads CRLF line endings and blank lines", () => {
    const decoded = decodeAuditInput(`\r\n${incidentLines().join("\r\n\r\n")}\r\n`, "crlf.jsonl");
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.problems).toEqual([]);
  });

  it("reads a single pretty-printed event", () => {
    const event = labEvent(LAB_FILES.escalationPatch, "patch");
    const decoded = decodeAuditInput(JSON.stringify(event, null, 2), "event.json");
    expect(auditIDs(decoded)).toEqual(["90c0884f-20cc-4868-b16e-ad065f767827"]);
    expect(decoded.writes[0]?.source).toBe("event.json");
    expect(decoded.writes[0]?.write.stored?.metadata.resourceVersion).toBe("208");
  });

  it("reads pretty-printed events one after another (what `jq .` prints), each named by its first line", () => {
    // Prepare: jq prints every event over many lines, one after the other, no separator.
    const events = incidentLines().map((l) => JSON.parse(l) as AuditEventJson);
    const text = events.map((e) => JSON.stringify(e, null, 2)).join("\n");
    const firstLines: number[] = [];
    let line = 1;
    for (const e of events) {
      firstLines.push(line);
      line += JSON.stringify(e, null, 2).split("\n").length;
    }

    // Act
    const decoded = decodeAuditInput(text, "jq.json");

    // Assess
    expect(decoded.problems).toEqual([]);
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.irrelevant).toBe(events.length - INCIDENT_WRITE_IDS.length);
    const index = events.findIndex((e) => e.auditID === INCIDENT_WRITE_IDS[0]);
    expect(decoded.writes[0]?.source).toBe(`jq.json:${firstLines[index]}`);
  });

  it("reports a pretty-printed document cut short, and reads the lines before it", () => {
    const [first, second] = incidentLines();
    const cut = JSON.stringify(JSON.parse(second as string), null, 2)
      .split("\n")
      .slice(0, 12)
      .join("\n");
    const decoded = decodeAuditInput(`${first}\n${cut}\n`, "cut.json");
    expect(decoded.irrelevant + decoded.writes.length).toBe(1);
    expect(decoded.problems).toHaveLength(1);
    expect(decoded.problems[0]?.source).toBe("cut.json:2");
  });

  it("reports JSON that holds no event: an array of numbers, an object of another kind", () => {
    expect(decodeAuditInput("[1,2,3]", "numbers.json").problems.map((p) => p.source)).toEqual([
      "numbers.json[0]",
      "numbers.json[1]",
      "numbers.json[2]",
    ]);
    expect(decodeAuditInput('{"hello":"world"}\n', "other.json").problems).toEqual([
      { source: "other.json", reason: "JSON line is neither an audit event nor a log export" },
    ]);
  });

  it("reads an EventList (what a webhook audit backend posts) and a JSON array of events", () => {
    const items = incidentLines().map((l) => JSON.parse(l) as AuditEventJson);
    const list = { kind: "EventList", apiVersion: "audit.k8s.io/v1", metadata: {}, items };
    const decoded = decodeAuditInput(JSON.stringify(list, null, 1), "list.json");
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.irrelevant).toBe(10);
    expect(decoded.writes[1]?.source).toBe("list.json item 4");
    expect(auditIDs(decodeAuditInput(JSON.stringify(items), "array.json"))).toEqual(INCIDENT_WRITE_IDS);
  });

  it("inflates gzip input of any format first", () => {
    const plain = incidentLines().join("\n");
    expect(auditIDs(decodeAuditInput(gzipSync(plain), "incident.jsonl.gz"))).toEqual(INCIDENT_WRITE_IDS);
    const payload = JSON.stringify(dataMessage(incidentLines()));
    expect(auditIDs(decodeAuditInput(gzipSync(payload), "payload.json.gz"))).toEqual(INCIDENT_WRITE_IDS);
  });

  it("reports a gzip stream that does not inflate", () => {
    const broken = gzipSync("x".repeat(1000)).subarray(0, 20);
    const decoded = decodeAuditInput(broken, "broken.gz");
    expect(decoded.writes).toEqual([]);
    expect(decoded.problems).toHaveLength(1);
    expect(decoded.problems[0]?.source).toBe("broken.gz");
    expect(decoded.problems[0]?.reason).toMatch(/^bad gzip: /);
  });

  it("reports a bad line in the middle with its source and reads everything after it", () => {
    const lines = incidentLines();
    const withGarbage = [
      ...lines.slice(0, 3),
      'I1122 13:03:52.000000 controller.go:42] synced "kube-system/aws-auth"',
      '{"kind":"Event","apiVersion":"audit.k8s.io/v1"',
      '{"some":"json","but":"not an event"}',
      ...lines.slice(3),
    ];
    const decoded = decodeAuditInput(withGarbage.join("\n"), "mixed.jsonl");
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.problems.map((p) => p.source)).toEqual([
      "mixed.jsonl:4",
      "mixed.jsonl:5",
      "mixed.jsonl:6",
    ]);
    expect(decoded.problems[0]?.reason).toMatch(/^not JSON: "I1122/);
    expect(decoded.problems[2]?.reason).toBe("JSON line is neither an audit event nor a log export");
    // The line after the garbage keeps its own line number.
    expect(decoded.writes[1]?.source).toBe("mixed.jsonl:7");
  });

  it("counts irrelevant events: reads, other ConfigMaps, other namespaces, Secrets named aws-auth", () => {
    const base = () => labEvent(LAB_FILES.escalationPatch, "patch");
    const other = [
      labEvent(LAB_FILES.create, "get"),
      Object.assign(base(), { objectRef: { ...base().objectRef, name: "coredns" } }),
      Object.assign(base(), { objectRef: { ...base().objectRef, namespace: "default" } }),
      Object.assign(base(), { objectRef: { ...base().objectRef, resource: "secrets" } }),
      Object.assign(deleteCollectionEvent({ auditID: derivedAuditID(201) }), {
        objectRef: { resource: "configmaps", namespace: "default", apiVersion: "v1" },
      }),
    ];
    const decoded = decodeAuditInput(jsonl(other), "other.jsonl");
    expect(decoded).toEqual({ writes: [], problems: [], irrelevant: 5, controlMessages: 0 });
  });
});

describe("events without content", () => {
  it("keeps a create at Metadata level and a deletecollection (no name) as writes without content", () => {
    const decoded = decodeAuditInput(
      jsonl([
        createEvent({ auditID: derivedAuditID(210) }),
        deleteCollectionEvent({ auditID: derivedAuditID(211) }),
      ]),
      "bodiless.jsonl",
    );
    expect(decoded.writes.map((w) => [w.write.verb, w.write.stored === undefined])).toEqual([
      ["create", true],
      ["deletecollection", true],
    ]);
  });

  it("keeps an event the backend truncated (audit.k8s.io/truncated) as a write flagged truncated", () => {
    const event = labEvent(LAB_FILES.fargateManagerUpdate, "update");
    delete event.requestObject;
    delete event.responseObject;
    event.annotations = { ...event.annotations, "audit.k8s.io/truncated": "true" };
    const [decoded] = decodeAuditInput(JSON.stringify(event), "t.jsonl").writes;
    expect(decoded?.write.truncated).toBe(true);
    expect(decoded?.write.stored).toBeUndefined();
  });

  it("recovers cut-off messages among whole ones and reports one that cannot be recovered", () => {
    const cut = cutOff(labEvent(LAB_FILES.fargateManagerUpdate, "update"), 2048);
    const hopeless = `${JSON.stringify(labEvent(LAB_FILES.nodeManagerUpdate, "update")).slice(0, 60)}[Truncated...]`;
    const decoded = decodeAuditInput(
      [labLines(LAB_FILES.create)[0], cut, hopeless, labLines(LAB_FILES.delete)[0]].join("\n"),
      "cut.jsonl",
    );
    expect(decoded.writes.map((w) => [w.write.verb, w.write.truncated, w.source])).toEqual([
      ["create", false, "cut.jsonl:1"],
      ["update", true, "cut.jsonl:2"],
      ["delete", false, "cut.jsonl:4"],
    ]);
    expect(decoded.writes[1]?.write.auditID).toBe("aa95291a-6d55-4ccf-9fed-acef4da728de");
    expect(decoded.problems).toEqual([
      {
        source: "cut.jsonl:3",
        reason: "truncated audit event: auditID, verb or requestURI could not be recovered",
      },
    ]);
  });
});

describe("CloudWatch Logs", () => {
  it("decodes the Lambda event: base64 gzip payload, cluster from the log group, account from owner", () => {
    const decoded = decodeAwsLogsEvent(awslogsEvent(dataMessage(incidentLines())));
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.irrelevant).toBe(10);
    for (const w of decoded.writes) {
      expect(w.cluster).toBe(CLUSTER);
      expect(w.owner).toBe("012345678901");
    }
    expect(decoded.writes[0]?.source).toBe(
      "awslogs logEvent 37598237612345678901234567890123456789012345678901230000",
    );
  });

  it("ignores a CONTROL_MESSAGE (counted, nothing else)", () => {
    expect(decodeAwsLogsEvent(awslogsEvent(CONTROL_MESSAGE))).toEqual({
      writes: [],
      problems: [],
      irrelevant: 0,
      controlMessages: 1,
    });
  });

  it("reads Lambda events and payloads saved one per line, control messages among them", () => {
    const lines = [
      JSON.stringify(awslogsEvent(CONTROL_MESSAGE)),
      JSON.stringify(awslogsEvent(dataMessage(labLines(LAB_FILES.nodeManagerUpdate)))),
      JSON.stringify(dataMessage(labLines(LAB_FILES.fargateManagerUpdate))),
      JSON.stringify(CONTROL_MESSAGE),
    ];
    const decoded = decodeAuditInput(lines.join("\n"), "invocations.jsonl");
    expect(auditIDs(decoded)).toEqual([
      "f280e579-b421-4ae0-ab83-7de6e8ae7866",
      "aa95291a-6d55-4ccf-9fed-acef4da728de",
    ]);
    expect(decoded.controlMessages).toBe(2);
    expect(decoded.irrelevant).toBe(2);
    expect(decoded.writes.map((w) => w.source)).toEqual([
      "invocations.jsonl:2 logEvent 37598237612345678901234567890123456789012345678901230001",
      "invocations.jsonl:3 logEvent 37598237612345678901234567890123456789012345678901230001",
    ]);
  });

  it("dates a cut-off message by its log event's timestamp (its own timestamps were cut away)", () => {
    const cut = cutOff(labEvent(LAB_FILES.fargateManagerUpdate, "update"), 2048);
    const [decoded] = decodeSubscriptionPayload(dataMessage([cut]), "payload").writes;
    expect(decoded?.write.truncated).toBe(true);
    expect(decoded?.write.time).toBe("2026-11-22T13:03:49.000Z");
    // A whole event keeps its own stageTimestamp.
    const [whole] = decodeSubscriptionPayload(dataMessage(labLines(LAB_FILES.delete)), "payload").writes;
    expect(whole?.write.time).toBe("2026-11-22T13:04:29.556495Z");
  });

  it("reports an awslogs.data that is not base64 gzip JSON, and a DATA_MESSAGE without events", () => {
    const bad = decodeAwsLogsEvent({ awslogs: { data: Buffer.from("not gzip").toString("base64") } }, "inv");
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]?.source).toBe("inv");
    expect(bad.problems[0]?.reason).toMatch(/^awslogs\.data is not base64 gzip JSON/);
    expect(decodeSubscriptionPayload({ messageType: "DATA_MESSAGE" }, "p").problems).toEqual([
      { source: "p", reason: "DATA_MESSAGE without logEvents" },
    ]);
    expect(decodeAwsLogsEvent({ awslogs: {} }, "inv").problems).toEqual([
      { source: "inv", reason: "no awslogs.data string" },
    ]);
  });

  it("reads `aws logs filter-log-events` output, naming each event by its eventId", () => {
    const output = {
      events: incidentLines().map((message, i) => ({
        logStreamName: LOG_STREAM,
        timestamp: 1732280629000 + i,
        message,
        ingestionTime: 1732280630000 + i,
        eventId: `37598237612345678901234567890123456789012345678901234${String(i).padStart(3, "0")}`,
      })),
      searchedLogStreams: [],
    };
    const decoded = decodeAuditInput(JSON.stringify(output, null, 4), "export.json");
    expect(auditIDs(decoded)).toEqual(INCIDENT_WRITE_IDS);
    expect(decoded.irrelevant).toBe(10);
    expect(decoded.writes[0]?.source).toBe(
      "export.json logEvent 37598237612345678901234567890123456789012345678901234000",
    );
    // filter-log-events names no log group: no cluster, no owner.
    expect(decoded.writes[0]?.cluster).toBeUndefined();
  });

  it("reports a log event without a message and goes on", () => {
    const decoded = decodeAuditInput(
      JSON.stringify({
        events: [{ eventId: "e1" }, { eventId: "e2", message: labLines(LAB_FILES.delete)[0] }],
      }),
      "export.json",
    );
    expect(decoded.problems).toEqual([
      { source: "export.json logEvent e1", reason: "log event has no message string" },
    ]);
    expect(decoded.writes).toHaveLength(1);
  });

  it("finds the cluster in /aws/eks/<cluster>/cluster only", () => {
    expect(clusterFromLogGroup("/aws/eks/prod-eu/cluster")).toBe("prod-eu");
    expect(clusterFromLogGroup("/aws/lambda/aws-auth-guardian")).toBeUndefined();
    expect(clusterFromLogGroup(undefined)).toBeUndefined();
  });
});

describe("empty input", () => {
  it("is nothing at all, not a problem", () => {
    expect(decodeAuditInput("\n \n", "empty")).toEqual({
      writes: [],
      problems: [],
      irrelevant: 0,
      controlMessages: 0,
    });
  });
});

describe("identities survive decoding", () => {
  it("keeps every actor field through the CloudWatch path", () => {
    const event = updateEvent({
      auditID: derivedAuditID(220),
      identity: IDENTITY.ssoAdmin(),
      data: goodData(),
      resourceVersion: "205",
    });
    const [decoded] = decodeAwsLogsEvent(awslogsEvent(dataMessage([JSON.stringify(event)]))).writes;
    expect(decoded?.write.actor).toMatchObject({
      username: "sso-admin:jane.doe-example.com",
      sessionName: "jane.doe@example.com",
      sourceIPs: ["127.0.0.1"],
    });
  });
});
