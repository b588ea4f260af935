import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createS3Client } from "../../lambda/adapters/aws-clients.js";
import { type ConflictRetry, S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";

const FAST_CONFLICT_RETRY: ConflictRetry = { attempts: 2, baseDelayMs: 1 };

/** One SDK attempt and a short connect timeout, so failures surface in milliseconds. */
function impatientClient(endpoint: string): S3Client {
  return createS3Client(
    {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
    },
    { maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } },
  );
}

/** A loopback port that nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

describe("S3BlobStore against a closed port", () => {
  let client: S3Client;
  let store: S3BlobStore;

  beforeAll(async () => {
    client = impatientClient(`http://127.0.0.1:${await closedPort()}`);
    store = new S3BlobStore(client, "guardian-snapshots");
  });

  afterAll(() => {
    client.destroy();
  });

  it.each([
    ["get", () => store.get("k.json")],
    ["putIfAbsent", () => store.putIfAbsent("k.json", "{}")],
    ["putIfMatch", () => store.putIfMatch("k.json", "{}", '"etag"')],
    ["list", () => store.list("")],
  ])("%s rejects instead of answering", async (_operation, call) => {
    // Act
    const outcome = call();

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

/** What the scripted server answers to one request. */
interface Reply {
  status: number;
  headers?: Record<string, string>;
  errorCode?: string;
}

type Script = (request: IncomingMessage) => Reply;

/**
 * A stand-in S3 that answers from a script, for the replies moto never produces (409 conflicts,
 * 403, 500). The real SDK parses the replies, so error names are what production code will see.
 */
describe("S3BlobStore against scripted S3 failures", () => {
  let server: Server;
  let script: Script = () => ({ status: 500, errorCode: "InternalError" });
  let requests: string[] = [];
  let client: S3Client;
  let store: S3BlobStore;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        requests.push(`${request.method} ${request.url?.split("?")[0]}`);
        const reply = script(request);
        const body =
          reply.errorCode === undefined || request.method === "HEAD" ? "" : errorXml(reply.errorCode);
        response.writeHead(reply.status, { "content-type": "application/xml", ...reply.headers });
        response.end(body);
      });
    });
    // A hostname, not an IP: the SDK only picks path-style by itself for IP endpoints, so the paths
    // asserted below also prove that createS3Client sets forcePathStyle for an endpoint override.
    server.listen(0, "localhost");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    client = impatientClient(`http://localhost:${port}`);
    store = new S3BlobStore(client, "guardian-snapshots", "prefix", FAST_CONFLICT_RETRY);
  });

  afterEach(() => {
    requests = [];
  });

  afterAll(async () => {
    client.destroy();
    server.close();
    await once(server, "close");
  });

  it("retries a 409 ConditionalRequestConflict and reports the write that then lands", async () => {
    // Prepare
    let puts = 0;
    script = (request) =>
      request.method === "PUT" && ++puts <= 2
        ? { status: 409, errorCode: "ConditionalRequestConflict" }
        : { status: 200, headers: { etag: '"abc"' } };

    // Act
    const created = await store.putIfAbsent("versions/1.json", "{}");

    // Assess
    expect(created).toBe(true);
    expect(requests).toEqual(Array(3).fill("PUT /guardian-snapshots/prefix/versions/1.json"));
  });

  it("answers false when conflicts persist and the object now exists", async () => {
    // Prepare
    script = (request) =>
      request.method === "PUT"
        ? { status: 409, errorCode: "ConditionalRequestConflict" }
        : { status: 200, headers: { etag: '"theirs"' } };

    // Act
    const created = await store.putIfAbsent("versions/1.json", "{}");

    // Assess
    expect(created).toBe(false);
    expect(requests.filter((line) => line.startsWith("PUT"))).toHaveLength(FAST_CONFLICT_RETRY.attempts + 1);
    expect(requests.at(-1)).toBe("HEAD /guardian-snapshots/prefix/versions/1.json");
  });

  it("throws when conflicts persist and the object still does not exist", async () => {
    // Prepare
    script = (request) =>
      request.method === "PUT" ? { status: 409, errorCode: "ConditionalRequestConflict" } : { status: 404 };

    // Act
    const creating = store.putIfAbsent("versions/1.json", "{}");

    // Assess
    await expect(creating).rejects.toThrow(/409 ConditionalRequestConflict/);
  });

  it("answers false when a conflict retry of putIfMatch meets a changed etag", async () => {
    // Prepare
    let puts = 0;
    script = () =>
      ++puts === 1
        ? { status: 409, errorCode: "ConditionalRequestConflict" }
        : { status: 412, errorCode: "PreconditionFailed" };

    // Act
    const replaced = await store.putIfMatch("pointer.json", "{}", '"mine"');

    // Assess
    expect(replaced).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it.each([
    ['"mine"', "throws", undefined],
    ['"theirs"', "answers false", false],
  ])("with persistent putIfMatch conflicts and etag %s on HEAD, %s", async (headEtag, _outcome, expected) => {
    // Prepare
    script = (request) =>
      request.method === "PUT"
        ? { status: 409, errorCode: "ConditionalRequestConflict" }
        : { status: 200, headers: { etag: headEtag } };

    // Act
    const replacing = store.putIfMatch("pointer.json", "{}", '"mine"');

    // Assess
    if (expected === undefined) await expect(replacing).rejects.toThrow(/409 ConditionalRequestConflict/);
    else await expect(replacing).resolves.toBe(expected);
  });

  it.each([
    ["get", 403, "AccessDenied", () => store.get("k.json")],
    ["get", 404, "NoSuchBucket", () => store.get("k.json")],
    ["get", 500, "InternalError", () => store.get("k.json")],
    ["putIfAbsent", 403, "AccessDenied", () => store.putIfAbsent("k.json", "{}")],
    ["putIfAbsent", 404, "NoSuchBucket", () => store.putIfAbsent("k.json", "{}")],
    ["putIfMatch", 404, "NoSuchBucket", () => store.putIfMatch("k.json", "{}", '"e"')],
    ["putIfMatch", 503, "SlowDown", () => store.putIfMatch("k.json", "{}", '"e"')],
    ["list", 403, "AccessDenied", () => store.list("")],
  ])("%s propagates %i %s", async (_operation, status, errorCode, call) => {
    // Prepare
    script = () => ({ status, errorCode });

    // Act
    const outcome = call();

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: errorCode, $metadata: { httpStatusCode: status } });
  });
});

function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>scripted ${code}</Message><RequestId>scripted</RequestId></Error>`;
}
