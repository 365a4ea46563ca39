/**
 * The pages the router answers itself: unknown host (404), nothing running (503, with the
 * reason from the environment's status) and HAProxy's own errors (timeouts, too large, …).
 * HTML for browsers, plain text for curl and other clients.
 */
export interface Page {
  status: number;
  title: string;
  message: string;
  hint: string;
}

export type PageFormat = 'html' | 'text';

/** Browsers ask for text/html; curl, scripts and health checkers get plain text. */
export function pageFormat(accept: string | undefined): PageFormat {
  return accept && /text\/html|application\/xhtml\+xml/i.test(accept) ? 'html' : 'text';
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderPage(page: Page, format: PageFormat, requestId?: string): string {
  if (format === 'text') {
    return `${page.status} ${page.title}\n\n${page.message}\n${page.hint}\n${requestId ? `\nRequest id: ${requestId}\n` : ''}`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.status} ${escape(page.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;color:#1d2433;background:#f6f7f9;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{max-width:36rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}h1{font-size:1.4rem;margin:0 0 .75rem}
.code{color:#8a94a6;font-weight:400}.hint{color:#4a5468}small{color:#8a94a6}</style></head>
<body><main><h1><span class="code">${page.status}</span> ${escape(page.title)}</h1>
<p>${escape(page.message)}</p><p class="hint">${escape(page.hint)}</p>
${requestId ? `<small>Request id: ${escape(requestId)}</small>` : ''}
<small>Served by Berth.</small></main></body></html>
`;
}

export function unknownHostPage(host: string, domain: string): Page {
  return {
    status: 404,
    title: 'No app here',
    message: host ? `Nothing on Berth answers to ${host}.` : 'The request named no host, so Berth cannot tell which app it is for.',
    hint: `Check the address for typos. Apps live at <app>.${domain}, previews at <environment>--<app>.${domain}; GET /api/apps/:app/environments lists the URLs.`,
  };
}

export function unavailablePage(appName: string, envName: string, status: { message: string; hint: string }): Page {
  return { status: 503, title: `${envName === 'production' ? appName : `${envName} of ${appName}`} is not running`, message: status.message, hint: status.hint };
}

/** Pages for the errors HAProxy produces on its own, written as raw HTTP responses (errorfile). */
export const PROXY_ERRORS: Record<number, Page> = {
  400: { status: 400, title: 'Bad request', message: 'The router could not read this request.', hint: 'Check the request line and headers.' },
  408: { status: 408, title: 'Request timeout', message: 'The request was not sent completely in time.', hint: 'Try again.' },
  413: { status: 413, title: 'Request too large', message: 'The request body is larger than the router accepts.', hint: 'Send a smaller body, or ask the operator to raise ROUTER_MAX_BODY_KB.' },
  500: { status: 500, title: 'Router error', message: 'The router failed to handle this request.', hint: 'Try again; if it keeps happening, tell the operator.' },
  502: { status: 502, title: 'Bad gateway', message: 'The app closed the connection or sent an invalid response.', hint: 'Check the app logs: it may have crashed while answering.' },
  503: { status: 503, title: 'Service unavailable', message: 'No instance of the app could take this request.', hint: 'Try again in a few seconds.' },
  504: { status: 504, title: 'Gateway timeout', message: 'The app did not answer in time.', hint: 'Make the request faster, or stream the response so data keeps flowing.' },
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export function renderErrorFile(status: number): string {
  const body = renderPage(PROXY_ERRORS[status], 'html');
  return [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    'content-type: text/html; charset=utf-8',
    'cache-control: no-store',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}
