import pino, { DestinationStream, Logger } from 'pino';
import { SonicBoom } from 'sonic-boom';

/**
 * Structured logs carry ids, events and levels. Nothing in Lamplight passes a message body or a
 * phone number to the logger; the redaction below is a second line of defence for request objects.
 * Each line has one `level` key, the level's name: a field of that name in a log call (a risk or
 * ladder level) is moved aside rather than written twice.
 */
export function createLogger(level = 'info', destination: DestinationStream = stdoutLog()): Logger {
  return pino({
    level,
    base: { service: 'lamplight' },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => {
        if (!('level' in object)) return object;
        const { level: fieldLevel, ...rest } = object;
        return { ...rest, fieldLevel };
      },
    },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-twilio-signature"]', '*.text', '*.body', '*.from', '*.to', '*.phone'], censor: '[redacted]' },
  }, destination);
}

let stdoutDestination: SonicBoom | undefined;

/**
 * Logs to standard output without ever holding up the service. pino's own stdout destination
 * flushes synchronously in an exit hook, and when stdout is a pipe nobody reads (a stuck log
 * shipper) that flush waits for ever and the process never exits. This one writes
 * asynchronously, keeps at most 8 MB waiting (later lines are dropped, not queued for ever),
 * registers no exit hook, and is flushed by `flushLogs` with a time bound.
 */
function stdoutLog(): SonicBoom {
  if (!stdoutDestination) {
    stdoutDestination = new SonicBoom({ fd: 1, sync: false, maxLength: 8 * 1024 * 1024 });
    // A broken or closed stdout must not take the service down with it.
    stdoutDestination.on('error', () => undefined);
  }
  return stdoutDestination;
}

/** Waits for waiting log lines to be written, for at most `timeoutMs`; then gives up on them. */
export async function flushLogs(timeoutMs = 2000): Promise<void> {
  const destination = stdoutDestination;
  if (!destination) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    try {
      destination.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
