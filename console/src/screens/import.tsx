/**
 * Recipient import: pasted text (CSV with a header row, or JSON lines), sent in requests of a few hundred rows with a
 * progress bar — or, above 1,000 rows, as one import job (`POST /v1/imports`) whose progress is polled — and one report
 * for the whole file: created, updated, unchanged, and every rejected row or warning with its line in the original
 * text. A chosen file always goes to an import job as its raw bytes, never decoded here: the server detects its
 * encoding (a Latin-1 or UTF-16 file read as UTF-8 in the browser would be mangled before it got there). Above
 * `DIRECT_BYTES` it is PUT to the job's pre-signed upload URL instead of going through the API's 10 MB body.
 * The job's id stays on the screen, and a failed read of the job is tried again (it goes on on the server). A job
 * that failed (final, like completed) is said with its reason, above the report of what it imported.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { addReport, chunkImport, CONTENT_TYPE, emptyReport, guessFormat, type ImportFormat, type RowReport } from '../import-chunks.ts';
import type { Ctx } from '../main.tsx';
import { num } from '../format.ts';
import { ErrorBox, Page } from '../ui.tsx';

/** Files up to this size go as the body of `POST /v1/imports`; larger ones to a pre-signed upload URL. */
const DIRECT_BYTES = 8 * 1024 * 1024;

/** A job's progress is read every second; after failed reads the wait doubles (2, 4, 8, 16 s) up to 30 s. */
const POLL_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** Worth reading again: no answer, throttling, or a 5xx (the job goes on meanwhile). A 4xx would answer the same. */
const transient = (e: unknown) => e instanceof ApiError && (e.status === 0 || e.status === 429 || e.status >= 500);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type JobView = {
  status: string;
  rows: { total: number; done: number };
  chunks: { total: number; done: number };
  created: number;
  updated: number;
  unchanged: number;
  etaSeconds?: number;
  failure?: { reason: string };
};

