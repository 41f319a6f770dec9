// Apollo Client against a running Bangfu (development profile, demo data):
//
//   npm ci
//   node apollo.cjs http://127.0.0.1:8000/graphql USERNAME PASSWORD
//
// Checks the normalised cache (one person read by two queries with different fields, both
// read back from the cache), a mutation that updates the cached person, and Apollo's
// automatic persisted queries (the first request sends the hash alone and gets
// PERSISTED_QUERY_NOT_FOUND, the link sends the document, the next client's request by
// hash alone succeeds). Prints one line per check; exits 1 on the first failure.
// tests/clients/run_apollo.py starts a server and runs this (.ci/run).
const crypto = require('node:crypto');
const { ApolloClient, HttpLink, InMemoryCache, gql } = require('@apollo/client/core');
const { createPersistedQueryLink } = require('@apollo/client/link/persisted-queries');

const [url, username, password] = process.argv.slice(2);
if (!url || !username || !password) {
  console.error('usage: node apollo.cjs <graphql url> <username> <password>');
  process.exit(2);
}

let token = null;
const sent = []; // what each request carried, and the codes of the errors it got back

async function recordingFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const body = init.body ? JSON.parse(init.body) : {};
  const response = await fetch(input, { ...init, headers });
  const text = await response.text();
  let codes = [];
  try {
    codes = (JSON.parse(text).errors || []).map((e) => (e.extensions || {}).code);
  } catch {
    codes = ['(not JSON)'];
  }
  sent.push({
    query: typeof body.query === 'string',
    hash: Boolean(body.extensions && body.extensions.persistedQuery),
    status: response.status,
    codes,
  });
  return new Response(text, { status: response.status, headers: response.headers });
}

function client({ persisted }) {
  const http = new HttpLink({ uri: url, fetch: recordingFetch });
  const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
  return new ApolloClient({
    link: persisted ? createPersistedQueryLink({ sha256 }).concat(http) : http,
    cache: new InMemoryCache(),
  });
}

function check(condition, what, detail) {
  if (!condition) {
    console.error(`FAILED: ${what}`);
    if (detail !== undefined) console.error(JSON.stringify(detail, null, 2));
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

const LOGIN = gql`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) {
      token
      errors { code message }
    }
  }
`;
const FIRST = gql`
  query First {
    persons(first: 1) { nodes { id } }
  }
`;
const NAME = gql`
  query Name($id: ID!) {
    person(id: $id) { id name sex }
  }
`;
const CONTACT = gql`
  query Contact($id: ID!) {
    person(id: $id) { id phone version }
  }
`;
const UPDATE = gql`
  mutation Update($input: PersonUpdateInput!) {
    personUpdate(input: $input) {
      person { id phone version }
      errors { code message }
    }
  }
`;
const COUNT = gql`
  query Count {
    persons(first: 2) { totalCount }
  }
`;

async function main() {
  const plain = client({ persisted: false });
  const login = await plain.mutate({ mutation: LOGIN, variables: { username, password } });
  token = login.data.login.token;
  check(Boolean(token), 'login', login.data.login.errors);

  // The normalised cache: two queries, different fields of one person.
  const first = await plain.query({ query: FIRST });
  const id = first.data.persons.nodes[0].id;
  const named = await plain.query({ query: NAME, variables: { id } });
  const contact = await plain.query({ query: CONTACT, variables: { id } });
  check(named.data.person.name && contact.data.person.version !== undefined, 'two queries');
  const cachedName = plain.readQuery({ query: NAME, variables: { id } });
  const cachedContact = plain.readQuery({ query: CONTACT, variables: { id } });
  check(
    cachedName && cachedName.person.name === named.data.person.name,
    'the first query reads back from the cache',
    cachedName,
  );
  check(
    cachedContact && cachedContact.person.version === contact.data.person.version,
    'the second query reads back from the cache',
    cachedContact,
  );
  const entry = plain.cache.extract()[`Person:${id}`];
  check(
    entry && 'name' in entry && 'phone' in entry,
    'one normalised Person entry holds the fields of both',
    entry,
  );

  // A mutation: its answer updates the cached person.
  const phone = `139${String(Date.now()).slice(-8)}`;
  const updated = await plain.mutate({
    mutation: UPDATE,
    variables: { input: { id, expectedVersion: contact.data.person.version, phone } },
  });
  check(
    updated.data.personUpdate.errors.length === 0 && updated.data.personUpdate.person.phone === phone,
    'personUpdate',
    updated.data.personUpdate,
  );
  const afterUpdate = plain.readQuery({ query: CONTACT, variables: { id } });
  check(
    afterUpdate.person.phone === phone &&
      afterUpdate.person.version === contact.data.person.version + 1,
    'the cache holds the mutation answer',
    afterUpdate,
  );

  // Automatic persisted queries.
  sent.length = 0;
  const apq = client({ persisted: true });
  const counted = await apq.query({ query: COUNT });
  check(counted.data.persons.totalCount > 0, 'a query through the persisted-queries link');
  check(
    sent.length === 2 &&
      !sent[0].query && sent[0].hash && sent[0].codes.includes('PERSISTED_QUERY_NOT_FOUND') &&
      sent[1].query && sent[1].hash && sent[1].codes.length === 0,
    'the hash alone is PERSISTED_QUERY_NOT_FOUND, then the link sends the document',
    sent,
  );
  sent.length = 0;
  const again = await client({ persisted: true }).query({ query: COUNT });
  check(
    again.data.persons.totalCount === counted.data.persons.totalCount &&
      sent.length === 1 && !sent[0].query && sent[0].hash && sent[0].codes.length === 0,
    'the next request by hash alone is answered',
    sent,
  );
  console.log('Apollo Client: every check passed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
