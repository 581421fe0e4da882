import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { transcriptPdf, TranscriptView } from './transcript';

/**
 * PDF transcripts are laid out in a worker thread: pdfkit is synchronous, and a long conversation
 * took seconds of the event loop (a 10,000-message one, 6 s, while webhooks waited). One worker,
 * started on first use and kept; requests go one at a time in order.
 */
interface Job { id: number; view: TranscriptView; exportedBy: string; at: number }
type Answer = { id: number; pdf: Uint8Array } | { id: number; error: string };

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', (job: Job) => {
    transcriptPdf(job.view, job.exportedBy, new Date(job.at)).then(
      (pdf) => port.postMessage({ id: job.id, pdf } satisfies Answer),
      (error: Error) => port.postMessage({ id: job.id, error: error.message } satisfies Answer),
    );
  });
}

export class TranscriptRenderer {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (pdf: Buffer) => void; reject: (error: Error) => void }>();

  pdf(view: TranscriptView, exportedBy: string, at: Date): Promise<Buffer> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, view, exportedBy, at: at.getTime() } satisfies Job);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(__filename);
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const job = this.waiting.get(answer.id);
      if (!job) return;
      this.waiting.delete(answer.id);
      if ('pdf' in answer) job.resolve(Buffer.from(answer.pdf));
      else job.reject(new Error(`the transcript could not be laid out: ${answer.error}`));
    });
    // A worker that dies fails what it held; the next request starts a new one.
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [, job] of this.waiting) job.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => { if (code !== 0) fail(new Error(`the transcript worker stopped (${code})`)); else if (this.worker === worker) this.worker = undefined; });
    this.worker = worker;
    return worker;
  }
}
