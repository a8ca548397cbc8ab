// Enrolment (ARCHITECTURE.md flow 2; TCG EK Credential Profile; TPM 2.0 Part 1 §24 credential protection): the EK
// is vouched for by its certificate chain or by a one-time token bound to a group; MakeCredential to the EK proves
// the AK lives beside it; TPM2_Certify by that AK proves the unwrap key is TPM-resident, not duplicable and bound
// to the group's PCR policy. Only when the device returns the credential's secret is it recorded.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  EdgewardError,
  eccPointSec1,
  formatPcrSelection,
  hasAttributes,
  isEdgewardError,
  makeCredential,
  objectName,
  p256TagRecipient,
  parsePcrSelectionText,
  parseTpm2bPublic,
  publicKeyOf,
  TPM_ALG,
  verifyCertify,
  verifyEkCertificate,
  type wire,
} from "@edgeward/core";
import { b64, hex, record, type DeviceContext } from "./context.ts";
import type { DeviceRecord, GroupPolicy } from "./types.ts";

const DEFAULT_ENROLMENT_LIFETIME_MS = 5 * 60_000;

/** Enrolment's two steps. */
export class EnrolmentService {
  readonly #ctx: DeviceContext;

  constructor(ctx: DeviceContext) {
    this.#ctx = ctx;
  }

