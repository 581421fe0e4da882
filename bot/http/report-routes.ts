import type { Logger } from 'pino';
import type { Request, Response, Server } from 'restify';
import { reportCsvRows, Reports } from '../reports/reports';
import { csvRecord } from './csv';
import { jsonRoute } from './respond';
import { invalid } from '../problems';
import type { StaffIdentity } from './auth/clinician-auth';

interface Dependencies {
  staffOf: (req: Request) => Promise<StaffIdentity>;
  reports: Reports;
  log: Logger;
}

/** `GET /api/v1/reports` as JSON, or with `format=csv` its series and totals as CSV. */
export function registerReportRoutes(server: Server, { staffOf, reports, log }: Dependencies): void {
  server.get('/api/v1/reports', async (req: Request, res: Response) => {
    const query = { ...((req.query ?? {}) as Record<string, unknown>) };
    const format = query.format;
    delete query.format;
    if (format === 'csv') {
      try {
        const report = await reports.report(await staffOf(req), query, 'csv');
        const name = `lamplight-report-${report.from}-to-${report.to}.csv`;
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' });
        res.end(reportCsvRows(report).map(csvRecord).join(''));
      } catch (error) {
        await jsonRoute(log, async () => { throw error; })(req, res);
      }
      return;
    }
    await jsonRoute(log, async () => {
      if (format !== undefined && format !== 'json') throw invalid('"format" is json (the default) or csv');
      return reports.report(await staffOf(req), query, 'json');
    })(req, res);
  });
}
