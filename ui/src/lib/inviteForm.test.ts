import { describe, expect, it } from "vitest";
import {
  bulkIgnored,
  bulkText,
  defaultInviteForm,
  inviteFields,
  isBulk,
  nextSubmission,
  parseEmails,
  toBulkOptions,
  toNewInvite,
  validateInvite,
} from "./inviteForm";
import { idp, ownerMember, quotas, sixRoles } from "../test/fixtures";

describe("parseEmails", () => {
  it("splits on commas, semicolons, spaces and lines", () => {
    expect(parseEmails(" a@x.io, b@x.io;c@x.io\n\nd@x.io  ")).toEqual(["a@x.io", "b@x.io", "c@x.io", "d@x.io"]);
    expect(parseEmails("   ")).toEqual([]);
  });
});

describe("what the dialog shows per policy", () => {
  it("owner/member link team: nothing optional", () => {
    expect(inviteFields(ownerMember)).toMatchObject({
      deliveryChoice: false,
      identityProvider: false,
      notificationEmail: false,
      secureSignIn: false,
      usernameLabel: "E-mail",
    });
  });
  it("six roles: secure sign-in", () => expect(inviteFields(sixRoles).secureSignIn).toBe(true));
  it("quotas: delivery choice", () => expect(inviteFields(quotas).deliveryChoice).toBe(true));
  it("idp: provider, notification e-mail, username", () => {
    expect(inviteFields(idp)).toMatchObject({
      identityProvider: true,
      notificationEmail: true,
      usernameLabel: "Username (usually an e-mail)",
    });
  });
});

describe("validation", () => {
  it("needs an address and a sane expiry", () => {
    const f = defaultInviteForm(quotas, "member");
    expect(validateInvite(f, quotas).map((p) => p.field)).toEqual(["emails"]);
    expect(validateInvite({ ...f, emails: "a@x.io", expiresInDays: 8 }, quotas)).toEqual([
      { field: "expiresInDays", message: "Between 1 and 7 days." },
    ]);
    expect(validateInvite({ ...f, emails: "a@x.io", expiresInDays: 7 }, quotas)).toEqual([]);
  });
  it("names the bad addresses", () => {
    const f = { ...defaultInviteForm(quotas, "member"), emails: "a@x.io, nope, b@, c@x.io" };
    expect(validateInvite(f, quotas)[0].message).toBe("Not an e-mail address: nope, b@.");
  });
  it("a username restricted to a provider need not be an e-mail", () => {
    const f = { ...defaultInviteForm(idp, "member"), emails: "jdoe", provider: "microsoft" as const };
    expect(validateInvite(f, idp)).toEqual([]);
    expect(validateInvite({ ...f, notificationEmail: "bad" }, idp)).toEqual([
      { field: "notificationEmail", message: "Not an e-mail address." },
    ]);
  });
  it("refuses a role or delivery outside the policy", () => {
    const f = { ...defaultInviteForm(ownerMember, "member"), emails: "a@x.io" };
    expect(validateInvite({ ...f, role: "god" }, ownerMember).map((p) => p.field)).toEqual(["role"]);
    expect(validateInvite({ ...f, delivery: "email" }, ownerMember).map((p) => p.field)).toEqual(["delivery"]);
  });
});

describe("what is sent", () => {
  it("only the fields the policy has; defaults left to the server", () => {
    const f = {
      ...defaultInviteForm(ownerMember, "member"),
      emails: "a@x.io",
      requireSecure: true,
      notificationEmail: "n@x.io",
      provider: "google" as const,
    };
    expect(toNewInvite(f, ownerMember)).toEqual({ email: "a@x.io", role: "member" });
  });
  it("idp with tenant, notification e-mail, shorter expiry", () => {
    const f = {
      ...defaultInviteForm(idp, "member"),
      emails: "jdoe",
      provider: "microsoft" as const,
      tenant: " t-1 ",
      notificationEmail: "j@x.io",
      expiresInDays: 3,
      delivery: "link" as const,
    };
    expect(toNewInvite(f, idp)).toEqual({
      email: "jdoe",
      role: "member",
      delivery: "link",
      identity_provider: { provider: "microsoft", tenant_id: "t-1" },
      notification_email: "j@x.io",
      expires_in_days: 3,
    });
    expect(toNewInvite({ ...f, provider: "google" }, idp).identity_provider).toEqual({ provider: "google" });
  });
  it("secure sign-in where offered", () => {
    const f = { ...defaultInviteForm(sixRoles, "owner"), emails: "a@x.io", requireSecure: true };
    expect(toNewInvite(f, sixRoles)).toEqual({ email: "a@x.io", role: "owner", require_secure_sign_in: true });
  });
  it("bulk", () => {
    const f = { ...defaultInviteForm(idp, "member"), emails: "a@x.io b@x.io", provider: "google" as const, expiresInDays: 2 };
    expect(isBulk(f)).toBe(true);
    expect(bulkText(f)).toBe("a@x.io\nb@x.io");
    expect(bulkIgnored(f, idp)).toEqual([]);
    expect(isBulk({ ...f, emails: "a@x.io" })).toBe(false);
  });
});

