import { once } from 'node:events';
import type { Logger } from 'pino';
import type { Request, Response, Server } from 'restify';
import { AUDIT_PAGE_DEFAULT, auditQueryFrom, AuditTrail, AuditView } from '../audit/trail';
import { csvRecord } from './csv';
import { jsonRoute } from './respond';
import type { StaffIdentity } from './auth/clinician-auth';

const CSV_COLUMNS = ['seq', 'id', 'at', 'actorType', 'actorId', 'actorName', 'action', 'subjectType', 'subjectId', 'services', 'outcome', 'detail', 'hash'] as const;

const csvRow = (e: AuditView) => csvRecord([
  e.seq, e.id, e.at, e.actorType, e.actorId, e.actorName, e.action, e.subjectType, e.subjectId, e.services.join(' '), e.outcome,
  e.detail ? JSON.stringify(e.detail) : null, e.hash,
]);

interface Dependencies {
  staffOf: (req: Request) => Promise<StaffIdentity>;
  trail: AuditTrail;
  log: Logger;
}

/** The audit trail of the services where the caller is an admin: pages of JSON, or all of it as CSV. */
export function registerAuditRoutes(server: Server, { staffOf, trail, log }: Dependencies): void {
  server.get('/api/v1/audit', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    return trail.page(staff, auditQueryFrom(req.query ?? {}, { limit: AUDIT_PAGE_DEFAULT }));
  }));

  server.get('/api/v1/audit.csv', async (req: Request, res: Response) => {
    let started = false;
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await once(res, 'drain');
    };
    const start = async () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="lamplight-audit.csv"', 'cache-control': 'no-store' });
      await write(csvRecord(CSV_COLUMNS));
    };
    try {
      const staff = await staffOf(req);
      const query = auditQueryFrom(req.query ?? {}, {});
      await trail.export(staff, query, async (events) => {
        await start();
        await write(events.map(csvRow).join(''));
      });
      await start();
      res.end();
    } catch (error) {
      // Once rows have gone out the status is sent: cutting the connection is the only honest end.
      if (started) {
        log.error({ event: 'audit.export_failed', err: { name: (error as Error)?.name } }, 'audit export failed part way');
        res.destroy();
        return;
      }
      await jsonRoute(log, async () => { throw error; })(req, res);
    }
  });
}
