import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { evaluate, evaluateByClass, formatByClass, formatFigures, Labelled } from './evaluate';
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

/**
 * `triage-eval FILE.jsonl`: the figures for any labelled file. When lines carry a `class`
 * (a challenge set), the figures are followed by a per-class table, then the misses grouped by
 * class (and any misses of lines without a class); a file without classes prints as it always has.
 */
export function triageEval(file: string, output: NodeJS.WritableStream): number {
  const items = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    const item = JSON.parse(l) as Labelled;
    if (!['high', 'medium', 'none'].includes(item.label)) throw new Error(`line ${i + 1}: label must be high, medium or none`);
    return item;
  });
  const engine = buildTriageEngine();
  const seen = new Map<string, ReturnType<typeof engine.assess>>();
  const assess = (t: string) => seen.get(t) ?? seen.set(t, engine.assess(t)).get(t)!;
  const figures = evaluate(items, assess);
  if (!items.some((item) => item.class)) {
    output.write(formatFigures(figures) + '\n');
    return 0;
  }
  const classed = new Set(items.filter((item) => item.class).map((item) => item.id));
  const unclassed = figures.misses.filter((m) => !classed.has(m.id));
  output.write([
    formatFigures({ ...figures, misses: [] }),
    '',
    formatByClass(evaluateByClass(items, assess)),
    ...(unclassed.length ? ['', 'misses without a class (label -> engine):', ...unclassed.map((m) => `  ${m.id}: ${m.label} -> ${m.got}  ${JSON.stringify(m.text)}`)] : []),
  ].join('\n') + '\n');
  return 0;
}
