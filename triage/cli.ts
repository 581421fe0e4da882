import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { evaluate, evaluateByClass, formatByClass, formatFigures, Labelled } from './evaluate';
import { assessSafely, buildTriageEngine, TriageEngine } from './index';
import { Level, LEXICON_PATH, loadLexicon } from './lexicon';
import { MODEL_PATH, SecondOpinion, trainModel } from './second-opinion';

const CORPUS_PATH = join(__dirname, '..', '..', 'triage', 'model', 'corpus.jsonl');

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
 * `triage-eval FILE.jsonl [--rules-only]`: the issue's figures for any labelled file; when lines
 * carry a `class` (a challenge set), a per-class table and the misses grouped by class; a confusion
 * table (label x level); and the second opinion's own figures (the model alone, as if it decided).
 * `--rules-only` leaves the model out.
 */
export function triageEval(file: string, output: NodeJS.WritableStream, options: { rulesOnly?: boolean } = {}): number {
  const items = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    const item = JSON.parse(l) as Labelled;
    if (!['high', 'medium', 'none'].includes(item.label)) throw new Error(`line ${i + 1}: label must be high, medium or none`);
    return item;
  });
  const model = options.rulesOnly ? undefined : SecondOpinion.load();
  const engine = TriageEngine.load(loadLexicon(LEXICON_PATH), undefined, model ?? null);
  const seen = new Map<string, ReturnType<typeof engine.assess>>();
  const assess = (t: string) => seen.get(t) ?? seen.set(t, engine.assess(t)).get(t)!;
  const figures = evaluate(items, assess);
  const header = `engine: ${model ? `rules + second opinion (model trained on ${model.model.trainedOn} messages)` : 'rules only'}`;
  const tail = [
    '', confusion(items, assess),
    ...(model ? ['', 'the second opinion alone (as if it decided):', formatFigures({ ...evaluate(items, (t) => ({ level: modelLevel(model, t), reasons: [] })), misses: [] })] : []),
  ];
  if (!items.some((item) => item.class)) {
    output.write([header, formatFigures(figures), ...tail].join('\n') + '\n');
    return 0;
  }
  const classed = new Set(items.filter((item) => item.class).map((item) => item.id));
  const unclassed = figures.misses.filter((m) => !classed.has(m.id));
  output.write([
    header,
    formatFigures({ ...figures, misses: [] }),
    ...tail,
    '',
    formatByClass(evaluateByClass(items, assess)),
    ...(unclassed.length ? ['', 'misses without a class (label -> engine):', ...unclassed.map((m) => `  ${m.id}: ${m.label} -> ${m.got}  ${JSON.stringify(m.text)}`)] : []),
  ].join('\n') + '\n');
  return 0;
}

/** What the model alone would say: its thresholds turned into a level. */
function modelLevel(model: SecondOpinion, text: string): Level {
  const [, medium, high] = model.probabilities(text);
  if (high >= model.model.thresholds.high) return 'high';
  return medium + high >= model.model.thresholds.flag ? 'medium' : 'none';
}

/** Label (rows) against the level given (columns), with counts. */
function confusion(items: Labelled[], assess: (text: string) => { level: Level }): string {
  const levels: Level[] = ['high', 'medium', 'none'];
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = `${item.label}>${assess(item.text).level}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [
    'confusion (label down, level given across):',
    `  ${'label'.padEnd(8)}${levels.map((l) => l.padStart(8)).join('')}`,
    ...levels.map((label) => `  ${label.padEnd(8)}${levels.map((got) => String(counts.get(`${label}>${got}`) ?? 0).padStart(8)).join('')}`),
  ].join('\n');
}

/** `triage-train`: trains the second opinion from the labelled corpus and writes its weights. */
export function triageTrain(output: NodeJS.WritableStream, corpus = CORPUS_PATH, target = MODEL_PATH): number {
  const items = readFileSync(corpus, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Labelled);
  const model = trainModel(items.map((i) => ({ text: i.text, label: i.label })));
  writeFileSync(target, JSON.stringify(model) + '\n');
  output.write(`trained on ${model.trainedOn} messages: ${Object.keys(model.weights).length} features; thresholds flag ${model.thresholds.flag}, high ${model.thresholds.high}\n`);
  output.write(`on the fifth held back: ${JSON.stringify(model.validation)}\n`);
  return 0;
}
