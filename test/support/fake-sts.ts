/**
 * An in-test STS that answers `GetCallerIdentity` for presigned URLs only after checking their SigV4
 * signature the way STS does, written from the SigV4 specification with node:crypto (not with the signer
 * the code under test uses): canonical request from what arrived on the wire, string to sign, the HMAC key
 * chain from the identity's secret, and the expiry. A forged, altered or expired proof is therefore really
 * rejected, and a header the caller signed must arrive with exactly the signed value.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeStsIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** What GetCallerIdentity answers, e.g. an assumed-role ARN. */
  arn: string;
}

export interface StsCall {
  accessKeyId: string;
  outcome: "ok" | "rejected";
  code?: string;
}

const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");

function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

function amzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export class FakeSts {
  readonly calls: StsCall[] = [];
  /** The STS clock; tests move it to make a proof expire on STS's side. */
  now: () => Date = () => new Date();
  private readonly identities = new Map<string, FakeStsIdentity>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly region: string,
  ) {}

  static async start(region = "us-east-1"): Promise<FakeSts> {
    let sts: FakeSts | undefined;
    const server = createServer((req, res) => sts?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    sts = new FakeSts(server, `http://127.0.0.1:${port}`, region);
    return sts;
  }

  add(identity: FakeStsIdentity): FakeStsIdentity {
    this.identities.set(identity.accessKeyId, identity);
    return identity;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, message: string, accessKeyId = "") => {
      this.calls.push({ accessKeyId, outcome: "rejected", code });
      answer(status, { Error: { Code: code, Message: message, Type: "Sender" }, RequestId: "fake" });
    };
    const raw = req.url ?? "/";
    const [path = "/", rawQuery = ""] = raw.split("?", 2);
    const params = new URLSearchParams(rawQuery);
    if (req.method !== "GET" || path !== "/" || params.get("Action") !== "GetCallerIdentity") {
      error(400, "InvalidAction", "only GET GetCallerIdentity is faked");
      return;
    }
    const credential = (params.get("X-Amz-Credential") ?? "").split("/");
    const [accessKeyId = "", date = "", region = "", service = "", terminator = ""] = credential;
    const identity = this.identities.get(accessKeyId);
    if (!identity) {
      error(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
      return;
    }
    if (
      params.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" ||
      service !== "sts" ||
      terminator !== "aws4_request"
    ) {
      error(400, "IncompleteSignature", "bad credential scope", accessKeyId);
      return;
    }
    if (region !== this.region) {
      error(403, "SignatureDoesNotMatch", "wrong region", accessKeyId);
      return;
    }
    if (identity.sessionToken !== undefined && params.get("X-Amz-Security-Token") !== identity.sessionToken) {
      error(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        accessKeyId,
      );
      return;
    }
    const longDate = params.get("X-Amz-Date") ?? "";
    const signedAt = amzDate(longDate);
    const expires = Number(params.get("X-Amz-Expires"));
    if (signedAt === undefined || !longDate.startsWith(date)) {
      error(400, "IncompleteSignature", "bad X-Amz-Date", accessKeyId);
      return;
    }
    if (this.now().getTime() > signedAt + expires * 1000) {
      error(403, "ExpiredToken", "Signature expired", accessKeyId);
      return;
    }
    // Canonical request, from what arrived.
    const query = [...params.entries()]
      .filter(([key]) => key !== "X-Amz-Signature")
      .map(([key, value]) => [encode(key), encode(value)] as const)
      .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join("&");
    const signedHeaders = (params.get("X-Amz-SignedHeaders") ?? "").split(";");
    const headers = signedHeaders
      .map((name) => {
        const value = req.headers[name];
        const text = Array.isArray(value) ? value.join(",") : (value ?? "");
        return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
      })
      .join("");
    const canonical = ["GET", "/", query, headers, signedHeaders.join(";"), EMPTY_SHA256].join("\n");
    const scope = `${date}/${region}/${service}/aws4_request`;
    const toSign = [
      "AWS4-HMAC-SHA256",
      longDate,
      scope,
      createHash("sha256").update(canonical, "utf8").digest("hex"),
    ].join("\n");
    const key = hmac(
      hmac(hmac(hmac(`AWS4${identity.secretAccessKey}`, date), region), service),
      "aws4_request",
    );
    const expected = Buffer.from(createHmac("sha256", key).update(toSign, "utf8").digest("hex"));
    const given = Buffer.from(params.get("X-Amz-Signature") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
        accessKeyId,
      );
      return;
    }
    this.calls.push({ accessKeyId, outcome: "ok" });
    const account = identity.arn.split(":")[4] ?? "";
    answer(200, {
      GetCallerIdentityResponse: {
        GetCallerIdentityResult: { Arn: identity.arn, Account: account, UserId: `AIDA${accessKeyId}` },
        ResponseMetadata: { RequestId: "fake" },
      },
    });
  }
}
