// The invite dialog's form: what it shows for a policy, how it is checked, and what it sends.

import type { BulkOptions, Delivery, IdentityProvider, NewInvite, TeamPolicy } from "../contract";

export type InviteForm = {
  /** One address, or many separated by commas, semicolons, spaces or lines. */
  emails: string;
  role: string;
  delivery: Delivery;
  provider: IdentityProvider;
  tenant: string;
  notificationEmail: string;
  requireSecure: boolean;
  expiresInDays: number;
};

export function defaultInviteForm(policy: TeamPolicy, role: string): InviteForm {
  return {
    emails: "",
    role,
    delivery: policy.delivery_methods[0] ?? "link",
    provider: "any",
    tenant: "",
    notificationEmail: "",
    requireSecure: false,
    expiresInDays: policy.invite_lifetime_days,
  };
}

/** The addresses in the text, in order, blanks dropped (duplicates kept: the bulk report names them). */
export function parseEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function looksLikeEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);
}

/** Which optional parts of the dialog this policy has. */
export function inviteFields(policy: TeamPolicy) {
  return {
    deliveryChoice: policy.delivery_methods.length > 1,
    identityProvider: policy.identity_provider_restriction,
    notificationEmail: policy.notification_email,
    secureSignIn: policy.secure_sign_in_option,
    /** With an identity provider the invitee is named by a username that need not be an e-mail. */
    usernameLabel: policy.identity_provider_restriction ? "Username (usually an e-mail)" : "E-mail",
  };
}

export type FieldProblem = { field: keyof InviteForm; message: string };

export function validateInvite(form: InviteForm, policy: TeamPolicy): FieldProblem[] {
  const out: FieldProblem[] = [];
  const emails = parseEmails(form.emails);
  if (emails.length === 0) out.push({ field: "emails", message: "Enter an e-mail address." });
  // A username restricted to an identity provider may be a login name, not an e-mail.
  const mustBeEmail = !(policy.identity_provider_restriction && form.provider !== "any");
  if (mustBeEmail) {
    const bad = emails.filter((e) => !looksLikeEmail(e));
    if (bad.length)
      out.push({
        field: "emails",
        message: `Not an e-mail address: ${bad.slice(0, 3).join(", ")}${bad.length > 3 ? ` and ${bad.length - 3} more` : ""}.`,
      });
  }
  if (!policy.roles.some((r) => r.id === form.role)) out.push({ field: "role", message: "Pick a role." });
  if (!policy.delivery_methods.includes(form.delivery)) out.push({ field: "delivery", message: "This team does not allow that delivery." });
  const days = form.expiresInDays;
  if (!Number.isInteger(days) || days < 1 || days > policy.invite_lifetime_days) {
    out.push({ field: "expiresInDays", message: `Between 1 and ${policy.invite_lifetime_days} days.` });
  }
  if (policy.notification_email && form.notificationEmail.trim() && !looksLikeEmail(form.notificationEmail.trim())) {
    out.push({ field: "notificationEmail", message: "Not an e-mail address." });
  }
  return out;
}

/** Several addresses go through invite_bulk, one through invite_create. */
export function isBulk(form: InviteForm): boolean {
  return parseEmails(form.emails).length > 1;
}

/**
 * What every invite of the form carries besides its address, role and notification e-mail
 * (one invite or many alike): only the fields this policy has, defaults left to the server.
 */
function inviteSettings(form: InviteForm, policy: TeamPolicy): BulkOptions {
  const out: BulkOptions = {};
  if (policy.delivery_methods.length > 1) out.delivery = form.delivery;
  if (policy.identity_provider_restriction && form.provider !== "any") {
    out.identity_provider =
      form.provider === "microsoft" && form.tenant.trim()
        ? { provider: "microsoft", tenant_id: form.tenant.trim() }
        : { provider: form.provider };
  }
  if (policy.secure_sign_in_option && form.requireSecure) out.require_secure_sign_in = true;
  if (form.expiresInDays !== policy.invite_lifetime_days) out.expires_in_days = form.expiresInDays;
  return out;
}

/** The single invite to send: only the fields this policy has, defaults left to the server. */
export function toNewInvite(form: InviteForm, policy: TeamPolicy): NewInvite {
  const inv: NewInvite = { email: parseEmails(form.emails)[0] ?? "", role: form.role, ...inviteSettings(form, policy) };
  if (policy.notification_email && form.notificationEmail.trim()) inv.notification_email = form.notificationEmail.trim();
  return inv;
}

/** One invite the user asked for: what is sent, and the Idempotency-Key that stands for the asking. */
export type InviteSubmission = { invite: NewInvite; key: string };

/**
 * The submission for sending `invite`. Sending the same content again after a failure is the
 * same action retried: it keeps the previous key, so the server replays an invite a lost answer
 * already made instead of refusing it as invite_exists. Changed content is a new action with a
 * new key (the server refuses an old key with another body).
 */
export function nextSubmission(
  previous: InviteSubmission | null,
  invite: NewInvite,
  newKey: () => string = () => crypto.randomUUID(),
): InviteSubmission {
  if (previous && canonical(previous.invite) === canonical(invite)) return { invite, key: previous.key };
  return { invite, key: newKey() };
}

/** JSON with object keys sorted, so equal content compares equal whatever order it was built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** invite_bulk's text: one address a line. */
export function bulkText(form: InviteForm): string {
  return parseEmails(form.emails).join("\n");
}

/** invite_bulk's options: every address gets what a single invite would, but the notification e-mail. */
export function toBulkOptions(form: InviteForm, policy: TeamPolicy): BulkOptions {
  return inviteSettings(form, policy);
}

/** Fields filled in that a bulk run leaves out: the notification e-mail only, as it names one person's inbox. */
export function bulkIgnored(form: InviteForm, policy: TeamPolicy): string[] {
  const out: string[] = [];
  if (policy.notification_email && form.notificationEmail.trim()) out.push("notification e-mail");
  return out;
}
