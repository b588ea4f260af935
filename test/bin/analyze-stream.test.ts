/**
 * `analyze` reads its inputs as streams (bin/commands/input-stream.ts): the same judgement whatever
 * the chunking (a byte at a time, lines and UTF-8 characters cut across chunks), gzip inflated on the
 * fly (several members too), corrupt gzip reported after what could be read, and records beyond the
 * limit (a huge pretty-printed document, an endless line) counted as unusable instead of kept.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeStream } from "../../bin/commands/input-stream.js";
import { AuditLineDecoder, type DecodedInput } from "../../lambda/core/audit-input.js";
import { IDENTITY, jsonl, LAB_FILES, labEvent, podRead } from "../support/events.js";
import { runCli } from "./io.js";

const ESCALATION = labEvent(LAB_FILES.escalationPatch, "patch");
const EDIT = labEvent(LAB_FILES.ssoEditPatch, "patch");
const DELETE = labEvent(LAB_FILES.delete, "delete");

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "guardian-stream-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function analyze(args: string[], stream?: AsyncIterable<Buffer | string>) {
  return runCli(["analyze", ...args, "--format", "json"], { stream });
}

function auditIDs(out: string): string[] {
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line).auditID as string);
}

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A user agent with multi-byte characters, so chunk borders fall inside UTF-8 sequences. */
const WIDE = (() => {
  const event = structuredClone(EDIT);
  event.auditID = "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0";
  event.user = { ...event.user, username: "sso-admin:中文-✓-👩‍🚀" };
  return event;
})();

