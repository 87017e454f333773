import '../zod-messages';
import * as z from 'zod/mini';
import { quoted } from './quote';

/**
 * The product's shared words (contract sections 2, 3, 5 and 6): event sources and types, Atlas project roles and
 * ids, the invitation APIs and the log levels. The function, the rule-file schema, `infra/` and the local tools all
 * take them from here, so a word added or renamed is added or renamed everywhere at once.
 */

/** Atlas project roles that a rule or a direct invite may grant, in the contract's order. */
export const PROJECT_ROLES = [
  'GROUP_BACKUP_MANAGER',
  'GROUP_CLUSTER_MANAGER',
  'GROUP_DATA_ACCESS_ADMIN',
  'GROUP_DATA_ACCESS_READ_ONLY',
  'GROUP_DATA_ACCESS_READ_WRITE',
  'GROUP_DATABASE_ACCESS_ADMIN',
  'GROUP_OBSERVABILITY_VIEWER',
  'GROUP_OWNER',
  'GROUP_READ_ONLY',
  'GROUP_SEARCH_INDEX_EDITOR',
  'GROUP_STREAM_PROCESSING_OWNER',
] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export const EVENT_SOURCES = ['hr', 'sso'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** Someone arrives or gains something. */
export const JOINING_TYPES = ['employee.hired', 'user.created', 'group.member.added'] as const;
/**
 * Someone's attributes or groups change (contract section 3, v2): `group.member.removed` is a change of the person's
 * groups (its `group` is taken out of `user.groups`), not a leaving.
 */
export const CHANGING_TYPES = ['employee.updated', 'user.updated', 'group.member.removed'] as const;
/** Someone leaves: never invited, and under `leavers: remove` removed from every managed project. */
export const LEAVING_TYPES = ['employee.terminated', 'user.deactivated'] as const;
export const EVENT_TYPES = [...JOINING_TYPES, ...CHANGING_TYPES, ...LEAVING_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The event types each source may send. */
export const TYPES_OF_SOURCE: Readonly<Record<EventSource, readonly EventType[]>> = {
  hr: ['employee.hired', 'employee.updated', 'employee.terminated'],
  sso: ['user.created', 'user.updated', 'group.member.added', 'group.member.removed', 'user.deactivated'],
};

/** The rule file's `lifecycle` settings (contract section 13): what movers and leavers do to existing access. */
export const MOVER_POLICIES = ['add', 'sync'] as const;
export type MoverPolicy = (typeof MOVER_POLICIES)[number];
export const LEAVER_POLICIES = ['ignore', 'remove'] as const;
export type LeaverPolicy = (typeof LEAVER_POLICIES)[number];

/** The two invitation APIs (contract section 6): `invites` (2023-01-01) and its replacement `users` (2025-02-19). */
export const INVITE_APIS = ['invites', 'users'] as const;
export type InviteApi = (typeof INVITE_APIS)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A project role; an unknown one is quoted short and escaped: it may be a caller's 200 KB of text. */
export const projectRole = z.enum(PROJECT_ROLES, { error: (i) => `unknown Atlas project role ${quoted(i.input)}` });

/** A 24-hex Atlas project id: also what keeps a path segment out of the invite URL. */
export const groupId = z
  .string()
  .check(z.regex(/^[a-f0-9]{24}$/, { error: 'must be a 24-character lowercase hexadecimal Atlas project id' }));