describe("what a bulk run sends", () => {
  it("every option of a single invite, provider with tenant included", () => {
    const f = {
      ...defaultInviteForm(idp, "member"),
      emails: "a@x.io b@x.io",
      provider: "microsoft" as const,
      tenant: " t-1 ",
      expiresInDays: 3,
      delivery: "link" as const,
    };
    expect(toBulkOptions(f, idp)).toEqual({
      delivery: "link",
      identity_provider: { provider: "microsoft", tenant_id: "t-1" },
      expires_in_days: 3,
    });
    expect(bulkIgnored(f, idp)).toEqual([]);
  });
  it("secure sign-in and expiry where offered", () => {
    const f = { ...defaultInviteForm(sixRoles, "owner"), emails: "a@x.io, b@x.io", requireSecure: true, expiresInDays: 5 };
    expect(toBulkOptions(f, sixRoles)).toEqual({ require_secure_sign_in: true, expires_in_days: 5 });
  });
  it("only the fields the policy has; defaults left to the server", () => {
    const f = {
      ...defaultInviteForm(ownerMember, "member"),
      emails: "a@x.io b@x.io",
      requireSecure: true,
      provider: "google" as const,
      tenant: "t-1",
      delivery: "email" as const,
    };
    expect(toBulkOptions(f, ownerMember)).toEqual({});
    expect(toBulkOptions({ ...defaultInviteForm(idp, "member"), emails: "a@x.io b@x.io" }, idp)).toEqual({ delivery: "email" });
  });
  it("the same settings as the single invite, but the notification e-mail, which the dialog notes", () => {
    const f = {
      ...defaultInviteForm(idp, "member"),
      emails: "a@x.io b@x.io",
      provider: "google" as const,
      notificationEmail: " n@x.io ",
      expiresInDays: 2,
    };
    const { email: _email, role: _role, notification_email, ...shared } = toNewInvite(f, idp);
    expect(notification_email).toBe("n@x.io");
    expect(toBulkOptions(f, idp)).toEqual(shared);
    expect(bulkIgnored(f, idp)).toEqual(["notification e-mail"]);
    // Where the policy has no notification e-mail there is nothing to leave out.
    expect(bulkIgnored({ ...f, notificationEmail: "n@x.io" }, quotas)).toEqual([]);
    expect(bulkIgnored({ ...f, notificationEmail: "  " }, idp)).toEqual([]);
  });
});

describe("the idempotency key of a submission", () => {
  const keys = () => {
    let n = 0;
    return () => `key-${++n}`;
  };
  const form = { ...defaultInviteForm(idp, "member"), emails: "jdoe", provider: "microsoft" as const, tenant: "t-1" };

  it("the first submission gets a fresh key", () => {
    expect(nextSubmission(null, toNewInvite(form, idp), keys())).toEqual({ invite: toNewInvite(form, idp), key: "key-1" });
  });
  it("retrying the same content after a failure keeps the key", () => {
    const next = keys();
    const first = nextSubmission(null, toNewInvite(form, idp), next);
    const retry = nextSubmission(first, toNewInvite({ ...form }, idp), next);
    expect(retry.key).toBe(first.key);
    // Equal content built in another key order is still the same action.
    const reordered = {
      identity_provider: { tenant_id: "t-1", provider: "microsoft" },
      role: "member",
      email: "jdoe",
      delivery: first.invite.delivery,
    } as const;
    expect(nextSubmission(first, reordered, next).key).toBe(first.key);
  });
  it("changed content is a new action with a new key", () => {
    const next = keys();
    const first = nextSubmission(null, toNewInvite(form, idp), next);
    const otherAddress = nextSubmission(first, toNewInvite({ ...form, emails: "jdoe2" }, idp), next);
    expect(otherAddress.key).toBe("key-2");
    const otherTenant = nextSubmission(otherAddress, toNewInvite({ ...form, emails: "jdoe2", tenant: "t-2" }, idp), next);
    expect(otherTenant.key).toBe("key-3");
    // Going back to the first content after another submission is another action too.
    expect(nextSubmission(otherTenant, toNewInvite(form, idp), next).key).toBe("key-4");
  });
  it("keys are UUIDs by default, one per action", () => {
    const a = nextSubmission(null, toNewInvite(form, idp));
    const b = nextSubmission(a, toNewInvite({ ...form, emails: "other" }, idp));
    expect(a.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.key).not.toBe(a.key);
  });
});
