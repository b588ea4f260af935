/** The guardian's record MAC through KMS: HMAC-SHA-256 with an HMAC_256 key that never leaves KMS. */
import { GenerateMacCommand, type KMSClient, VerifyMacCommand } from "@aws-sdk/client-kms";
import type { MacSigner, MacVerifier } from "../core/ports.js";

const ALGORITHM = "HMAC_SHA_256";

export class KmsMac implements MacSigner, MacVerifier {
  constructor(
    private readonly kms: KMSClient,
    /** Key id, ARN or alias of the integrity key. */
    readonly keyId: string,
  ) {}

  async generateMac(message: string): Promise<string> {
    const answer = await this.kms.send(
      new GenerateMacCommand({
        KeyId: this.keyId,
        MacAlgorithm: ALGORITHM,
        Message: new TextEncoder().encode(message),
      }),
    );
    if (!answer.Mac) throw new Error(`KMS GenerateMac with ${this.keyId} returned no MAC`);
    return Buffer.from(answer.Mac).toString("base64");
  }

  async verifyMac(message: string, mac: string): Promise<boolean> {
    try {
      const answer = await this.kms.send(
        new VerifyMacCommand({
          KeyId: this.keyId,
          MacAlgorithm: ALGORITHM,
          Message: new TextEncoder().encode(message),
          Mac: Buffer.from(mac, "base64"),
        }),
      );
      return answer.MacValid === true;
    } catch (error) {
      // KMS answers a MAC that does not match with this exception, not with MacValid: false.
      if ((error as Error).name === "KMSInvalidMacException") return false;
      throw error;
    }
  }
}
