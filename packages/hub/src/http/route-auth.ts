import type { Role } from "../store/tokens.ts";

/**
 * Who may call a route; every route declares one in `config.auth` (the app refuses to start with a route that
 * does not, so no route is open by omission):
 * - `public`: anyone (health, metrics, the OpenAPI document, public hub facts);
 * - `token`: an operator bearer token whose role is in `roles`;
 * - `device`: a device, authenticated by the device authenticator; `certificate: "none"` for enrolment, which
 *   happens before a device has a certificate.
 */
export type RouteAuth =
  | { readonly kind: "public" }
  | { readonly kind: "token"; readonly roles: readonly Role[] }
  | { readonly kind: "device"; readonly certificate: "required" | "optional" | "none" };

/** One registered route, as the route × role matrix test and the OpenAPI document see it. */
export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly auth: RouteAuth;
}

/** Shorthands for route configs. */
export const AUTH = {
  public: { kind: "public" } as const satisfies RouteAuth,
  admin: { kind: "token", roles: ["admin"] } as const satisfies RouteAuth,
  /** Reading: every role. */
  read: { kind: "token", roles: ["admin", "publisher", "operator", "viewer"] } as const satisfies RouteAuth,
  /** Fleet actions: admins and operators. */
  operate: { kind: "token", roles: ["admin", "operator"] } as const satisfies RouteAuth,
  /** Publishing releases: admins and publishers. */
  publish: { kind: "token", roles: ["admin", "publisher"] } as const satisfies RouteAuth,
  device: { kind: "device", certificate: "required" } as const satisfies RouteAuth,
} as const;
