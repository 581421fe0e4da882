import type { EntityManager } from 'typeorm';
import { Conversation, looksLikeId, Role } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import { forbidden, notFound } from '../problems';
import type { ServiceDirectory } from '../config/services';

/**
 * Who may see and do what. A clinician sees only the services they belong to; anything else is
 * "not found", so existence is not disclosed.
 */
export function visibleServices(staff: StaffIdentity, directory: ServiceDirectory, only?: string): string[] {
  const mine = staff.memberships.map((m) => m.serviceSlug).filter((slug) => directory.bySlugOrUndefined(slug));
  return only ? mine.filter((slug) => slug === only) : mine;
}

export function roleIn(staff: StaffIdentity, serviceSlug: string): Role | undefined {
  return staff.memberships.find((m) => m.serviceSlug === serviceSlug)?.role;
}

export function requireRole(staff: StaffIdentity, serviceSlug: string, roles: Role[], action: string): void {
  const role = roleIn(staff, serviceSlug);
  if (!role || !roles.includes(role)) throw forbidden(`only a ${roles.join(' or ')} of this service can ${action}`, [serviceSlug]);
}

export async function findVisibleConversation(manager: EntityManager, staff: StaffIdentity, directory: ServiceDirectory, conversationId: string): Promise<Conversation> {
  if (!looksLikeId(conversationId)) throw notFound('conversation not found');
  const conversation = await manager.findOneBy(Conversation, { id: conversationId });
  if (!conversation) throw notFound('conversation not found');
  if (!visibleServices(staff, directory).includes(conversation.serviceSlug)) throw notFound('conversation not found', [conversation.serviceSlug]);
  return conversation;
}