describe("analyze reads a stream", () => {
  it("judges the same writes whatever the chunking, CRLF line ends included", async () => {
    // Prepare
    const text = `${jsonl([EDIT, WIDE, ESCALATION, DELETE]).replace(/\n/g, "\r\n")}`;
    const bytes = Buffer.from(text);
    const whole = await analyze(["-"], chunks(bytes, bytes.length));

    // Act
    const results = await Promise.all([1, 3, 7, 4096].map((size) => analyze(["-"], chunks(bytes, size))));

    // Assess
    expect(whole.code).toBe(0);
    expect(auditIDs(whole.out)).toEqual([EDIT.auditID, WIDE.auditID, ESCALATION.auditID, DELETE.auditID]);
    expect(whole.out).toContain('"username":"sso-admin:中文-✓-👩‍🚀"');
    for (const result of results) expect(result.out).toBe(whole.out);
  });

  it("reads a file of many chunks as it reads the same bytes whole: plain and gzip", async () => {
    // Prepare: 3.6 MB of reads with random user agents (gzip stays over 1 MB), writes among them, so
    // that lines and gzip data cross the reader's chunks (its buffer is reused from one to the next).
    const read = podRead();
    const events = Array.from({ length: 1500 }, (_, i) => ({
      ...read,
      auditID: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      userAgent: randomBytes(1200).toString("hex"),
    }));
    events.splice(400, 0, EDIT);
    events.splice(900, 0, ESCALATION);
    events.splice(1400, 0, DELETE);
    const bytes = Buffer.from(jsonl(events));
    const plain = join(dir, "export.jsonl");
    const gz = join(dir, "export.jsonl.gz");
    await writeFile(plain, bytes);
    await writeFile(gz, gzipSync(bytes));
    expect(gzipSync(bytes).length).toBeGreaterThan(1024 * 1024);

    // Act
    const whole = await analyze(["-"], chunks(bytes, bytes.length));
    const fromFile = await analyze([plain]);
    const fromGzip = await analyze([gz]);

    // Assess
    expect(auditIDs(whole.out)).toEqual([EDIT.auditID, ESCALATION.auditID, DELETE.auditID]);
    expect(whole.err).toContain(
      "read 1503 audit events from 1 input: 3 writes to aws-auth, 0 unusable lines",
    );
    for (const result of [fromFile, fromGzip]) {
      expect(result.out).toBe(whole.out);
      expect(result.err).toContain(
        "read 1503 audit events from 1 input: 3 writes to aws-auth, 0 unusable lines",
      );
    }
  });

  it("inflates gzip as it reads, several members one after another too", async () => {
    const file = join(dir, "export.jsonl.gz");
    await writeFile(file, Buffer.concat([gzipSync(jsonl([EDIT])), gzipSync(jsonl([ESCALATION, DELETE]))]));
    const result = await analyze([file]);
    expect(result.code).toBe(0);
    expect(auditIDs(result.out)).toEqual([EDIT.auditID, ESCALATION.auditID, DELETE.auditID]);
    expect(result.err).toContain("read 3 audit events from 1 input: 3 writes to aws-auth, 0 unusable lines");
  });

  it("keeps what it read before corrupt gzip and reports the rest as unusable", async () => {
    // Prepare: a valid member (the write, then 400 KB of other events), then a member whose deflate
    // data is garbage.
    const read = podRead();
    const padding = Array.from({ length: 400 }, () => read);
    const good = gzipSync(jsonl([EDIT, ...padding]));
    expect(jsonl(padding).length).toBeGreaterThan(400_000);
    const bad = gzipSync(jsonl([ESCALATION]));
    bad.fill(0x55, 20, bad.length - 8);
    const file = join(dir, "broken.jsonl.gz");
    await writeFile(file, Buffer.concat([good, bad]));

    // Act
    const result = await analyze([file, "--fail-on", "dangerous"]);

    // Assess
    expect(auditIDs(result.out)).toEqual([EDIT.auditID]);
    expect(result.err).toMatch(
      new RegExp(`warning: ${file}: bad gzip after line \\d+: .*; the rest of this input was not read\n`),
    );
    expect(result.code).toBe(1);
  });

  it("counts a pretty-printed document beyond --max-record-mb as one unusable record and reads on", async () => {
    // Prepare: an EventList printed over lines, over 1 MB, then a write on a line of its own.
    const many = { kind: "EventList", items: Array.from({ length: 800 }, () => ESCALATION) };
    const pretty = JSON.stringify(many, null, 2);
    expect(pretty.length).toBeGreaterThan(1024 * 1024);
    const file = join(dir, "pretty.json");
    await writeFile(file, `${pretty}\n${JSON.stringify(DELETE)}\n`);

    // Act
    const limited = await analyze([file, "--max-record-mb", "1", "--fail-on", "dangerous"]);
    const roomy = await analyze([file, "--max-record-mb", "8"]);

    // Assess
    expect(auditIDs(limited.out)).toEqual([DELETE.auditID]);
    expect(limited.err).toContain(
      `warning: ${file}:1: JSON document of ${pretty.length + 1} characters, more than the 1048576 read in one piece: not read\n`,
    );
    expect(limited.err).toContain("1 write to aws-auth, 1 unusable line");
    expect(limited.code).toBe(2);
    expect(auditIDs(roomy.out)).toEqual([ESCALATION.auditID, DELETE.auditID]);
    expect(roomy.err).toContain(
      "read 801 audit events from 1 input: 2 writes to aws-auth (799 duplicates skipped)",
    );
  });

  it("counts a line beyond the limit as one unusable line, without keeping it, and reads on", async () => {
    // Prepare: 3 MB with no line break, then a write.
    const endless = `{"kind":"Event","auditID":"x","padding":"${"A".repeat(3 * 1024 * 1024)}"}`;
    const source = (async function* () {
      for (let i = 0; i < endless.length; i += 65536) yield endless.slice(i, i + 65536);
      yield "\n";
      yield `${JSON.stringify(ESCALATION)}\n`;
    })();

    // Act
    const result = await analyze(["-", "--max-record-mb", "1"], source);

    // Assess
    expect(auditIDs(result.out)).toEqual([ESCALATION.auditID]);
    expect(result.err).toContain("warning: stdin:1: line of more than 1048576 bytes: not read\n");
    expect(result.err).toContain("read 1 audit event from 1 input: 1 write to aws-auth, 1 unusable line");
  });

  it("rejects a --max-record-mb that is not a size", async () => {
    const result = await analyze(["-", "--max-record-mb", "lots"], chunks(Buffer.alloc(0), 1));
    expect(result.code).toBe(1);
    expect(result.err).toContain('--max-record-mb must be a number of megabytes from 1 to 512, not "lots"');
  });
});

