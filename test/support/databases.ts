import { Client } from 'pg';

/**
 * Drops a test database, ending its connections. A connection the berth role may not end (an
 * autovacuum worker of the superuser, busy with the database just then) makes PostgreSQL refuse
 * the drop for a moment; it is tried again until that worker is done.
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        return;
      } catch (error) {
        const retryable = /pg_signal_backend|being accessed by other users/.test((error as Error).message);
        if (!retryable || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await admin.end();
  }
}
