import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { HeadObjectCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Client } from "../../lambda/adapters/aws-clients.js";
import { LocalBlobStore, sha256Hex } from "../../lambda/adapters/local-blob-store.js";
import { S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";
import type { BlobStore } from "../../lambda/core/ports.js";
import { createVersionedBucket, type MotoServer, startMoto } from "../support/moto.js";

const BUCKET = "guardian-contract";
const RACERS = 8;

/** One backend under test: hands out fresh, mutually isolated stores. */
interface Backend {
  newStore(): FreshStore;
  close(): Promise<void>;
}

interface FreshStore {
  store: BlobStore;
  /** What `locate(key)` must answer for this store. */
  expectedLocation(key: string): string;
}

let moto: MotoServer | undefined;
let s3: S3Client | undefined;

beforeAll(async () => {
  moto = await startMoto();
  s3 = createS3Client(moto.env);
  await createVersionedBucket(s3, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

async function openLocalBackend(): Promise<Backend> {
  const root = await mkdtemp(join(tmpdir(), "guardian-blobs-"));
  let counter = 0;
  return {
    newStore() {
      const storeRoot = join(root, `store-${counter++}`);
      return { store: new LocalBlobStore(storeRoot), expectedLocation: (key) => join(storeRoot, key) };
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
}

async function openS3Backend(): Promise<Backend> {
  const client = requireS3();
  let counter = 0;
  return {
    newStore() {
      // Every store gets its own key prefix in the shared bucket, so tests cannot see each other.
      const prefix = `store-${counter++}/`;
      return {
        store: new S3BlobStore(client, BUCKET, prefix),
        expectedLocation: (key) => `s3://${BUCKET}/${prefix}${key}`,
      };
    },
    close: async () => {},
  };
}

function requireS3(): S3Client {
  if (s3 === undefined) throw new Error("moto did not start");
  return s3;
}

describe.each([
  ["LocalBlobStore", openLocalBackend],
  ["S3BlobStore (moto, versioned bucket)", openS3Backend],
] as const)("BlobStore contract: %s", (_name, openBackend) => {
  let backend: Backend;

  beforeAll(async () => {
    backend = await openBackend();
  });

  afterAll(async () => {
    await backend.close();
  });

  it("creates a key once and keeps the first body", async () => {
    // Prepare
    const { store } = backend.newStore();

    // Act
    const first = await store.putIfAbsent("versions/000001.json", '{"n":1}');
    const second = await store.putIfAbsent("versions/000001.json", '{"n":2}');

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect((await store.get("versions/000001.json"))?.body).toBe('{"n":1}');
  });

  it("answers undefined for a missing key", async () => {
    // Prepare
    const { store } = backend.newStore();
    await store.putIfAbsent("present.json", "{}");

    // Act
    const missing = await store.get("absent.json");
    const belowAFile = await store.get("present.json/child.json");

    // Assess
    expect(missing).toBeUndefined();
    expect(belowAFile).toBeUndefined();
  });

  it("round-trips UTF-8 JSON text byte for byte", async () => {
    // Prepare
    const { store } = backend.newStore();
    const body = `${JSON.stringify({ user: "José", emoji: "🔐", text: "line1\nline2" }, null, 2)}\n`;

    // Act
    await store.putIfAbsent("utf8.json", body);
    const read = await store.get("utf8.json");

    // Assess
    expect(read?.body).toBe(body);
  });

  it("replaces with the current etag and refuses a stale one", async () => {
    // Prepare
    const { store } = backend.newStore();
    await store.putIfAbsent("pointer.json", '{"v":1}');
    const original = await store.get("pointer.json");
    if (original === undefined) throw new Error("seed write missing");

    // Act
    const withCurrent = await store.putIfMatch("pointer.json", '{"v":2}', original.etag);
    const afterFirstSwap = await store.get("pointer.json");
    const withStale = await store.putIfMatch("pointer.json", '{"v":3}', original.etag);

    // Assess
    expect(withCurrent).toBe(true);
    expect(afterFirstSwap?.body).toBe('{"v":2}');
    expect(afterFirstSwap?.etag).not.toBe(original.etag);
    expect(withStale).toBe(false);
    expect(await store.get("pointer.json")).toEqual(afterFirstSwap);
  });

  it("deletes a key (quietly when absent); the key can then be created again, and others stay", async () => {
    // Prepare
    const { store } = backend.newStore();
    await store.putIfAbsent("versions/a~moved.json", '{"n":1}');
    await store.putIfAbsent("versions/b.json", '{"n":2}');

    // Act
    await store.delete("versions/a~moved.json");
    await store.delete("versions/never-written.json");
    const recreated = await store.putIfAbsent("versions/a~moved.json", '{"n":3}');

    // Assess
    expect(recreated).toBe(true);
    expect((await store.get("versions/a~moved.json"))?.body).toBe('{"n":3}');
    expect(await store.list("versions/")).toEqual(["versions/a~moved.json", "versions/b.json"]);
    await store.delete("versions/a~moved.json");
    expect(await store.get("versions/a~moved.json")).toBeUndefined();
    expect(await store.list("versions/")).toEqual(["versions/b.json"]);
  });

  it("refuses putIfMatch on a key that does not exist", async () => {
    // Prepare
    const { store } = backend.newStore();
    await store.putIfAbsent("other.json", "{}");
    const etagOfOther = (await store.get("other.json"))?.etag ?? "";

    // Act
    const replaced = await store.putIfMatch("never-written.json", "{}", etagOfOther);

    // Assess
    expect(replaced).toBe(false);
    expect(await store.get("never-written.json")).toBeUndefined();
  });

  it("lists keys in ascending UTF-8 byte order, nested keys included", async () => {
    // Prepare
    const { store } = backend.newStore();
    // "ｚ" (U+FF5A) sorts after "😀" in UTF-16 order but before it in UTF-8 byte order.
    const keys = ["v/😀", "v/b/2.json", "v/ｚ", "v/a.json", "v/b/10.json", "v/B.json", "v/é"];
    for (const key of keys) await store.putIfAbsent(key, "{}");

    // Act
    const listed = await store.list("v/");

    // Assess
    expect(listed).toEqual(["v/B.json", "v/a.json", "v/b/10.json", "v/b/2.json", "v/é", "v/ｚ", "v/😀"]);
  });

  it("lists only keys under the prefix, as plain string prefixes", async () => {
    // Prepare
    const { store } = backend.newStore();
    for (const key of ["snap/1", "snapshot/1", "snap-x", "other/1"]) await store.putIfAbsent(key, "{}");

    // Act
    const folder = await store.list("snap/");
    const partial = await store.list("snap");
    const everything = await store.list("");
    const nothing = await store.list("nope/");

    // Assess
    expect(folder).toEqual(["snap/1"]);
    expect(partial).toEqual(["snap-x", "snap/1", "snapshot/1"]);
    expect(everything).toEqual(["other/1", "snap-x", "snap/1", "snapshot/1"]);
    expect(nothing).toEqual([]);
  });

  it("keeps separate stores apart", async () => {
    // Prepare
    const { store: left } = backend.newStore();
    const { store: right } = backend.newStore();
    await left.putIfAbsent("shared/name.json", '"left"');

    // Act
    const rightCreated = await right.putIfAbsent("shared/name.json", '"right"');

    // Assess
    expect(rightCreated).toBe(true);
    expect(await left.list("")).toEqual(["shared/name.json"]);
    expect((await left.get("shared/name.json"))?.body).toBe('"left"');
    expect((await right.get("shared/name.json"))?.body).toBe('"right"');
  });

  it("locates keys for humans", () => {
    // Prepare
    const { store, expectedLocation } = backend.newStore();

    // Act
    const location = store.locate("clusters/prod/aws-auth.json");

    // Assess
    expect(location).toBe(expectedLocation("clusters/prod/aws-auth.json"));
  });

  it("lets exactly one of many concurrent putIfAbsent calls win", async () => {
    // Prepare
    const { store } = backend.newStore();
    const bodies = Array.from({ length: RACERS }, (_, index) => `{"writer":${index}}`);

    // Act
    const results = await Promise.all(bodies.map((body) => store.putIfAbsent("race.json", body)));

    // Assess
    const winners = results.flatMap((won, index) => (won ? [index] : []));
    expect(winners).toHaveLength(1);
    expect((await store.get("race.json"))?.body).toBe(bodies[winners[0] ?? -1]);
  });

  it("lets exactly one of many concurrent putIfMatch calls win", async () => {
    // Prepare
    const { store } = backend.newStore();
    await store.putIfAbsent("pointer.json", '{"head":0}');
    const seed = await store.get("pointer.json");
    if (seed === undefined) throw new Error("seed write missing");
    const bodies = Array.from({ length: RACERS }, (_, index) => `{"head":${index + 1}}`);

    // Act
    const results = await Promise.all(
      bodies.map((body) => store.putIfMatch("pointer.json", body, seed.etag)),
    );

    // Assess
    const winners = results.flatMap((won, index) => (won ? [index] : []));
    expect(winners).toHaveLength(1);
    expect((await store.get("pointer.json"))?.body).toBe(bodies[winners[0] ?? -1]);
  });
});

describe("LocalBlobStore specifics", () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "guardian-local-"));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    "../escape.json",
    "a/../../escape.json",
    "/absolute.json",
    "a//b.json",
    "a/./b.json",
    "trailing/",
    "",
    "a\\b.json",
    "a/.~lock-b.json",
  ])("refuses the key %j", async (key) => {
    // Prepare
    const store = new LocalBlobStore(join(root, "refusals"));

    // Act
    const attempt = store.putIfAbsent(key, "{}");

    // Assess
    await expect(attempt).rejects.toThrow(/Invalid blob key/);
    if (key === "") expect(store.locate(key)).toBe(store.root);
    else expect(() => store.locate(key)).toThrow(/Invalid blob key/);
  });

  it("uses the SHA-256 of the content as etag and an absolute path as location", async () => {
    // Prepare
    const store = new LocalBlobStore(join(root, "etag"));

    // Act
    await store.putIfAbsent("a/b.json", '{"x":"é"}');
    const read = await store.get("a/b.json");

    // Assess
    expect(read?.etag).toBe(sha256Hex('{"x":"é"}'));
    expect(isAbsolute(store.locate("a/b.json"))).toBe(true);
  });

  it("leaves no temp or lock files behind after races", async () => {
    // Prepare
    const storeRoot = join(root, "clean");
    const store = new LocalBlobStore(storeRoot);
    await Promise.all(
      Array.from({ length: RACERS }, (_, index) => store.putIfAbsent("d/k.json", `${index}`)),
    );
    const seed = await store.get("d/k.json");
    if (seed === undefined) throw new Error("seed write missing");

    // Act
    await Promise.all(
      Array.from({ length: RACERS }, (_, index) => store.putIfMatch("d/k.json", `${index}!`, seed.etag)),
    );

    // Assess
    expect(await readdir(join(storeRoot, "d"))).toEqual(["k.json"]);
  });
});

describe("S3BlobStore specifics (moto)", () => {
  it("stores JSON content type and keeps every version in a versioned bucket", async () => {
    // Prepare
    const client = requireS3();
    const store = new S3BlobStore(client, BUCKET, "specifics");
    await store.putIfAbsent("pointer.json", '{"v":1}');
    const first = await store.get("pointer.json");
    if (first === undefined) throw new Error("seed write missing");

    // Act
    await store.putIfMatch("pointer.json", '{"v":2}', first.etag);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "specifics/pointer.json" }));
    const versions = await client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: "specifics/pointer.json" }),
    );

    // Assess
    expect(head.ContentType).toBe("application/json");
    expect(versions.Versions).toHaveLength(2);
    expect(store.locate("pointer.json")).toBe(`s3://${BUCKET}/specifics/pointer.json`);
  });
});
