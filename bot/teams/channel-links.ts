import { EntityManager, In } from 'typeorm';
import { Database } from '../../db/database';
import { ServiceChannel, StaffMember } from '../../db/entities';
import { auditingRefusals, recordAudit } from '../audit/record';
import type { ServiceDirectory } from '../config/services';
import type { StaffIdentity } from '../identity';
import { conflict, forbidden, invalid } from '../problems';

/** Which channel a service's escalation cards go to, and how it came to be that one. */
export interface LinkedChannel {
  channelId: string;
  channelName: string | null;
  teamName: string | null;
  /** `command`: linked in Teams by an admin; `config`: `teamsChannel` in the services config. */
  source: 'command' | 'config';
  linkedBy: string | null;
  linkedAt: string | null;
}

/**
 * The duty-lead channel of each service. An admin of the service links it from the channel itself
 * (`@Lamplight link school-nursing`) or unlinks it (`@Lamplight unlink school-nursing`), audited;
 * a link wins over `teamsChannel` in the services config, which still works for a deployment that
 * keeps it under change control.
 */
export class ChannelLinks {
  constructor(private readonly deps: { db: Database; directory: ServiceDirectory; now: () => number }) {}

  /** The channel the service's cards go to now, if any. */
  async channelFor(manager: EntityManager, serviceSlug: string): Promise<string | undefined> {
    const link = await manager.findOneBy(ServiceChannel, { serviceSlug });
    return link?.channelId ?? this.deps.directory.bySlugOrUndefined(serviceSlug)?.escalation.teamsChannel;
  }

  async link(staff: StaffIdentity, serviceSlug: string, channel: { id: string; name: string | null; teamName: string | null }): Promise<{ serviceName: string; replaced: boolean }> {
    return auditingRefusals(this.deps, staff, { action: 'teams.channel_link', subjectType: 'service' }, () => this.linkAsAdmin(staff, serviceSlug, channel));
  }

  private async linkAsAdmin(staff: StaffIdentity, serviceSlug: string, channel: { id: string; name: string | null; teamName: string | null }): Promise<{ serviceName: string; replaced: boolean }> {
    const service = this.adminOf(staff, serviceSlug, 'link');
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const before = await tx.findOneBy(ServiceChannel, { serviceSlug: service.slug });
      await tx.upsert(ServiceChannel, { serviceSlug: service.slug, channelId: channel.id, channelName: channel.name?.slice(0, 200) ?? null, teamName: channel.teamName?.slice(0, 200) ?? null, linkedBy: staff.id, linkedAt: now }, ['serviceSlug']);
      await recordAudit(tx, now, { actorType: 'staff', actorId: staff.id, action: 'teams.channel_link', subjectType: 'service', subjectId: null, services: [service.slug], detail: { channelId: channel.id, replaced: before && before.channelId !== channel.id ? before.channelId : null } });
      return { serviceName: service.name, replaced: !!before && before.channelId !== channel.id };
    });
  }

  /** Unlinks the service from this channel (only from the channel it is linked to). */
  async unlink(staff: StaffIdentity, serviceSlug: string, channelId: string): Promise<{ serviceName: string }> {
    return auditingRefusals(this.deps, staff, { action: 'teams.channel_unlink', subjectType: 'service' }, () => this.unlinkAsAdmin(staff, serviceSlug, channelId));
  }

  private async unlinkAsAdmin(staff: StaffIdentity, serviceSlug: string, channelId: string): Promise<{ serviceName: string }> {
    const service = this.adminOf(staff, serviceSlug, 'unlink');
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const link = await tx.findOneBy(ServiceChannel, { serviceSlug: service.slug });
      if (!link || link.channelId !== channelId) throw conflict('not_linked_here', `${service.name} is not linked to this channel`);
      await tx.delete(ServiceChannel, { serviceSlug: service.slug });
      await recordAudit(tx, now, { actorType: 'staff', actorId: staff.id, action: 'teams.channel_unlink', subjectType: 'service', subjectId: null, services: [service.slug], detail: { channelId } });
      return { serviceName: service.name };
    });
  }

  /** For the tab's settings: each of these services' channel, or none. */
  async linked(serviceSlugs: string[]): Promise<Map<string, LinkedChannel | null>> {
    const { manager } = this.deps.db;
    const links = serviceSlugs.length ? await manager.find(ServiceChannel, { where: { serviceSlug: In(serviceSlugs) } }) : [];
    const byService = new Map(links.map((l) => [l.serviceSlug, l]));
    const staffIds = [...new Set(links.map((l) => l.linkedBy).filter((id): id is string => !!id))];
    const names = new Map((staffIds.length ? await manager.findBy(StaffMember, { id: In(staffIds) }) : []).map((s) => [s.id, s.name]));
    const result = new Map<string, LinkedChannel | null>();
    for (const slug of serviceSlugs) {
      const link = byService.get(slug);
      const configured = this.deps.directory.bySlugOrUndefined(slug)?.escalation.teamsChannel;
      result.set(slug, link
        ? { channelId: link.channelId, channelName: link.channelName, teamName: link.teamName, source: 'command', linkedBy: link.linkedBy ? names.get(link.linkedBy) ?? 'a former staff member' : 'a former staff member', linkedAt: new Date(link.linkedAt).toISOString() }
        : configured ? { channelId: configured, channelName: null, teamName: null, source: 'config', linkedBy: null, linkedAt: null } : null);
    }
    return result;
  }

  private adminOf(staff: StaffIdentity, serviceSlug: string, verb: string) {
    const service = this.deps.directory.bySlugOrUndefined(serviceSlug);
    if (!service) throw invalid(`there is no service "${serviceSlug.slice(0, 64)}": the services are ${this.deps.directory.services.map((s) => s.slug).join(', ')}`);
    if (staff.memberships.find((m) => m.serviceSlug === service.slug)?.role !== 'admin') throw forbidden(`only an admin of ${service.name} can ${verb} its duty-lead channel`, [service.slug]);
    return service;
  }
}
