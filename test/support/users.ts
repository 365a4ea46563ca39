import { randomBytes } from 'node:crypto';
import type { RunningPlatform } from './platform';

export const unique = (stem: string) => `${stem}-${randomBytes(3).toString('hex')}`;

export interface TestUser {
  email: string;
  password: string;
  token: string;
  team: string;
  auth: { Authorization: string };
}

/** Signs up a fresh user through the API. */
export async function signUp(platform: RunningPlatform, stem = 'user'): Promise<TestUser> {
  const email = `${unique(stem)}@example.com`;
  const password = 'correct horse battery staple';
  const response = await platform.http().post('/api/auth/signup').send({ email, password }).expect(201);
  return { email, password, token: response.body.token, team: response.body.team.name, auth: { Authorization: `Bearer ${response.body.token}` } };
}

/** Creates an app for a user through the API and returns its name. */
export async function createApp(platform: RunningPlatform, user: TestUser, stem = 'app', team?: string): Promise<string> {
  const name = unique(stem);
  await platform.http().post('/api/apps').set(user.auth).send({ name, ...(team ? { team } : {}) }).expect(201);
  return name;
}
