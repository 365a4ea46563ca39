/**
 * The pre-receive hook git runs for every push Berth serves. It hands the ref updates (and
 * where the quarantined objects are) to the Berth process that spawned git, over a Unix socket
 * with a one-time secret from its environment, and copies Berth's answer to stderr, which git
 * sends to the pusher as "remote:" lines. Berth's last word is the exit code: 0 accepts the
 * push, anything else rejects it. Plain Node.js, no dependencies.
 */
export function preReceiveHook(nodePath: string): string {
  return `#!${nodePath}
// Written by Berth (libs/git/src/hooks/hook-script.ts); rewritten at every start.
'use strict';
const http = require('http');
const fs = require('fs');
const env = process.env;
if (!env.BERTH_HOOK_SOCKET || !env.BERTH_HOOK_SECRET) {
  process.stderr.write('This repository accepts pushes through Berth only.\\n');
  process.exit(1);
}
const body = JSON.stringify({
  secret: env.BERTH_HOOK_SECRET,
  updates: fs.readFileSync(0, 'utf8'),
  quarantine: {
    GIT_OBJECT_DIRECTORY: env.GIT_OBJECT_DIRECTORY,
    GIT_ALTERNATE_OBJECT_DIRECTORIES: env.GIT_ALTERNATE_OBJECT_DIRECTORIES,
    GIT_QUARANTINE_PATH: env.GIT_QUARANTINE_PATH,
  },
});
// Fail closed: the push is accepted only when Berth's whole answer arrived and said 0. Should
// Berth die mid-answer (the response aborted, a half line, no answer at all), the hook exits 1
// and git leaves every branch where it was.
process.exitCode = 1;
let code = null;
let complete = false;
const refuse = (why) => {
  if (complete) return;
  complete = true;
  process.stderr.write('Berth stopped answering (' + why + '), so the push was not accepted and no branch moved. Push again.\\n');
  process.exitCode = 1;
};
const req = http.request(
  { socketPath: env.BERTH_HOOK_SOCKET, path: '/pre-receive', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
  (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          return refuse('an unreadable answer');
        }
        if (typeof message.out === 'string') process.stderr.write(message.out);
        if (typeof message.exit === 'number') code = message.exit;
      }
    });
    res.on('aborted', () => refuse('the connection was cut'));
    res.on('error', () => refuse('the connection was cut'));
    res.on('end', () => {
      if (complete) return;
      if (code === null || buffer.trim() !== '') return refuse('no final answer');
      complete = true;
      process.exitCode = res.statusCode === 200 ? code : code || 1;
    });
    res.on('close', () => refuse('the connection closed early'));
  },
);
req.on('error', (error) => {
  if (complete) return;
  complete = true;
  process.stderr.write('Cannot reach Berth (' + error.message + '), so the push was not accepted. Push again.\\n');
  process.exitCode = 1;
});
req.end(body);
`;
}
