import { parseEnd } from './api';

describe('the end of a build log stream', () => {
  it('reads the final status and the reason a build failed', () => {
    expect(parseEnd('{"status":"succeeded","failureReason":null}')).toEqual({ status: 'succeeded', failureReason: null });
    expect(parseEnd('{"status":"failed","failureReason":"npm ci exited with code 1"}')).toEqual({ status: 'failed', failureReason: 'npm ci exited with code 1' });
  });

  it('counts an end it cannot read as a failure, keeping what the server said', () => {
    expect(parseEnd('gone')).toEqual({ status: 'failed', failureReason: 'gone' });
  });
});
