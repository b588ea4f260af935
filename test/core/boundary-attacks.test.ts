/**
 * Issue 8, "blinding": single events built to make the decoder throw, drop a write or poison what it
 * returns. Each starts from a recorded event (test/fixtures/audit/lab) and changes one thing. The
 * decoder must turn each into a result for that event alone: a write (judged on what is usable),
 * an irrelevant event, or a reported problem with where and why.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeAuditInput, decodeAwsLogsEvent } from "../../lambda/core/audit-input.js";
import { awslogsEvent } from "../fuzz/fuzzer.js";
import { type AuditEventJson, LAB_FILES, labEvent } from "../support/events.js";

const ESCALATION = labEvent(LAB_FILES.escalationPatch, "patch");
const FORBIDDEN = labEvent(LAB_FILES.forbiddenPatch, "patch");

function line(event: unknown): string {
  return JSON.stringify(event);
}

function withUri(event: AuditEventJson, query: string): AuditEventJson {
  return { ...structuredClone(event), requestURI: `${event.requestURI.split("?")[0]}?${query}` };
}

function withRawAt(event: unknown, path: string[], raw: string): string {
  const copy = structuredClone(event) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1) as string] = "\u0000RAW\u0000";
  return JSON.stringify(copy).replace('"\\u0000RAW\\u0000"', () => raw);
}

const DEEP_ARRAY = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}"x"${"}".repeat(10_000)}`;

describe("a malformed %-escape in requestURI", () => {
  it.each(["fieldManager=%E0%A4%A", "fieldManager=%ZZ&dryRun=All", "dryRun=%", "force=%C0"])(
    "does not throw out of the decoder, and the escalation in the same delivery is still decoded (%s)",
    (query) => {
      // Prepare: a read-only user's refused PATCH with a bad escape, then a real escalation.
      const event = awslogsEvent([line(withUri(FORBIDDEN, query)), line(ESCALATION)]);
      // Act
      const decoded = decodeAwsLogsEvent(event);
      // Assess
      expect(decoded.writes.map((w) => w.write.auditID)).toEqual([FORBIDDEN.auditID, ESCALATION.auditID]);
      expect(decoded.writes[0]?.write.code).toBe(403);
    },
  );

  it("reads the query as the API server does: a pair that does not unescape is skipped", () => {
    const write = (query: string) =>
      decodeAuditInput(line(withUri(ESCALATION, query)), "x.jsonl").writes[0]?.write;
    expect(write("dryRun=%ZZ")?.dryRun).toBe(false);
    expect(write("dryRun=%ZZ&dryRun=All")?.dryRun).toBe(true);
    expect(write("fieldManager=%E0%A4%A&fieldManager=kubectl-edit")?.fieldManager).toBe("kubectl-edit");
    expect(write("fieldManager=kubectl+edit")?.fieldManager).toBe("kubectl edit");
    expect(write("field%4Danager=a%2Fb")?.fieldManager).toBe("a/b");
  });
});

describe("a numeric resourceVersion", () => {
  it("does not drop the write: it is judged as a write whose content is not known, and reported", () => {
    // Prepare
    const event = structuredClone(ESCALATION) as AuditEventJson & {
      responseObject: { metadata: Record<string, unknown> };
    };
    event.responseObject.metadata.resourceVersion = 208 as unknown as string;
    // Act
    const decoded = decodeAuditInput(line(event), "x.jsonl");
    // Assess
    expect(decoded.writes).toHaveLength(1);
    const write = decoded.writes[0]?.write;
    expect(write?.auditID).toBe(ESCALATION.auditID);
    expect(write?.stored).toBeUndefined();
    expect(write?.resourceVersion).toBeUndefined();
    expect(decoded.problems).toEqual([
      expect.objectContaining({
        auditID: ESCALATION.auditID,
        reason: expect.stringContaining(
          "responseObject.metadata.resourceVersion: expected string, got number",
        ),
      }),
    ]);
  });
});

describe("deep nesting", () => {
  it("an array nested 10,000 deep as a whole line is one problem; the next line is still read", () => {
    const decoded = decodeAuditInput(`${DEEP_ARRAY}\n${line(ESCALATION)}\n`, "deep.jsonl");
    expect(decoded.writes.map((w) => w.write.auditID)).toEqual([ESCALATION.auditID]);
    expect(decoded.problems).toHaveLength(1);
    expect(decoded.problems[0]?.source).toMatch(/^deep\.jsonl:1\b/);
  });

  it("a whole document nested 10,000 deep is one problem", () => {
    expect(decodeAuditInput(DEEP_ARRAY, "deep.json").problems).toHaveLength(1);
    expect(decodeAwsLogsEvent(awslogsEvent([DEEP_ARRAY, DEEP_OBJECT])).problems).toHaveLength(2);
  });

  it.each([
    ["labels", ["responseObject", "metadata", "labels"]],
    ["a label", ["responseObject", "metadata", "labels", "app"]],
    ["annotations", ["responseObject", "metadata", "annotations"]],
    ["data", ["responseObject", "data", "mapRoles"]],
  ])("deeply nested %s: the write is kept, its content unknown, and the problem reported", (_, path) => {
    for (const raw of [DEEP_ARRAY, DEEP_OBJECT]) {
      const decoded = decodeAwsLogsEvent(awslogsEvent([withRawAt(ESCALATION, path, raw)]));
      expect(decoded.writes).toHaveLength(1);
      expect(decoded.writes[0]?.write.stored).toBeUndefined();
      expect(decoded.problems).toHaveLength(1);
    }
  });

  it("a patch body nested 10,000 deep is only carried, never walked", () => {
    const decoded = decodeAwsLogsEvent(awslogsEvent([withRawAt(ESCALATION, ["requestObject"], DEEP_ARRAY)]));
    expect(decoded.writes[0]?.write.patchKind).toBe("json-patch");
    expect(decoded.writes[0]?.write.stored?.metadata.resourceVersion).toBe("208");
  });
});

describe("wrong types in every field", () => {
  const WRONG: unknown[] = [0, 1e308, true, null, "", "x", [], {}, [1, "a"], { a: 1 }];

  function pathsOf(value: unknown, path: string[] = []): string[][] {
    if (typeof value !== "object" || value === null) return [path];
    const keys = Object.keys(value);
    return [path, ...keys.flatMap((k) => pathsOf((value as Record<string, unknown>)[k], [...path, k]))];
  }

  it("every field of a recorded write, replaced by every wrong type, decodes to exactly one result", () => {
    const paths = pathsOf(ESCALATION).filter((p) => p.length > 0);
    expect(paths.length).toBeGreaterThan(60);
    for (const path of paths) {
      for (const wrong of WRONG) {
        const copy = structuredClone(ESCALATION) as unknown as Record<string, unknown>;
        let node = copy;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
        node[path.at(-1) as string] = wrong;
        const decoded = decodeAwsLogsEvent(awslogsEvent([line(copy)]));
        const results =
          decoded.writes.length + decoded.irrelevant + (decoded.writes.length ? 0 : decoded.problems.length);
        expect(results, `${path.join(".")} = ${JSON.stringify(wrong)}`).toBe(1);
      }
    }
  });

  it("wrong types in the CloudWatch envelope are reported, never thrown", () => {
    for (const wrong of [0, null, "x", [], {}, [1]]) {
      for (const field of ["messageType", "owner", "logGroup", "logEvents"]) {
        const payload = {
          messageType: "DATA_MESSAGE",
          owner: "012345678901",
          logGroup: "/aws/eks/c/cluster",
          logEvents: [],
          [field]: wrong,
        };
        const event = { awslogs: { data: gzipSync(JSON.stringify(payload)).toString("base64") } };
        expect(() => decodeAwsLogsEvent(event)).not.toThrow();
      }
      expect(decodeAwsLogsEvent({ awslogs: { data: wrong } }).problems).toHaveLength(1);
      expect(decodeAwsLogsEvent(awslogsEvent([])).problems).toHaveLength(0);
      const logEvents = [{ id: wrong, timestamp: wrong, message: wrong }, { message: line(ESCALATION) }];
      const payload = {
        messageType: "DATA_MESSAGE",
        owner: "012345678901",
        logGroup: "/aws/eks/c/cluster",
        logEvents,
      };
      const decoded = decodeAwsLogsEvent({
        awslogs: { data: gzipSync(JSON.stringify(payload)).toString("base64") },
      });
      expect(decoded.problems).toHaveLength(1);
      expect(decoded.writes).toHaveLength(1);
    }
  });
});

describe("prototype keys", () => {
  it("are data: they neither supply the event's fields nor touch Object.prototype", () => {
    // Prepare: a get (irrelevant) whose __proto__ claims to be a delete of aws-auth.
    const get = JSON.parse(line(labEvent(LAB_FILES.forbiddenPatch, "get")));
    Object.defineProperty(get, "__proto__", {
      value: { verb: "delete", isAdmin: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    get.annotations = { ...get.annotations, constructor: "x", ["__proto__"]: "y" };
    const text = line(get);
    expect(text).toContain('"__proto__":{"verb":"delete"');
    // Act
    const decoded = decodeAuditInput(`${text}\n${line(ESCALATION)}`, "proto.jsonl");
    // Assess
    expect(decoded.irrelevant).toBe(1);
    expect(decoded.writes.map((w) => w.write.auditID)).toEqual([ESCALATION.auditID]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("in aws-auth data and labels are dropped, never followed; everything else is kept", () => {
    // zod never copies a `__proto__` key into a plain object; the authenticator reads only
    // mapRoles, mapUsers and mapAccounts, so such a key changes nothing it sees.
    const event = JSON.parse(line(ESCALATION));
    for (const target of [event.responseObject.data, event.responseObject.metadata]) {
      Object.defineProperty(target, "__proto__", {
        value: { mapRoles: "- rolearn: x" },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    event.responseObject.metadata.labels = JSON.parse('{"__proto__":"p","constructor":"c"}');
    const stored = decodeAuditInput(line(event), "x").writes[0]?.write.stored;
    expect(stored?.data).toEqual(
      ESCALATION.responseObject && (ESCALATION.responseObject as { data: unknown }).data,
    );
    expect(Object.getPrototypeOf(stored?.data)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(stored?.metadata)).toBe(Object.prototype);
    expect(stored?.metadata.labels).toEqual({ constructor: "c" });
    expect(Object.hasOwn(stored?.metadata.labels ?? {}, "constructor")).toBe(true);
  });
});

describe("huge strings", () => {
  it("are carried, and what is reported about them stays short", () => {
    const huge = "%".repeat(2_000_000);
    const event = {
      ...structuredClone(ESCALATION),
      userAgent: huge,
      requestURI: `${ESCALATION.requestURI}&x=${huge}`,
    };
    const broken = `${line({ ...event, auditID: huge, verb: 7 })}\n${huge}\n`;
    const decoded = decodeAuditInput(`${broken}${line(event)}`, "huge.jsonl");
    expect(decoded.writes).toHaveLength(1);
    expect(decoded.writes[0]?.write.actor.userAgent).toHaveLength(2_000_000);
    expect(decoded.problems).toHaveLength(2);
    for (const problem of decoded.problems) {
      expect(problem.reason.length).toBeLessThan(400);
      expect(problem.auditID?.length ?? 0).toBeLessThan(400);
    }
  });
});

describe("gzip bombs", () => {
  /** `mib` MiB of spaces in about 1 KiB per MiB: gunzip reads concatenated members as one stream. */
  function bomb(mib: number, head = "", tail = ""): Buffer {
    const member = gzipSync(Buffer.alloc(1024 * 1024, " "), { level: 9 });
    return Buffer.concat([gzipSync(head), ...Array.from({ length: mib }, () => member), gzipSync(tail)]);
  }

  it("a CloudWatch payload that inflates beyond the bound is refused with a problem", () => {
    const data = bomb(80, '{"messageType":"DATA_MESSAGE","logEvents":[],"pad":"', '"}').toString("base64");
    const decoded = decodeAwsLogsEvent({ awslogs: { data } });
    expect(decoded.problems).toEqual([
      { source: "awslogs", reason: expect.stringMatching(/inflates beyond 64 MiB/) },
    ]);
  });

  it("a gzip input that inflates beyond the bound is refused with a problem", () => {
    const decoded = decodeAuditInput(bomb(8), "bomb.gz", { maxInflatedBytes: 4 * 1024 * 1024 });
    expect(decoded.problems).toEqual([
      { source: "bomb.gz", reason: expect.stringMatching(/inflates beyond 4 MiB/) },
    ]);
  });

  it("a gzip input under the bound is read", () => {
    const decoded = decodeAuditInput(gzipSync(`${line(ESCALATION)}\n`), "ok.gz", {
      maxInflatedBytes: 1024 * 1024,
    });
    expect(decoded.writes).toHaveLength(1);
  });
});

describe("floods of bad lines", () => {
  it("counts and reports every one of 120,000 bad lines and reads the write after them", () => {
    const bad = Array.from({ length: 120_000 }, (_, i) => (i % 2 ? "{" : `{"auditID":${i}}`));
    const decoded = decodeAuditInput([...bad, line(ESCALATION)].join("\n"), "flood.jsonl");
    expect(decoded.problems).toHaveLength(120_000);
    expect(decoded.writes).toHaveLength(1);
  });

  it("a JSON array of 120,000 unusable items is read without recursion", () => {
    const items = Array.from({ length: 120_000 }, (_, i) => ({ auditID: i }));
    const decoded = decodeAuditInput(JSON.stringify([...items, ESCALATION]), "many.json");
    expect(decoded.writes).toHaveLength(1);
    expect(decoded.problems.length).toBeGreaterThan(0);
  });
});