describe("decodeStream", () => {
  it("hands each chunk's records over as they complete, not at the end", async () => {
    const seen: number[] = [];
    const pieces = [jsonl([EDIT]), jsonl([ESCALATION]), jsonl([DELETE])];
    let read = 0;
    const source = (async function* () {
      for (const piece of pieces) {
        read++;
        yield piece;
      }
    })();
    await decodeStream(source, "s", (decoded: DecodedInput) => {
      if (decoded.writes.length) seen.push(read);
    });
    expect(seen).toEqual([1, 2, 3]);
  });

  it("counts an identity's reads of other resources as events without judging them", async () => {
    const read = podRead();
    read.user = IDENTITY.readonly().user;
    const result = await analyze(["-"], chunks(Buffer.from(jsonl([read, read, ESCALATION])), 100));
    expect(auditIDs(result.out)).toEqual([ESCALATION.auditID]);
    expect(result.err).toContain("read 3 audit events from 1 input: 1 write to aws-auth, 0 unusable lines");
  });

  it("reads any bytes, cut anywhere, exactly as the whole text is read (the unparsed lines too)", async () => {
    // Lines counted without being decoded are found on the raw bytes: whatever the chunking, the
    // outcome must be the core's reading of the whole text, decoded as UTF-8.
    const read = podRead();
    const wideRead = { ...read, userAgent: "kubectl/中文-✓-👩‍🚀" };
    const pretty = JSON.stringify(ESCALATION, null, 2);
    const fragments: Buffer[] = [
      Buffer.from(JSON.stringify(read)),
      Buffer.from(JSON.stringify(wideRead)),
      Buffer.from(`${JSON.stringify(read)}\r`),
      Buffer.from(JSON.stringify(ESCALATION)),
      Buffer.from(JSON.stringify(WIDE)),
      Buffer.from(pretty),
      // A pretty-printed document cut short: the next line at column 0 ends it.
      Buffer.from(pretty.split("\n").slice(0, 4).join("\n")),
      Buffer.from("{"),
      // An indented line: part of an open document, or a line of its own when none is open.
      Buffer.from('  "kind": "Event"}'),
      Buffer.from("not json at all"),
      Buffer.from(""),
      // Malformed UTF-8 inside an otherwise skippable event, and a sequence cut by the line end.
      Buffer.concat([
        Buffer.from(JSON.stringify(read).slice(0, 40)),
        Buffer.from([0xff, 0xe4, 0xb8]),
        Buffer.from(JSON.stringify(read).slice(40)),
      ]),
      Buffer.concat([
        Buffer.from(JSON.stringify(read).slice(0, -1)),
        Buffer.from([0xe4, 0xb8]),
        Buffer.from("}"),
      ]),
    ];
    const collect = async (bytes: Buffer, sizes: number[]) => {
      const all: DecodedInput = { writes: [], problems: [], irrelevant: 0, controlMessages: 0 };
      let i = 0;
      let next = 0;
      const source = (async function* () {
        while (i < bytes.length) {
          const size = sizes[next++ % sizes.length] as number;
          yield bytes.subarray(i, i + size);
          i += size;
        }
      })();
      await decodeStream(source, "s", (decoded) => {
        all.writes.push(...decoded.writes);
        all.problems.push(...decoded.problems);
        all.irrelevant += decoded.irrelevant;
        all.controlMessages += decoded.controlMessages;
      });
      return all;
    };
    let skippedSome = false;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: fragments.length - 1 }), { minLength: 2, maxLength: 12 }),
        // Small chunks cut lines and characters; large ones hold whole lines (read without decoding).
        fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2000, max: 70_000 })), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.boolean(),
        async (picks, sizes, finalBreak) => {
          const parts = picks.map((k) => fragments[k] as Buffer);
          const bytes = Buffer.concat(
            parts.flatMap((part, n) =>
              n < parts.length - 1 || finalBreak ? [part, Buffer.from("\n")] : [part],
            ),
          );
          // The core's reading of the whole text, line by line (a final line break ends the last line).
          const text = bytes.toString("utf8");
          const lines = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
          const expected: DecodedInput = { writes: [], problems: [], irrelevant: 0, controlMessages: 0 };
          const decoder = new AuditLineDecoder("s");
          for (const line of lines) decoder.line(line.endsWith("\r") ? line.slice(0, -1) : line, expected);
          decoder.end(expected);
          const streamed = await collect(bytes, sizes);
          expect(streamed).toEqual(expected);
          if (streamed.irrelevant > 0) skippedSome = true;
        },
      ),
      {
        numRuns: 300,
        seed: 20261205,
        // A lone "{", then an event at column 0 (it ends that document), then an indented line.
        examples: [[[7, 0, 8, 3], [65_536], true]],
      },
    );
    expect(skippedSome).toBe(true);
  });
});
