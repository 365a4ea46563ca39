import { api, messageForPeople, parseEnd } from './api';

describe('the end of a build log stream', () => {
  it('reads the final status and the reason a build failed', () => {
    expect(parseEnd('{"status":"succeeded","failureReason":null}')).toEqual({ status: 'succeeded', failureReason: null });
    expect(parseEnd('{"status":"failed","failureReason":"npm ci exited with code 1"}')).toEqual({ status: 'failed', failureReason: 'npm ci exited with code 1' });
  });

  it('counts an end it cannot read as a failure, keeping what the server said', () => {
    expect(parseEnd('gone')).toEqual({ status: 'failed', failureReason: 'gone' });
  });
});

describe('following a build log', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  const stream = (text: string) =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream' } },
    );

  it('resumes after the last line it saw when the connection breaks, until the end event', async () => {
    const asked: (string | null)[] = [];
    global.fetch = jest.fn(async (_path: unknown, init?: RequestInit) => {
      asked.push(new Headers(init?.headers).get('last-event-id'));
      return asked.length === 1
        ? stream('id: 1-0\ndata: STEP 1/2\n\nid: 2-0\ndata: STEP 2/2\n\n') // cut off here
        : stream('id: 3-0\ndata: Built image x\n\nevent: end\ndata: {"status":"succeeded","failureReason":null}\n\n');
    }) as typeof fetch;
    const lines: string[] = [];
    const restart = jest.fn();
    const end = await api.followBuildLog('shop', 'b1', { line: (line) => lines.push(line), restart }, new AbortController().signal);
    expect(end).toEqual({ status: 'succeeded', failureReason: null });
    expect(lines).toEqual(['STEP 1/2', 'STEP 2/2', 'Built image x']);
    expect(asked).toEqual([null, '2-0']);
    expect(restart).not.toHaveBeenCalled();
  });
});

describe('API error messages in the dashboard', () => {
  it('says in its own words what an error code means', () => {
    expect(messageForPeople('app_not_found', 'There is no app named "shop" that you can see. List your apps with GET /api/apps.')).toBe(
      'This app was deleted, or you no longer have access to it.',
    );
  });

  it('drops the sentences and asides that name API requests', () => {
    expect(messageForPeople('some_new_code', 'Wait a minute and reload. Follow the build with GET /api/apps/shop/builds.')).toBe('Wait a minute and reload.');
    expect(messageForPeople('invalid_token', 'The API token is invalid, expired or revoked. Log in again (POST /api/auth/login) to get a new one.')).toBe(
      'The API token is invalid, expired or revoked. Log in again to get a new one.',
    );
  });

  it('keeps other messages as they are, and a message that is all API', () => {
    expect(messageForPeople('email_taken', 'An account for a@example.com already exists. Log in instead.')).toBe('An account for a@example.com already exists. Log in instead.');
    expect(messageForPeople('x', 'GET /api/apps.')).toBe('GET /api/apps.');
  });
});
