/**
 * The pre-filter that lets `analyze` count most lines of an export without parsing them
 * (audit-input.ts `cannotConcernAwsAuth`). It must never leave out a line that could be a write to
 * aws-auth: every line it skips is one the full decoder calls irrelevant, on every recorded event,
 * on hostile re-encodings (`\u` escapes spelling `configmaps` or `aws-auth`), on deletecollection,
 * truncated and enveloped events, and on generated events (property).
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { triageAuditEvent } from "../../lambda/core/audit-event.js";
import { cannotConcernAwsAuth, decodeAuditInput } from "../../lambda/core/audit-input.js";
import { cutOff, deleteCollectionEvent, IDENTITY, LAB_FILES, labEvent, podRead } from "../support/events.js";

const AUDIT = new URL("../fixtures/audit/", import.meta.url);

/** Every JSON line of every recorded and derived fixture. */
function fixtureLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync(AUDIT, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".jsonl")) continue;
    const text = readFileSync(`${entry.parentPath}/${entry.name}`, "utf8");
    for (const line of text.split("\n")) if (line.startsWith("{")) lines.push(line);
  }
  return lines;
}

/** `text` with the characters `which` picks written as `\uXXXX` escapes inside JSON strings. */
function escapeInStrings(json: string, which: (char: string, index: number) => boolean): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i] as string;
    if (inString && c === "\\") {
      out += c + (json[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    else if (inString && which(c, i)) {
      out += `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
      continue;
    }
    out += c;
  }
  return out;
}

function verdict(line: string): string {
  const decoded = decodeAuditInput(line, "line");
  if (decoded.writes.length) return "write";
  if (decoded.problems.length) return "problem";
  return decoded.irrelevant ? "irrelevant" : "nothing";
}

const ESCALATION = labEvent(LAB_FILES.escalationPatch, "patch");

describe("cannotConcernAwsAuth", () => {
  it("skips only lines the decoder calls irrelevant, over every recorded and derived event", () => {
    const lines = fixtureLines();
    const skipped = lines.filter(cannotConcernAwsAuth);
    expect(lines.length).toBeGreaterThan(50);
    for (const line of skipped) expect(triageAuditEvent(JSON.parse(line)).kind).toBe("irrelevant");
    // Every aws-auth write of the fixtures is parsed.
    for (const line of lines) {
      if (verdict(line) === "write") expect(cannotConcernAwsAuth(line)).toBe(false);
    }
  });

  it("skips a plain read of another resource: the line is counted as an event, unparsed", () => {
    const line = JSON.stringify(podRead());
    expect(cannotConcernAwsAuth(line)).toBe(true);
    expect(decodeAuditInput(line, "x")).toEqual({
      writes: [],
      problems: [],
      irrelevant: 1,
      controlMessages: 0,
    });
  });

  it.each([
    [
      "every configmaps and aws-auth spelled with \\u escapes",
      (c: string) => "configmapsaws-auth".includes(c),
      ["configmaps", "aws-auth"],
    ],
    ["only the hyphen of aws-auth escaped (aws\\u002dauth)", (c: string) => c === "-", ["aws-auth"]],
    ["one letter of configmaps escaped", (c: string) => c === "f", ["configmaps"]],
  ])("parses a write whose JSON hides it behind escapes: %s", (_name, which, hidden) => {
    // Prepare: the recorded escalation, re-encoded as any JSON encoder may.
    const line = escapeInStrings(JSON.stringify(ESCALATION), which);
    expect(JSON.parse(line)).toEqual(ESCALATION);
    for (const word of hidden) expect(line).not.toContain(word);

    // Act / Assess
    expect(cannotConcernAwsAuth(line)).toBe(false);
    expect(verdict(line)).toBe("write");
  });

  it("parses deletecollection, CloudWatch-truncated and backend-cut lines", () => {
    const collection = JSON.stringify(
      deleteCollectionEvent({ auditID: "c0ffee00-0000-4000-8000-000000000001" }),
    );
    const truncated = cutOff(ESCALATION, 700);
    const cutWithoutMark = JSON.stringify(ESCALATION).slice(0, 900);
    for (const line of [collection, truncated, cutWithoutMark])
      expect(cannotConcernAwsAuth(line)).toBe(false);
    expect(verdict(collection)).toBe("write");
    expect(verdict(truncated)).toBe("write");
  });

  it("parses envelopes that carry events inside (awslogs, a subscription payload, an export, an EventList)", () => {
    const inner = JSON.stringify(ESCALATION);
    const lines = [
      JSON.stringify({ kind: "Event", awslogs: { data: "H4sI" } }),
      JSON.stringify({ kind: "Event", messageType: "DATA_MESSAGE", logEvents: [{ message: inner }] }),
      JSON.stringify({ kind: "Event", events: [{ message: inner }] }),
      JSON.stringify({ kind: "EventList", items: [ESCALATION] }),
    ];
    for (const line of lines) expect(cannotConcernAwsAuth(line)).toBe(false);
  });

  it("never skips a line the decoder would not call irrelevant (generated events, any escaping)", () => {
    const base = podRead();
    const identity = IDENTITY.readonly();
    fc.assert(
      fc.property(
        fc.record({
          resource: fc.constantFrom("pods", "configmaps", "secrets", "events", "configmap", "ConfigMaps"),
          namespace: fc.constantFrom("kube-system", "default"),
          name: fc.option(fc.constantFrom("aws-auth", "aws-auth-x", "coredns"), { nil: undefined }),
          verb: fc.constantFrom("get", "list", "update", "patch", "delete", "deletecollection", "create"),
          uriResource: fc.constantFrom("pods", "configmaps", "events"),
          stage: fc.constantFrom("ResponseComplete", "ResponseStarted", "Panic"),
          escape: fc.integer({ min: 0, max: 12 }),
          userAgent: fc.string(),
        }),
        (spec) => {
          const event = structuredClone(base);
          event.verb = spec.verb;
          event.stage = spec.stage;
          event.userAgent = spec.userAgent;
          event.user = identity.user;
          event.objectRef = {
            resource: spec.resource,
            namespace: spec.namespace,
            ...(spec.name ? { name: spec.name } : {}),
            apiVersion: "v1",
          };
          event.requestURI = `/api/v1/namespaces/${spec.namespace}/${spec.uriResource}${spec.name ? `/${spec.name}` : ""}`;
          const line = escapeInStrings(
            JSON.stringify(event),
            (_c, i) => spec.escape > 0 && i % spec.escape === 0,
          );
          if (cannotConcernAwsAuth(line)) expect(verdict(line)).toBe("irrelevant");
        },
      ),
      { numRuns: 2000, seed: 12 },
    );
  });
});