  /** Step 1: checks the evidence and answers with a credential only the device's EK can activate. */
  async enrol(req: wire.EnrolRequest): Promise<wire.EnrolResponse> {
    try {
      return await this.#enrol(req);
    } catch (err) {
      // Every refusal is a decision, and logged (ARCHITECTURE.md, "Every security decision appends to the log").
      if (isEdgewardError(err))
        await record(this.#ctx, "device.enrol.refuse", "enrolment", {
          reason: err.code,
          via: req.ekCertificate === undefined ? "token" : "ek-certificate",
        });
      throw err;
    }
  }

  async #enrol(req: wire.EnrolRequest): Promise<wire.EnrolResponse> {
    const ctx = this.#ctx;
    const now = ctx.now();
    const ekBytes = b64(req.ekPublic);
    const ek = parseTpm2bPublic(ekBytes);
    if ((req.ekType === "rsa" ? TPM_ALG.RSA : TPM_ALG.ECC) !== ek.type)
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_EK_MISMATCH", { detail: `ekType ${req.ekType}` });
    if (req.ekCertificate === undefined && req.token === undefined)
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_PROOF_MISSING");
    if (req.ekCertificate !== undefined) {
      // EK Credential Profile §3: the certificate must chain to a configured manufacturer and certify this EK.
      verifyEkCertificate({
        certificate: b64(req.ekCertificate),
        intermediates: ctx.manufacturerIntermediates ?? [],
        roots: ctx.manufacturerRoots,
        ekPublicKey: publicKeyOf(ek),
        at: now,
      });
    }
    const ekDigest = createHash("sha256").update(ekBytes).digest("hex");
    const existing = await ctx.store.findDeviceByEk(ekDigest);
    if (existing !== undefined && existing.state !== "revoked")
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_DUPLICATE");

    // The AK: a restricted signing key that cannot leave this TPM (Part 1 §25 "Attestation keys").
    const akBytes = b64(req.akPublic);
    const ak = parseTpm2bPublic(akBytes);
    if (!hasAttributes(ak, "restricted", "sign", "fixedTPM", "fixedParent") || hasAttributes(ak, "decrypt"))
      throw new EdgewardError("EW_ERR_TPM_CERTIFY_ATTRIBUTES", {
        detail: "the AK is not a restricted, fixed signing key",
      });
    const akKey = publicKeyOf(ak);

    const groupName = req.token === undefined ? ctx.defaultGroup : await this.#peekTokenGroup(req.token, now);
    const group = await ctx.store.getGroup(groupName);
    if (group === undefined) throw new EdgewardError("EW_ERR_DEVICE_GROUP_UNKNOWN", { detail: groupName });

    const certified = this.#checkUnwrapKey(req, akKey, group);
    // Consume the token only once every check passed, so a device with a typo does not burn it.
    if (req.token !== undefined) await this.#takeToken(req.token, now);

    const secret = randomBytes(32);
    const credential = makeCredential(ek, objectName(ak), secret);
    const id = randomBytes(12).toString("hex");
    const device: DeviceRecord = {
      id: `dev-${randomBytes(8).toString("hex")}`,
      group: group.name,
      state: "pending",
      ekDigest,
      akPublic: hex(akBytes),
      akQualifiedName: hex(certified.qualifiedSigner),
      recipient: req.unwrapKey.recipient,
      unwrapPolicyDigest: hex(certified.policy),
      enrolledVia: req.ekCertificate === undefined ? "token" : "ek-certificate",
      createdAt: now.toISOString(),
    };
    const lifetime = ctx.enrolmentLifetimeMs ?? DEFAULT_ENROLMENT_LIFETIME_MS;
    await ctx.store.putEnrolment({
      id,
      secretDigest: createHash("sha256").update(secret).digest("hex"),
      expiresAt: new Date(now.getTime() + lifetime).toISOString(),
      device,
    });
    secret.fill(0);
    return { enrolmentId: id, credential: Buffer.from(credential.tpm2ToolsFile).toString("base64") };
  }

  /** Step 2: the device returns the secret ActivateCredential recovered; then it is recorded. */
  async activate(req: wire.ActivateRequest): Promise<wire.ActivateResponse> {
    const ctx = this.#ctx;
    const now = ctx.now();
    const pending = await ctx.store.takeEnrolment(req.enrolmentId);
    if (pending === undefined || pending.expiresAt <= now.toISOString())
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_UNKNOWN");
    const got = createHash("sha256").update(b64(req.secret)).digest();
    if (!timingSafeEqual(got, Buffer.from(pending.secretDigest, "hex"))) {
      await record(ctx, "device.enrol.refuse", pending.device.id, { reason: "EW_ERR_DEVICE_ENROL_SECRET" });
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_SECRET");
    }
    const group = await ctx.store.getGroup(pending.device.group);
    if (group === undefined) throw new EdgewardError("EW_ERR_DEVICE_GROUP_UNKNOWN", { detail: pending.device.group });
    const device: DeviceRecord = { ...pending.device, state: group.autoApprove ? "trusted" : "pending" };
    if (!(await ctx.store.insertDevice(device))) throw new EdgewardError("EW_ERR_DEVICE_ENROL_DUPLICATE");
    if (group.learn && group.unwrapPolicy.digests.length === 0)
      await ctx.store.putGroup({
        ...group,
        unwrapPolicy: { ...group.unwrapPolicy, digests: [device.unwrapPolicyDigest] },
      });
    await record(ctx, "device.enrol", device.id, {
      group: device.group,
      via: device.enrolledVia,
      state: device.state,
      ekDigest: device.ekDigest,
      recipient: device.recipient,
    });
    return { deviceId: device.id, state: device.state };
  }

  /**
   * TPM2_Certify by the AK over the unwrap key (Part 3 §18.2): TPM-resident and not duplicable (fixedTPM,
   * fixedParent, sensitiveDataOrigin), usable only through its policy, and that policy one the group allows for
   * the group's PCR selection. The recipient must be this very key.
   */
  #checkUnwrapKey(req: wire.EnrolRequest, akKey: ReturnType<typeof publicKeyOf>, group: GroupPolicy) {
    const want = formatPcrSelection(parsePcrSelectionText(group.unwrapPolicy.pcrs));
    if (formatPcrSelection(parsePcrSelectionText(req.unwrapKey.pcrSelection)) !== want)
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_UNWRAP_KEY", { detail: `PCR selection must be ${want}` });
    const verified = verifyCertify({
      attest: b64(req.certify.attest),
      signature: b64(req.certify.signature),
      akPublicKey: akKey,
      certifiedPublic: b64(req.unwrapKey.public),
    });
    const policy = verified.certified.authPolicy;
    const allowed = group.unwrapPolicy.digests;
    const learning = group.learn && allowed.length === 0;
    if (!learning && !allowed.includes(hex(policy)))
      throw new EdgewardError("EW_ERR_TPM_CERTIFY_POLICY", { detail: "not one of the group's unwrap policies" });
    if (p256TagRecipient(eccPointSec1(verified.certified)) !== req.unwrapKey.recipient)
      throw new EdgewardError("EW_ERR_DEVICE_ENROL_UNWRAP_KEY", { detail: "the recipient is not the certified key" });
    return { qualifiedSigner: verified.attest.qualifiedSigner, policy };
  }

  async #peekTokenGroup(token: string, now: Date): Promise<string> {
    // Only read here: the token is consumed for good after the evidence checks (#takeToken).
    const t = await this.#ctx.store.getEnrolToken(tokenDigest(token));
    if (t === undefined || t.expiresAt <= now.toISOString()) throw new EdgewardError("EW_ERR_DEVICE_ENROL_TOKEN");
    return t.group;
  }

  async #takeToken(token: string, now: Date): Promise<void> {
    const t = await this.#ctx.store.takeEnrolToken(tokenDigest(token));
    if (t === undefined || t.expiresAt <= now.toISOString()) throw new EdgewardError("EW_ERR_DEVICE_ENROL_TOKEN");
  }
}

/** The stored form of an enrolment token: sha256 hex (tokens are never stored in the clear). */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Makes a one-time enrolment token for `group`, valid for `lifetimeMs` (default 24 h); returns the token. */
export async function createEnrolToken(
  ctx: Pick<DeviceContext, "store" | "now">,
  group: string,
  lifetimeMs = 24 * 3600_000,
): Promise<{ token: string; expiresAt: string }> {
  if ((await ctx.store.getGroup(group)) === undefined) throw new EdgewardError("EW_ERR_DEVICE_GROUP_UNKNOWN");
  const token = `ewt_${randomBytes(24).toString("base64url")}`;
  const expiresAt = new Date(ctx.now().getTime() + lifetimeMs).toISOString();
  await ctx.store.putEnrolToken(tokenDigest(token), group, expiresAt);
  return { token, expiresAt };
}
