import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { createTelemetry, noTelemetry } from '../../bot/telemetry';

describe('telemetry', () => {
  it('when no connection string is set, then telemetry is the no-op and applicationinsights is not even loaded', () => {
    const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/applicationinsights/'));
    expect(createTelemetry(undefined)).to.equal(noTelemetry);
    expect(createTelemetry('')).to.equal(noTelemetry);
    expect(loaded()).to.equal(false);
  });

  it('when a connection string is set, then custom events reach the ingestion endpoint, and a dead endpoint never throws into the caller', async function () {
    this.timeout(60_000);
    // A stand-in for Application Insights' ingestion service on loopback. The exporter always
    // speaks HTTPS and posts (gzipped) JSON envelopes to {IngestionEndpoint}/v2.1/track, so the
    // stand-in gets a throwaway certificate for 127.0.0.1, made now and trusted only by the child
    // process that sends the telemetry. Nothing leaves the machine.
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-ai-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const envelopes: any[] = [];
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          if (req.url?.endsWith('/v2.1/track')) {
            const raw = Buffer.concat(chunks);
            const parsed = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
            envelopes.push(...(Array.isArray(parsed) ? parsed : [parsed]));
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const script = `
        const { createTelemetry } = require(${JSON.stringify(join(__dirname, '..', '..', 'bot', 'telemetry'))});
        const telemetry = createTelemetry('InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/');
        telemetry.event('MessageReceived', { channel: 'sms', service: 'school-nursing' });
        (async () => {
          for (let i = 0; i < 20; i++) { await telemetry.flush(); await new Promise((r) => setTimeout(r, 500)); }
          process.stdout.write('flushed');
          process.exit(0);
        })();`;
      const child = spawn(process.execPath, ['-e', script], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), APPLICATION_INSIGHTS_NO_STATSBEAT: 'true', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const isOurs = (e: any) => e?.data?.baseData?.name === 'MessageReceived';
      const deadline = Date.now() + 30_000;
      while (!envelopes.some(isOurs) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      child.kill();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const event = envelopes.find(isOurs);
      expect(event, JSON.stringify(envelopes.map((e) => e?.name))).to.not.equal(undefined);
      expect(event.data.baseType).to.equal('EventData');
      expect(event.data.baseData.properties).to.include({ channel: 'sms', service: 'school-nursing' });
      expect(event.iKey).to.equal('00000000-0000-0000-0000-000000000000');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // In this process: ingestion at a closed loopback port; events and flush still never throw.
    const telemetry = createTelemetry('InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/');
    expect(telemetry).not.to.equal(noTelemetry);
    expect(() => telemetry.event('MessageReceived', { channel: 'sms' })).not.to.throw();
    await telemetry.flush();
  });
});