export function Import({ api }: Ctx) {
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | undefined>();
  const [fileName, setFileName] = useState('');
  const [format, setFormat] = useState<'auto' | ImportFormat>('auto');
  const [rowsPerRequest, setRowsPerRequest] = useState(500);
  const [progress, setProgress] = useState<{ done: number; total: number; requests: number; of: number; job?: boolean; id?: string; eta?: number; failed?: boolean } | undefined>();
  const [report, setReport] = useState<RowReport | undefined>();
  const [error, setError] = useState<unknown>();
  /** Why the import job failed (the server's reason). */
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  /** Set while a read of the job failed and waits to be tried again. */
  const [retry, setRetry] = useState<{ what: 'progress' | 'report'; seconds: number } | undefined>();
  // Polling stops when the screen is left (with the API down it would otherwise retry forever, unseen).
  const shown = useRef(true);
  useEffect(
    () => () => {
      shown.current = false;
    },
    [],
  );

  const run = async () => {
    setError(undefined);
    setFailure(undefined);
    setReport(undefined);
    if (file) return runFile(file);
    const fmt = format === 'auto' ? guessFormat(text, fileName) : format;
    let chunks;
    try {
      chunks = chunkImport(text, fmt, rowsPerRequest);
    } catch (e) {
      return setError(e);
    }
    if (chunks.length === 0) return setError(new Error('There are no rows to import.'));
    const total = chunks.reduce((n, c) => n + c.lines.length, 0);
    // More rows than one synchronous request takes: one import job, its progress polled.
    if (total > 1000) return runJob(total, () => api.post<{ id: string }>('/v1/imports', text, CONTENT_TYPE[fmt]));
    setBusy(true);
    let sum = emptyReport;
    let done = 0;
    setProgress({ done, total, requests: 0, of: chunks.length });
    try {
      for (const [i, chunk] of chunks.entries()) {
        const r = await api.post<RowReport>('/v1/recipients/import', chunk.body, CONTENT_TYPE[fmt]);
        sum = addReport(sum, chunk, fmt, r);
        done += chunk.lines.length;
        setProgress({ done, total, requests: i + 1, of: chunks.length });
        setReport(sum);
      }
    } catch (e) {
      setError(e instanceof ApiError ? new ApiError(e.status, e.code, `Stopped after ${num(done)} of ${num(total)} rows: ${e.message}`, e.details) : e);
    } finally {
      setBusy(false);
    }
  };

  /** A chosen file: its bytes to an import job, directly or through an upload URL when large. */
  const runFile = async (f: File) => {
    const fmt = format === 'auto' ? guessFormat(await f.slice(0, 4096).text(), f.name) : format;
    return runJob(0, async () => {
      if (f.size <= DIRECT_BYTES) return api.post<{ id: string }>('/v1/imports', f, CONTENT_TYPE[fmt]);
      const accepted = await api.post<{ id: string; upload: { url: string; method: string; headers: Record<string, string> } }>('/v1/imports', { upload: { format: fmt } });
      let put: Response;
      try {
        put = await fetch(accepted.upload.url, { method: accepted.upload.method, headers: accepted.upload.headers, body: f });
      } catch {
        throw new ApiError(0, 'network', 'The file could not be uploaded. Check the connection and try again.');
      }
      if (!put.ok) throw new ApiError(put.status, 'upload_failed', `The upload was refused (${put.status}).`);
      return accepted;
    });
  };

  /**
   * A read of the job that outlasts failures that may pass: each is said (`retry`) and tried again after a wait that
   * doubles; the notice goes with the first read that succeeds. Undefined once the screen has been left.
   */
  const readJob = async <T,>(path: string, what: 'progress' | 'report'): Promise<T | undefined> => {
    for (let failures = 1; shown.current; failures++) {
      try {
        const answer = await api.get<T>(path);
        setRetry(undefined);
        return answer;
      } catch (e) {
        if (!transient(e)) throw e;
        const wait = Math.min(POLL_MS * 2 ** failures, MAX_RETRY_MS);
        setRetry({ what, seconds: wait / 1000 });
        await sleep(wait);
      }
    }
    return undefined;
  };

  /** An import job (`POST /v1/imports`): started by `start`, its progress polled, then its report. */
  const runJob = async (total: number, start: () => Promise<{ id: string }>) => {
    setBusy(true);
    setRetry(undefined);
    setProgress({ done: 0, total, requests: 0, of: 1, job: true });
    try {
      const { id } = await start();
      setProgress({ done: 0, total, requests: 0, of: 1, job: true, id });
      let job: JobView | undefined;
      for (;;) {
        job = await readJob<JobView>(`/v1/imports/${id}`, 'progress');
        if (!job) return;
        const failed = job.status === 'failed';
        setProgress({ done: job.rows.done, total: job.rows.total, requests: job.chunks.done, of: job.chunks.total, job: true, id, ...(job.etaSeconds !== undefined ? { eta: job.etaSeconds } : {}), ...(failed ? { failed } : {}) });
        if (failed) setFailure(job.failure?.reason ?? 'The server gave no reason.');
        if (job.status === 'completed' || failed) break;
        await sleep(POLL_MS);
      }
      const rejected: Array<{ line: number; reason: string }> = [];
      const warnings: Array<{ line: number; message: string }> = [];
      let cursor: string | undefined;
      do {
        const page = await readJob<{ entries: Array<{ line: number; kind: string; reason: string }>; next?: string }>(
          `/v1/imports/${id}/report${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
          'report',
        );
        if (!page) return;
        for (const e of page.entries) {
          if (e.kind === 'rejected') rejected.push({ line: e.line, reason: e.reason });
          else warnings.push({ line: e.line, message: e.reason });
        }
        cursor = page.next;
      } while (cursor);
      // A failed job's rows are those it settled before it stopped.
      setReport({ rows: job.status === 'failed' ? job.rows.done : job.rows.total, created: job.created, updated: job.updated, unchanged: job.unchanged, rejected, warnings });
    } catch (e) {
      setError(e);
    } finally {
      setRetry(undefined);
      setBusy(false);
    }
  };

  const pctDone = progress && progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : 0;
  return (
    <Page title="Import recipients">
      <form
        class="panel"
        aria-label="Import"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label for="import-file">File (CSV or JSON lines)</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,.jsonl,.ndjson,text/csv,application/x-ndjson"
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            setFile(f);
            setFileName(f?.name ?? '');
            if (f) setText('');
          }}
        />
        {file && (
          <p class="help" id="import-file-note">
            {file.name} ({num(file.size)} bytes) is sent as it is, as one import job; its encoding (UTF-8, UTF-16, Latin-1/Windows-1252) is recognised on the server.
          </p>
        )}
        <label for="import-text">…or paste the rows</label>
        <textarea
          id="import-text"
          rows={10}
          class="code"
          spellcheck={false}
          value={text}
          onInput={(e) => {
            setFileName('');
            setFile(undefined);
            setText(e.currentTarget.value);
          }}
          aria-describedby="import-help"
        />
        <p id="import-help" class="help">
          CSV needs a header row: <code>email,country,locale,topic:news,consent_at,consent_source</code>; other columns become attributes. JSON lines: one{' '}
          <code>{'{"email": …, "consents": {"news": {"status": "opted_in", "at": …}}}'}</code> per line. An opt-in needs its evidence (<code>consent_at</code>).
        </p>
        <div class="grid2">
          <div>
            <label for="import-format">Format</label>
            <select id="import-format" value={format} onChange={(e) => setFormat(e.currentTarget.value as typeof format)}>
              <option value="auto">Recognise it</option>
              <option value="csv">CSV</option>
              <option value="jsonl">JSON lines</option>
            </select>
          </div>
          <div>
            <label for="import-rows">Rows per request</label>
            <input id="import-rows" type="number" min={1} max={1000} value={rowsPerRequest} onInput={(e) => setRowsPerRequest(Number(e.currentTarget.value))} />
          </div>
        </div>
        <button type="submit" disabled={busy || (!file && !text.trim())}>
          Import
        </button>
      </form>
      {progress && (
        <section class="panel" aria-labelledby="import-progress-h">
          <h2 id="import-progress-h">Progress</h2>
          <progress id="import-progress" max={progress.total} value={progress.done} aria-labelledby="import-progress-h">
            {pctDone} %
          </progress>
          <p role="status" aria-live="polite" id="import-status">
            {progress.job
              ? progress.failed
                ? `Failed: the import job stopped after ${num(progress.done)} of ${num(progress.total)} rows.`
                : progress.done === progress.total && !busy
                  ? `Done: ${num(progress.total)} rows in an import job of ${progress.of} chunk${progress.of === 1 ? '' : 's'}.`
                  : `Imported ${num(progress.done)} of ${num(progress.total)} rows (import job, chunk ${progress.requests} of ${progress.of}${progress.eta !== undefined ? `, about ${progress.eta} s to go` : ''}).`
              : progress.done === progress.total && !busy
                ? `Done: ${num(progress.total)} rows in ${progress.of} request${progress.of === 1 ? '' : 's'}.`
                : `Imported ${num(progress.done)} of ${num(progress.total)} rows (request ${progress.requests} of ${progress.of}).`}
          </p>
          {progress.id && (
            <p class="help" id="import-job">
              Import job <code>{progress.id}</code>: it runs on the server whether or not this page stays open.
            </p>
          )}
          {/* Always in the page, so that screen readers announce the notice when it appears. */}
          <div role="status" aria-live="polite" id="import-retry">
            {retry && (
              <p class="notice">
                {retry.what === 'progress' ? 'Could not refresh the progress' : 'Could not read the report'}; retrying in {retry.seconds} s.
                {retry.what === 'progress' ? ' The import job goes on on the server.' : ''}
              </p>
            )}
          </div>
        </section>
      )}
      {/* Once started, a job runs on whatever happens here: an error after that ends only this screen's view of it. */}
      <ErrorBox error={failure} title="The import job failed" />
      <ErrorBox error={error} title={progress?.id ? 'Stopped following the import job' : 'The import stopped'} />
      {report && <ImportReport report={report} />}
    </Page>
  );
}

function ImportReport({ report }: { report: RowReport }) {
  return (
    <section class="panel" aria-labelledby="report-h">
      <h2 id="report-h">Report</h2>
      <dl class="figures" id="import-report">
        <div>
          <dt>Rows</dt>
          <dd data-figure="rows">{num(report.rows)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd data-figure="created">{num(report.created)}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd data-figure="updated">{num(report.updated)}</dd>
        </div>
        <div>
          <dt>Unchanged</dt>
          <dd data-figure="unchanged">{num(report.unchanged)}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd data-figure="rejected">{num(report.rejected.length)}</dd>
        </div>
      </dl>
      {report.rejected.length > 0 && (
        <table id="import-rejected">
          <caption>Rejected rows (not imported)</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {report.rejected.map((r, i) => (
              <tr key={i}>
                <th scope="row">{r.line}</th>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {report.warnings.length > 0 && (
        <table id="import-warnings">
          <caption>Warnings (imported, with a caveat)</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Warning</th>
            </tr>
          </thead>
          <tbody>
            {report.warnings.map((w, i) => (
              <tr key={i}>
                <th scope="row">{w.line}</th>
                <td>{w.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
