/**
 * Application Insights custom events when a connection string is configured; a no-op otherwise.
 * (applicationinsights 3.x throws on every call when it was never given a connection string, so it
 * is only loaded when one is set.) Properties carry ids, channels and kinds, never content.
 */
export interface Telemetry {
  event(name: string, properties?: Record<string, string>): void;
  flush(): Promise<void>;
}

export const noTelemetry: Telemetry = { event: () => undefined, flush: async () => undefined };

export function createTelemetry(connectionString: string | undefined): Telemetry {
  if (!connectionString) return noTelemetry;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const appInsights = require('applicationinsights') as typeof import('applicationinsights');
  appInsights.setup(connectionString).setAutoCollectConsole(false).start();
  const client = appInsights.defaultClient;
  return {
    event: (name, properties) => client.trackEvent({ name, properties }),
    flush: async () => {
      await client.flush();
    },
  };
}
