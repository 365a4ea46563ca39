/** Where the static server goes in the build context, and in the image. */
export const STATIC_SERVER_CONTEXT_PATH = '.berth/static-server.js';
export const STATIC_SERVER_IMAGE_PATH = '/berth/static-server.js';

/**
 * The server Berth writes into the image of a front-end app whose build writes static files
 * (Vite dist/, Create React App build/, Next.js out/): `node /berth/static-server.js <dir>`.
 * It needs no package: only Node.js, which the image has (written for old Node.js too).
 * - files are served from <dir> only (symbolic links leading out of it are refused);
 * - a path that names no file and looks like a page (no extension, or the client accepts
 *   HTML) gets index.html: the single-page app's router takes it from there;
 * - HTML is `no-cache` (revalidated each time, so a new release shows at once); files with a
 *   content hash in their name (app-3f9a1c2b.js, main.8c2e1f0a.css, _next/static/...) are
 *   cached for a year; anything else is revalidated (ETag / Last-Modified, answered with 304).
 */
export const STATIC_SERVER_JS = String.raw`'use strict';
// Written by Berth: serves a front-end build's static files on $PORT, with single-page-app fallback.
var http = require('http');
var fs = require('fs');
var path = require('path');
var root = fs.realpathSync(process.argv[2] || '.');
var TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8', '.xml': 'application/xml', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.avif': 'image/avif', '.ico': 'image/x-icon', '.woff': 'font/woff',
  '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.wasm': 'application/wasm', '.mp4': 'video/mp4', '.pdf': 'application/pdf' };
function hashed(rel) {
  if (rel.indexOf('_next/static/') === 0) return true;
  var match = /[.-]([A-Za-z0-9_]{8,})\.[A-Za-z0-9]+$/.exec(rel);
  return !!match && (/[0-9]/.test(match[1]) || (/[a-z]/.test(match[1]) && /[A-Z]/.test(match[1])));
}
function find(rel) {
  try {
    var real = fs.realpathSync(path.join(root, rel));
    if (real !== root && real.indexOf(root + path.sep) !== 0) return null;
    var stat = fs.statSync(real);
    if (stat.isDirectory()) return find(path.join(rel, 'index.html'));
    return stat.isFile() ? { file: real, stat: stat, rel: path.relative(root, real).split(path.sep).join('/') } : null;
  } catch (error) {
    return null;
  }
}
http.createServer(function (req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }); return res.end(); }
  var rel;
  try { rel = decodeURIComponent(req.url.split('?')[0]); } catch (error) { res.writeHead(400); return res.end('Bad request\n'); }
  var page = !path.extname(rel) || /text\/html/.test(req.headers.accept || '');
  var found = rel.indexOf('\0') < 0 ? find(path.normalize('/' + rel).slice(1)) : null;
  if (!found && page) found = find('index.html');
  if (!found) { res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }); return res.end('Not found\n'); }
  var tag = 'W/"' + found.stat.size.toString(16) + '-' + Math.floor(found.stat.mtime.getTime()).toString(16) + '"';
  var headers = { 'content-type': TYPES[path.extname(found.file).toLowerCase()] || 'application/octet-stream', etag: tag,
    'last-modified': found.stat.mtime.toUTCString(), 'x-content-type-options': 'nosniff',
    'cache-control': /\.html$/.test(found.file) ? 'no-cache' : hashed(found.rel) ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate' };
  if (req.headers['if-none-match'] === tag) { res.writeHead(304, headers); return res.end(); }
  headers['content-length'] = found.stat.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(found.file).on('error', function () { res.destroy(); }).pipe(res);
}).listen(Number(process.env.PORT) || 8080, function () {
  console.log('serving ' + root + ' on port ' + (Number(process.env.PORT) || 8080) + ' (single-page-app fallback to index.html)');
});
`;
