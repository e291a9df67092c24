// The types of the IPC contract (roster-desk's command list, called through ./ipc), in ONE place: every UI
// module imports its types from here, never from ./bindings directly.
//
// All of them are generated from the Rust types by ts-rs into ./bindings (never edited by
// hand): the Team API wire types from roster-api, and the desk types (AccountsView, TeamView,
// InviteCreated, ..., and the requests) from roster-core and roster-desk. Should a contract type ever be needed before the Rust
// side exports it, declare it here, mirroring the contract, and turn it into a re-export when
// the generated one lands.

export type {
  Access,
  AccountsView,
  AppError,
  AuditAction,
  AuditFilter,
  AuditEvent,
  AuditNotice,
  BulkOptions,
  BulkReport,
  BulkRow,
  BulkStop,
  CopiedMessage,
  CopyOutcome,
  Delivery,
  ErrorCode,
  IdentityProvider,
  IdentityProviderRestriction,
  Invite,
  InviteCreated,
  InviteStatus,
  KeychainKind,
  KeychainStatus,
  KeyReport,
  KeyState,
  KeyStore,
  Me,
  Member,
  MemberPatch,
  MemberUpdate,
  NewInvite,
  OwnerPromotion,
  Page,
  ProblemCode,
  Role,
  RowOutcome,
  SavedAccount,
  Seats,
  SignInMethod,
  TeamPolicy,
  TeamView,
  UserRef,
} from "./bindings";
