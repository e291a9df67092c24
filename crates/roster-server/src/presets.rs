//! The team models of the five seed services, named by shape. An account carries one; the
//! client learns it from `GET /v1/me` and never hard-codes any of them.

use std::sync::LazyLock;

use Access::{Full, FullExceptDelete, LimitedRead, Read};
use roster_api::{Access, Delivery, Permissions, Role, TeamPolicy};

const NO: Access = Access::None;

pub struct Preset {
    pub id: &'static str,
    pub summary: &'static str,
    pub policy: TeamPolicy,
}

fn role(id: &str, name: &str, description: &str, is_owner: bool, p: [Access; 4]) -> Role {
    let [team, resources, billing, settings] = p;
    Role {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        is_owner,
        manages_team: team == Full,
        permissions: Permissions { team, resources, billing, settings },
    }
}

pub static PRESETS: LazyLock<Vec<Preset>> = LazyLock::new(|| {
    vec![
        Preset {
            id: "owner-member-link",
            summary: "Owner and member; invites are links shared by any channel, valid 14 days; no seat limit.",
            policy: TeamPolicy {
                roles: vec![
                    role(
                        "owner",
                        "Owner",
                        "Everything: invite and remove users, manage API keys, launch and stop any resource, billing, account settings.",
                        true,
                        [Full, Full, Full, Full],
                    ),
                    role(
                        "member",
                        "Member",
                        "Launch and stop resources, view billing, use API keys created by owners. Cannot invite users or change settings.",
                        false,
                        [Read, Full, Read, NO],
                    ),
                ],
                default_role: "member".into(),
                invite_lifetime_days: 14,
                seat_limit: None,
                delivery_methods: vec![Delivery::Link],
                identity_provider_restriction: false,
                notification_email: false,
                secure_sign_in_option: false,
                owner_promotion_confirmation: false,
                member_quotas: false,
                members_can_leave: true,
            },
        },
        Preset {
            id: "six-roles-2fa",
            summary: "Six roles over resources, billing and settings; e-mail invites that may require secure sign-in; promoting to owner needs the requesting owner's confirmation.",
            policy: TeamPolicy {
                roles: vec![
                    role(
                        "owner",
                        "Owner",
                        "Full access to shared resources, billing and team settings.",
                        true,
                        [Full, Full, Full, Full],
                    ),
                    role(
                        "biller",
                        "Biller",
                        "Full access to billing; no access to resources or team settings.",
                        false,
                        [Read, NO, Full, NO],
                    ),
                    role(
                        "billing_viewer",
                        "Billing viewer",
                        "Limited read-only access to billing.",
                        false,
                        [Read, NO, LimitedRead, NO],
                    ),
                    role(
                        "member",
                        "Member",
                        "Full access to shared resources; read-only team settings; no billing.",
                        false,
                        [Read, Full, NO, Read],
                    ),
                    role(
                        "modifier",
                        "Modifier",
                        "Full access to shared resources except deleting them; read-only team settings.",
                        false,
                        [Read, FullExceptDelete, NO, Read],
                    ),
                    role(
                        "resource_viewer",
                        "Resource viewer",
                        "Read-only access to shared resources and team settings.",
                        false,
                        [Read, Read, NO, Read],
                    ),
                ],
                default_role: "member".into(),
                invite_lifetime_days: 14,
                seat_limit: None,
                delivery_methods: vec![Delivery::Email],
                identity_provider_restriction: false,
                notification_email: false,
                secure_sign_in_option: true,
                owner_promotion_confirmation: true,
                member_quotas: false,
                members_can_leave: true,
            },
        },
        Preset {
            id: "link-email-quotas",
            summary: "Invite by e-mail or one-click link; per-member quotas; members may leave.",
            policy: TeamPolicy {
                roles: vec![
                    role(
                        "owner",
                        "Owner",
                        "Manages the team, quotas and billing.",
                        true,
                        [Full, Full, Full, Full],
                    ),
                    role(
                        "admin",
                        "Admin",
                        "Manages members and invitations; cannot grant ownership.",
                        false,
                        [Full, Full, Read, Read],
                    ),
                    role(
                        "member",
                        "Member",
                        "Uses the team's quota and API in the team context.",
                        false,
                        [Read, Full, NO, NO],
                    ),
                ],
                default_role: "member".into(),
                invite_lifetime_days: 7,
                seat_limit: None,
                delivery_methods: vec![Delivery::Link, Delivery::Email],
                identity_provider_restriction: false,
                notification_email: false,
                secure_sign_in_option: false,
                owner_promotion_confirmation: false,
                member_quotas: true,
                members_can_leave: true,
            },
        },
        Preset {
            id: "admin-member-idp",
            summary: "Administrator and member; invites restricted to an identity provider (with tenant), separate notification e-mail, 14 days, 10 seats.",
            policy: TeamPolicy {
                roles: vec![
                    role(
                        "administrator",
                        "Administrator",
                        "Full access, including user management, subscriptions, secrets, billing address and organization settings.",
                        true,
                        [Full, Full, Full, Full],
                    ),
                    role(
                        "member",
                        "Member",
                        "Uses every module the organization has; cannot manage users, invitations or subscriptions.",
                        false,
                        [Read, Full, NO, NO],
                    ),
                ],
                default_role: "member".into(),
                invite_lifetime_days: 14,
                seat_limit: Some(10),
                delivery_methods: vec![Delivery::Email, Delivery::Link],
                identity_provider_restriction: true,
                notification_email: true,
                secure_sign_in_option: false,
                owner_promotion_confirmation: false,
                member_quotas: false,
                members_can_leave: true,
            },
        },
        Preset {
            id: "four-roles-7day",
            summary: "Admin, developer, billing manager and viewer; e-mail invites valid 7 days; full activity log.",
            policy: TeamPolicy {
                roles: vec![
                    role(
                        "admin",
                        "Admin",
                        "Full control over the organization: members, billing, settings and all projects.",
                        true,
                        [Full, Full, Full, Full],
                    ),
                    role(
                        "developer",
                        "Developer",
                        "Build and ship: create projects, manage API keys, view usage.",
                        false,
                        [Read, Full, Read, Read],
                    ),
                    role(
                        "billing_manager",
                        "Billing manager",
                        "Manage credits and subscriptions, view usage; no API access.",
                        false,
                        [Read, NO, Full, Read],
                    ),
                    role(
                        "viewer",
                        "Viewer",
                        "Read-only access: view everything, change nothing.",
                        false,
                        [Read, Read, Read, Read],
                    ),
                ],
                default_role: "developer".into(),
                invite_lifetime_days: 7,
                seat_limit: None,
                delivery_methods: vec![Delivery::Email],
                identity_provider_restriction: false,
                notification_email: false,
                secure_sign_in_option: false,
                owner_promotion_confirmation: false,
                member_quotas: false,
                members_can_leave: true,
            },
        },
    ]
});

pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}
