// Runs graphql-http's GraphQL-over-HTTP server audits against a running Bangfu.
//
//   npm install
//   node audit.mjs http://127.0.0.1:8799/graphql [--token TOKEN]
//
// Prints every failed audit (error = the spec's MUST, warn = SHOULD, notice = MAY) with its
// reason and the response body, then a summary. Exits 1 when an audit errors.
import { serverAudits } from 'graphql-http';

const args = process.argv.slice(2);
const url = args.find((arg) => !arg.startsWith('--'));
const tokenAt = args.indexOf('--token');
const token = tokenAt >= 0 ? args[tokenAt + 1] : undefined;
if (!url) {
  console.error('usage: node audit.mjs <graphql url> [--token TOKEN]');
  process.exit(2);
}

// An optional bearer token for every request the audits send.
const fetchFn = token
  ? (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    }
  : fetch;

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  if (result.status === 'ok') continue;
  let body = '';
  try {
    body = await result.response.text();
  } catch {
    body = '(body already read)';
  }
  console.log(`[${result.status.toUpperCase()}] ${result.id} ${result.name}`);
  console.log(`    ${result.reason}`);
  console.log(`    HTTP ${result.response.status}: ${body.slice(0, 300).replace(/\n/g, ' ')}`);
}
console.log(
  `\n${counts.ok} ok, ${counts.error} errors, ${counts.warn} warnings, ${counts.notice} notices`,
);
process.exit(counts.error > 0 ? 1 : 0);
