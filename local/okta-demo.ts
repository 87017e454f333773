import type { OktaSandbox } from '../sandbox';

/**
 * The people and groups `npm start` puts in the Okta stand-in: one ACTIVE person in `atlas-analytics-readers` (the
 * group examples/rules.json grants on), signing in with an e-mail login, one SUSPENDED person (a leaver, as contract
 * section 12 reads a suspension), and one ACTIVE person in `atlas-analytics-readers` whose login is no address.
 */
export function seedOktaDemo(okta: OktaSandbox): void {
  const readers = okta.addGroup({ id: '00gdemoanalyticsread', name: 'atlas-analytics-readers', description: 'Read access to the analytics project in Atlas' });
  const engineering = okta.addGroup({ id: '00gdemoengineering01', name: 'engineering', description: 'Everyone in engineering' });
  const grace = okta.addUser({
    id: '00udemograceactive01',
    status: 'ACTIVE',
    profile: { login: 'grace@example.com', email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', department: 'Data Platform', title: 'Analyst', city: 'Arlington', costCenter: 'CC-100' },
  });
  okta.addToGroup(grace.id, readers.id);
  okta.addToGroup(grace.id, engineering.id);
  const alan = okta.addUser({
    id: '00udemoalansuspended',
    status: 'SUSPENDED',
    profile: { login: 'alan@example.com', email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing', department: 'Research', title: 'Scientist', city: 'Manchester', costCenter: 'CC-200' },
  });
  okta.addToGroup(alan.id, engineering.id);
  // Signs in with a username, not an address: Okta's hook then names her by id only (the worked example in README).
  const lin = okta.addUser({
    id: '00udemolinwei0000001',
    status: 'ACTIVE',
    profile: { login: 'lwei', email: 'lin.wei@example.com', firstName: 'Lin', lastName: 'Wei', department: 'Data Platform', title: 'Data Engineer', city: 'Berlin', costCenter: 'CC-42' },
  });
  okta.addToGroup(lin.id, readers.id);
}
