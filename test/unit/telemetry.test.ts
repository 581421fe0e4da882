import { expect } from 'chai';
import { createTelemetry, noTelemetry } from '../../bot/telemetry';

describe('telemetry', () => {
  it('when no connection string is set, then telemetry is the no-op and applicationinsights is not even loaded', () => {
    const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/applicationinsights/'));
    expect(createTelemetry(undefined)).to.equal(noTelemetry);
    expect(createTelemetry('')).to.equal(noTelemetry);
    expect(loaded()).to.equal(false);
  });

  it('when a connection string is set, then events and flush never throw into the caller', async function () {
    this.timeout(20_000);
    // Ingestion pointed at a closed loopback port: nothing leaves the machine.
    const telemetry = createTelemetry('InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/');
    expect(telemetry).not.to.equal(noTelemetry);
    expect(() => telemetry.event('MessageReceived', { channel: 'sms', service: 'school-nursing' })).not.to.throw();
    await telemetry.flush();
  });
});
