import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { evaluate, formatFigures, Labelled } from './evaluate';
import { assessSafely, buildTriageEngine, TriageEngine } from './index';

/**
 * `triage --jsonl`: JSON lines {"id","text"} on stdin -> {"id","level","reasons"} on stdout, one
 * per line, nothing else on stdout (problems go to stderr, and the exit code says so).
 *
 * A message the engine fails on is still answered, as the server answers it: level high with the
 * one reason `triage-failed` (an unread message must not pass as no risk, nor stop the messages
 * after it from being triaged). The failure goes to stderr with its line number; the exit code stays
 * 0, because every message was answered: npm (in this project's JSON mode) appends an error object
 * to stdout when a command exits non-zero, which would break the one-line-per-message contract for
 * a run whose answers are all there. Malformed input lines are the caller's to fix: exit code 1.
 */
export async function triageJsonl(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, errors: NodeJS.WritableStream,
  engine: Pick<TriageEngine, 'assess'> = buildTriageEngine()): Promise<number> {
  let bad = 0;
  let faults = 0;
  let lineNumber = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++;
    if (!line.trim()) continue;
    let item: { id?: unknown; text?: unknown };
    try {
      item = JSON.parse(line);
    } catch {
      errors.write(`line ${lineNumber}: not JSON\n`);
      bad++;
      continue;
    }
    if (typeof item?.text !== 'string' || (typeof item.id !== 'string' && typeof item.id !== 'number')) {
      errors.write(`line ${lineNumber}: needs "id" (string or number) and "text" (string)\n`);
      bad++;
      continue;
    }
    const { level, reasons, failed } = assessSafely(engine, item.text, (error) => errors.write(`line ${lineNumber}: triage failed (${(error as Error)?.message ?? error}); answered as high risk with reason triage-failed\n`));
    if (failed) faults++;
    output.write(JSON.stringify({ id: item.id, level, reasons }) + '\n');
  }
  if (faults) errors.write(`${faults} message(s) could not be triaged and were answered as high risk (triage-failed)\n`);
  return bad ? 1 : 0;
}

/** `triage-eval FILE.jsonl`: the figures for any labelled file. */
export function triageEval(file: string, output: NodeJS.WritableStream): number {
  const items = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    const item = JSON.parse(l) as Labelled;
    if (!['high', 'medium', 'none'].includes(item.label)) throw new Error(`line ${i + 1}: label must be high, medium or none`);
    return item;
  });
  const engine = buildTriageEngine();
  output.write(formatFigures(evaluate(items, (t) => engine.assess(t))) + '\n');
  return 0;
}
